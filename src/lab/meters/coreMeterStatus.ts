/** Status-bar item: one small bar per core of the active kernel's machine; click opens the CPU panel. */
import { Widget } from '@lumino/widgets';
import type { MeterConnection } from './meterConnection.js';

export class CoreMeterStatus extends Widget {
  private bars: HTMLElement;
  private label: HTMLElement;

  constructor(
    private readonly meter: MeterConnection,
    private readonly openPanel: () => void
  ) {
    super({ node: document.createElement('button') });
    const node = this.node as HTMLButtonElement;
    node.type = 'button';
    this.addClass('tl-CoreStatus');
    this.label = document.createElement('span');
    this.label.className = 'tl-CoreStatus-label';
    this.label.textContent = 'CPU';
    this.bars = document.createElement('span');
    this.bars.className = 'tl-CoreStatus-bars';
    this.node.append(this.label, this.bars);
    this.node.addEventListener('click', () => this.openPanel());
    meter.changed.connect(this.render, this);
    this.render();
  }

  protected onAfterAttach(): void {
    if (this.isVisible) this.meter.acquire(this);
  }

  protected onAfterShow(): void {
    this.meter.acquire(this);
  }

  protected onBeforeHide(): void {
    this.meter.release(this);
  }

  protected onBeforeDetach(): void {
    this.meter.release(this);
  }

  private render(): void {
    const h = this.meter.history;
    const s = h.latest;
    const status = this.meter.status;
    this.node.dataset.status = status;
    this.node.dataset.opens = String(this.meter.opens);
    this.node.dataset.busy = String(h.busyCores());
    this.node.dataset.peakBusy = String(h.peakBusy);
    if (!s || status !== 'live') {
      this.bars.replaceChildren();
      const why =
        status === 'no-kernel'
          ? 'no kernel'
          : status === 'unavailable'
            ? 'no Threadline probe in this kernel'
            : status === 'paused'
              ? 'paused'
              : 'connecting…';
      this.node.title = `CPU meter: ${why}`;
      this.node.setAttribute('aria-label', this.node.title);
      this.node.classList.toggle('tl-mod-off', true);
      return;
    }
    this.node.classList.toggle('tl-mod-off', false);
    while (this.bars.children.length < s.per_core.length) {
      const bar = document.createElement('span');
      bar.className = 'tl-CoreBar';
      bar.append(document.createElement('span'));
      this.bars.append(bar);
    }
    while (this.bars.children.length > s.per_core.length) this.bars.lastChild?.remove();
    // big machines: thinner bars so the item stays small
    this.bars.classList.toggle('tl-mod-many', s.per_core.length > 16);
    s.per_core.forEach((u, i) => {
      const bar = this.bars.children[i] as HTMLElement;
      const fill = bar.firstChild as HTMLElement;
      fill.style.height = `${Math.max(0, Math.min(100, u))}%`;
      bar.classList.toggle('tl-mod-busy', u >= h.busyThreshold);
    });
    const busy = h.busyCores(s);
    this.node.title =
      `CPU: ${busy} of ${s.per_core.length} cores busy (≥${h.busyThreshold}%), ` +
      `${s.effective_cpus} usable by this kernel. Click for details.`;
    this.node.setAttribute('aria-label', this.node.title);
  }

  dispose(): void {
    this.meter.changed.disconnect(this.render, this);
    this.meter.release(this);
    super.dispose();
  }
}
