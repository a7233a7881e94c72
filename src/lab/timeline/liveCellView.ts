/**
 * The live timeline under a running cell. When the probe opens the trace comm, the frontend finds
 * the cell whose execute request is the comm's parent and shows the growing trace below its
 * outputs. The view is not part of the notebook model (nothing is saved); it goes away when the
 * cell finishes and the probe's final display (the saved trace) is in the outputs.
 */
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { PanelLayout } from '@lumino/widgets';
import { Widget } from '@lumino/widgets';
import { TRACE_MIME } from '../../protocol/names.js';
import { errorBox } from '../ui/errorBox.js';
import { liveRegistry } from '../trace/liveRegistry.js';
import type { TraceOpened } from '../trace/traceComm.js';
import { settingsStore } from '../ui/settings.js';
import { TimelineView } from './timelineView.js';

interface FutureLike {
  msg: { header: { msg_id: string } };
  done: Promise<unknown>;
}

interface OutputAreaLike {
  future: FutureLike | null | undefined;
  model: { length: number; get(index: number): { data: Record<string, unknown> } };
}

/** True when the outputs already show this trace (a placeholder for it, or a whole saved trace). */
function outputsShowTrace(area: OutputAreaLike, traceId: string | null): boolean {
  for (let i = 0; i < area.model.length; i++) {
    const data = area.model.get(i).data[TRACE_MIME] as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') continue;
    if (traceId === null || data.trace_id === undefined || data.trace_id === traceId) return true;
  }
  return false;
}

export class LiveCellView extends Widget {
  private view = new TimelineView(settingsStore.current);
  private unsubscribe: () => void;

  constructor(readonly traceId: string) {
    super();
    this.addClass('tl-LiveCell');
    this.node.setAttribute('aria-label', 'Live Threadline timeline of the running cell');
    const live = liveRegistry.get(traceId);
    this.view.setStore(live.store, true);
    this.node.append(this.view.node);
    this.unsubscribe = liveRegistry.subscribe(traceId, t => {
      if (t.error) {
        this.view.dispose();
        this.node.replaceChildren(errorBox(t.error));
      } else this.view.update();
    });
  }

  protected onAfterAttach(): void {
    this.view.attach();
    this.view.update();
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.unsubscribe();
    this.view.dispose();
    super.dispose();
  }
}

function findFuture(area: OutputAreaLike): FutureLike | null {
  try {
    return area.future ?? null;
  } catch {
    return null;
  }
}

/** Show the live trace under the cell whose execute request opened its comm, if there is one. */
export function showLiveInCell(tracker: INotebookTracker, { kernel, parentMsgId, traceId }: TraceOpened): void {
  if (!parentMsgId) return;
  tracker.forEach(panel => {
    if (panel.sessionContext.session?.kernel?.id !== kernel.id) return;
    for (const cell of panel.content.widgets) {
      const area = (cell as unknown as { outputArea?: OutputAreaLike }).outputArea;
      if (!area) continue;
      const future = findFuture(area);
      if (!future || future.msg.header.msg_id !== parentMsgId) continue;
      // the probe may show its own live placeholder: then the output renderer follows the trace
      if (outputsShowTrace(area, traceId)) return;
      const layout = cell.layout as PanelLayout | null;
      if (!layout) return;
      const view = new LiveCellView(traceId);
      layout.addWidget(view);
      const finish = (): void => {
        // wait for the outputs of the final display to be rendered, then hand over to them
        setTimeout(() => {
          if (outputsShowTrace(area, null) || cell.isDisposed) view.dispose();
        }, 0);
      };
      future.done.then(finish, finish);
      cell.disposed.connect(() => view.dispose());
      return;
    }
  });
}
