/**
 * The CPU meter's link to the active notebook's kernel: opens the `threadline.meter` comm while
 * someone is looking (status bar item or panel visible, page visible), follows notebook and
 * kernel changes, reopens after restarts, and backs off when the kernel has no probe.
 */
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import type { MeterCommand } from '../../protocol/trace.js';
import { METER_COMM_TARGET } from '../../protocol/names.js';
import { CpuHistory, asMeterSample } from './cpuHistory.js';
import { settingsStore } from '../ui/settings.js';

export type MeterStatus = 'no-kernel' | 'connecting' | 'live' | 'unavailable' | 'paused';

export class MeterConnection {
  readonly history: CpuHistory;
  private changedSignal = new Signal<this, void>(this);
  private users = new Set<object>();
  private panel: NotebookPanel | null = null;
  private kernel: Kernel.IKernelConnection | null = null;
  private comm: Kernel.IComm | null = null;
  private retry = 0;
  private backoffMs = 2000;
  private statusValue: MeterStatus = 'no-kernel';
  /** how many times the meter comm was opened (a restart needs a new one) */
  opens = 0;

  constructor(private readonly tracker: INotebookTracker) {
    const s = settingsStore.current;
    this.history = new CpuHistory(Math.ceil((s.historySeconds * 1000) / s.meterIntervalMs), s.busyThreshold);
    tracker.currentChanged.connect(this.onCurrentChanged, this);
    settingsStore.subscribe(next => {
      this.history.capacity = Math.ceil((next.historySeconds * 1000) / next.meterIntervalMs);
      this.history.busyThreshold = next.busyThreshold;
      this.sendConfig();
    });
    document.addEventListener('visibilitychange', () => this.reconcile());
    this.onCurrentChanged();
  }

  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  get status(): MeterStatus {
    return this.statusValue;
  }

  get kernelName(): string {
    return this.panel?.sessionContext.kernelDisplayName ?? '';
  }

  /** Start receiving samples on behalf of `who` (a visible view). */
  acquire(who: object): void {
    this.users.add(who);
    this.reconcile();
  }

  release(who: object): void {
    this.users.delete(who);
    this.reconcile();
  }

  private onCurrentChanged(): void {
    const panel = this.tracker.currentWidget;
    if (panel === this.panel) return;
    if (this.panel) {
      this.panel.sessionContext.kernelChanged.disconnect(this.onKernelChanged, this);
    }
    this.panel = panel;
    if (panel) panel.sessionContext.kernelChanged.connect(this.onKernelChanged, this);
    this.setKernel(panel?.sessionContext.session?.kernel ?? null);
  }

  private onKernelChanged(): void {
    this.setKernel(this.panel?.sessionContext.session?.kernel ?? null);
  }

  private setKernel(kernel: Kernel.IKernelConnection | null): void {
    if (kernel === this.kernel) return;
    this.closeComm();
    if (this.kernel) {
      this.kernel.statusChanged.disconnect(this.onKernelStatus, this);
      this.kernel.connectionStatusChanged.disconnect(this.onKernelStatus, this);
    }
    this.kernel = kernel;
    this.history.clear();
    this.backoffMs = 2000;
    if (kernel) {
      kernel.statusChanged.connect(this.onKernelStatus, this);
      kernel.connectionStatusChanged.connect(this.onKernelStatus, this);
    }
    this.reconcile();
  }

  private onKernelStatus(): void {
    const k = this.kernel;
    if (!k) return;
    const gone = k.status === 'restarting' || k.status === 'autorestarting' || k.status === 'dead';
    if (gone || k.connectionStatus !== 'connected') {
      // a restart disposes every comm of the connection: open a new one when the kernel is back
      this.comm = null;
      if (this.statusValue === 'live') this.setStatus('connecting');
      return;
    }
    if (!this.comm) this.reconcile();
  }

  private wanted(): boolean {
    return this.users.size > 0 && document.visibilityState !== 'hidden';
  }

  /** Open or close the comm to match what is wanted. */
  private reconcile(): void {
    if (!this.kernel) {
      this.closeComm();
      this.setStatus('no-kernel');
      return;
    }
    if (!this.wanted()) {
      this.closeComm();
      this.setStatus('paused');
      return;
    }
    if (this.comm || this.retry) return;
    const k = this.kernel;
    const notReady = k.status === 'restarting' || k.status === 'starting' || k.status === 'unknown';
    if (k.isDisposed || k.connectionStatus !== 'connected' || notReady) {
      this.setStatus('connecting');
      return;
    }
    try {
      const comm = k.createComm(METER_COMM_TARGET);
      this.comm = comm;
      this.opens++;
      this.setStatus('connecting');
      comm.onMsg = msg => {
        const sample = asMeterSample(msg.content.data);
        if (!sample || comm !== this.comm) return;
        this.backoffMs = 2000;
        this.history.push(sample);
        this.setStatus('live');
        this.changedSignal.emit();
      };
      comm.onClose = () => {
        if (comm !== this.comm) return;
        // closed by the kernel: no probe there, or it stopped; try again later
        this.comm = null;
        this.setStatus('unavailable');
        this.scheduleRetry();
      };
      const config: MeterCommand = { type: 'config', interval_ms: settingsStore.current.meterIntervalMs };
      comm.open(config as unknown as Record<string, number | string>);
    } catch {
      this.comm = null;
      this.setStatus('unavailable');
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    this.retry = window.setTimeout(() => {
      this.retry = 0;
      this.reconcile();
    }, this.backoffMs);
    this.backoffMs = Math.min(30_000, this.backoffMs * 2);
  }

  private sendConfig(): void {
    if (!this.comm || this.comm.isDisposed) return;
    const config: MeterCommand = { type: 'config', interval_ms: settingsStore.current.meterIntervalMs };
    this.comm.send(config as unknown as Record<string, number | string>);
  }

  private closeComm(): void {
    clearTimeout(this.retry);
    this.retry = 0;
    const comm = this.comm;
    this.comm = null;
    if (!comm || comm.isDisposed) return;
    try {
      const stop: MeterCommand = { type: 'stop' };
      comm.send(stop as unknown as Record<string, string>);
      comm.close();
    } catch {
      // the kernel went away first: nothing to close
    }
  }

  private setStatus(s: MeterStatus): void {
    if (s === this.statusValue) return;
    this.statusValue = s;
    this.changedSignal.emit();
  }
}
