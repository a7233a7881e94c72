/**
 * Side panel: per-core history, effective vs host cores (and why), throttling when the cgroup
 * quota bites, CPU split by process (the kernel vs its workers). Samples only while shown.
 */
import { Widget } from '@lumino/widgets';
import { dataTable } from '../ui/dataTable.js';
import { formatDuration } from '../ui/format.js';
import { cpuIcon } from './icons.js';
import type { MeterConnection } from './meterConnection.js';
import { sparkline } from '../ui/sparkline.js';

export class CoreMeterPanel extends Widget {
  constructor(private readonly meter: MeterConnection) {
    super();
    this.id = 'threadline-cpu-panel';
    this.addClass('tl-Panel');
    this.addClass('tl-CpuPanel');
    this.title.icon = cpuIcon;
    this.title.caption = 'CPU cores (Threadline)';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'CPU cores of the active kernel');
    this.node.tabIndex = 0;
    meter.changed.connect(this.render, this);
    this.render();
  }

  protected onAfterShow(): void {
    this.meter.acquire(this);
    this.render();
  }

  protected onBeforeHide(): void {
    this.meter.release(this);
  }

  protected onBeforeDetach(): void {
    this.meter.release(this);
  }

  private render(): void {
    if (!this.isVisible) return;
    const h = this.meter.history;
    const s = h.latest;
    const title = document.createElement('h2');
    title.className = 'tl-PanelTitle';
    title.textContent = 'CPU cores';
    const parts: Node[] = [title];
    const p = (text: string, cls = 'tl-PanelLine'): HTMLElement => {
      const e = document.createElement('p');
      e.className = cls;
      e.textContent = text;
      parts.push(e);
      return e;
    };
    const status = this.meter.status;
    this.node.dataset.status = status;
    if (!s) {
      p(
        status === 'no-kernel'
          ? 'Open a notebook with a running kernel to see its cores.'
          : status === 'unavailable'
            ? 'This kernel has no Threadline probe. ' +
              'Choose the “Python 3 (Threadline)” kernel, or run `%load_ext threadline`.'
            : 'Waiting for the first sample…'
      );
      this.node.replaceChildren(...parts);
      return;
    }
    const busy = h.busyCores(s);
    this.node.dataset.busy = String(busy);
    this.node.dataset.peakBusy = String(h.peakBusy);
    const cores = s.per_core.length;
    p(`${this.meter.kernelName}: ${busy} of ${cores} cores busy now, at most ${h.peakBusy} at once recently.`);
    const reason = s.effective_cpus_reason ? ` (${s.effective_cpus_reason})` : '';
    const eff = p(`Usable by this kernel: ${s.effective_cpus} of ${s.host_cpus} host cores${reason}.`);
    if (s.effective_cpus < s.host_cpus) eff.classList.add('tl-mod-note');
    const throttled = h.throttledUs;
    if (throttled > 0) {
      const why = 'the CPU quota is being hit, more processes will not help';
      p(`Throttled for ${formatDuration(throttled)} recently: ${why}.`, 'tl-PanelLine tl-mod-warn');
    }
    const list = document.createElement('div');
    list.className = 'tl-CoreList';
    s.per_core.forEach((u, core) => {
      const row = document.createElement('div');
      row.className = 'tl-CoreRow' + (u >= h.busyThreshold ? ' tl-mod-busy' : '');
      const name = document.createElement('span');
      name.className = 'tl-CoreName';
      name.textContent = `core ${core}`;
      const value = document.createElement('span');
      value.className = 'tl-CoreValue';
      value.textContent = `${Math.round(u)}%`;
      const label = `core ${core} utilisation history, now ${Math.round(u)}%`;
      row.append(name, sparkline(h.series(core), 140, 18, label, 100), value);
      list.append(row);
    });
    parts.push(list);
    if (s.processes.length) {
      const { table, body } = dataTable('tl-ProcTable', 'CPU by process (100% = one core)', ['process', 'pid', 'CPU']);
      for (const proc of [...s.processes].sort((a, b) => b.cpu - a.cpu)) {
        const tr = body.insertRow();
        tr.insertCell().textContent = proc.is_kernel ? `${proc.name || 'kernel'} (kernel)` : proc.name || 'worker';
        tr.insertCell().textContent = String(proc.pid);
        tr.insertCell().textContent = `${Math.round(proc.cpu)}%`;
      }
      parts.push(table);
    }
    this.node.replaceChildren(...parts);
  }

  dispose(): void {
    this.meter.changed.disconnect(this.render, this);
    this.meter.release(this);
    super.dispose();
  }
}
