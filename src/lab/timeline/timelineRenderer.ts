/**
 * The MIME renderer for application/vnd.threadline.trace+json. A saved trace is drawn as is; a
 * live placeholder ({trace_id, live: true}) follows the chunks the comm plugin puts into the
 * live registry, and is replaced in place when the probe updates the display with the whole trace.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { TRACE_MIME } from '../../protocol/names.js';
import { errorBox } from '../ui/errorBox.js';
import { liveRegistry } from '../trace/liveRegistry.js';
import { settingsStore } from '../ui/settings.js';
import { TimelineView } from './timelineView.js';
import { TraceStore } from '../trace/traceStore.js';
import { parsePayload } from '../trace/traceValidate.js';

export class TimelineRenderer extends Widget implements IRenderMime.IRenderer {
  private view: TimelineView | null = null;
  private unsubscribeLive: (() => void) | null = null;
  private unsubscribeSettings: () => void;

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('tl-TimelineOutput');
    this.unsubscribeSettings = settingsStore.subscribe(s => this.view?.setSettings(s));
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.options.mimeType ?? TRACE_MIME];
    this.unsubscribeLive?.();
    this.unsubscribeLive = null;
    try {
      const payload = parsePayload(data);
      const view = this.ensureView();
      if (payload.kind === 'trace') {
        view.setStore(TraceStore.fromTrace(payload.trace), false);
      } else if (payload.kind === 'chunk') {
        const store = new TraceStore(payload.chunk.trace_id);
        store.applyChunk(payload.chunk);
        view.setStore(store, !payload.chunk.final);
      } else {
        const live = liveRegistry.get(payload.placeholder.trace_id);
        view.setStore(live.store, true);
        this.unsubscribeLive = liveRegistry.subscribe(payload.placeholder.trace_id, t => {
          if (t.error) this.showError(t.error);
          else view.update();
        });
      }
    } catch (error) {
      this.showError(error);
    }
  }

  private ensureView(): TimelineView {
    if (!this.view) {
      this.view = new TimelineView(settingsStore.current);
      this.node.replaceChildren(this.view.node);
      if (this.isAttached) this.view.attach();
    }
    return this.view;
  }

  private showError(error: unknown): void {
    this.view?.dispose();
    this.view = null;
    this.node.replaceChildren(errorBox(error));
  }

  protected onAfterAttach(): void {
    this.view?.attach();
    this.view?.update();
  }

  protected onAfterShow(): void {
    this.view?.update();
  }

  protected onResize(): void {
    this.view?.update();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.unsubscribeLive?.();
    this.unsubscribeSettings();
    this.view?.dispose();
    super.dispose();
  }
}
