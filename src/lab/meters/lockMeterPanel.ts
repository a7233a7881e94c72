/** Side panel: lock contention of the latest (live or finished) trace from the active notebook's kernel. */
import type { INotebookTracker } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';
import { lockIcon } from './icons.js';
import { liveRegistry } from '../trace/liveRegistry.js';
import { lockStats } from '../trace/lockStats.js';
import { renderLockTable } from './lockTable.js';
import { settingsStore } from '../ui/settings.js';
import { formatDuration } from '../ui/format.js';

export class LockMeterPanel extends Widget {
  private timer = 0;
  private unsubscribe: () => void;

  constructor(private readonly tracker: INotebookTracker) {
    super();
    this.id = 'threadline-lock-panel';
    this.addClass('tl-Panel');
    this.title.icon = lockIcon;
    this.title.caption = 'Lock contention (Threadline)';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Lock contention in the active kernel');
    this.node.tabIndex = 0;
    this.unsubscribe = liveRegistry.subscribeAll(() => this.schedule());
    tracker.currentChanged.connect(this.schedule, this);
    this.render();
  }

  protected onAfterShow(): void {
    this.render();
  }

  private schedule(): void {
    if (this.timer || !this.isVisible) return;
    this.timer = window.setTimeout(() => {
      this.timer = 0;
      this.render();
    }, 500);
  }

  private render(): void {
    if (!this.isVisible) return;
    const title = document.createElement('h2');
    title.className = 'tl-PanelTitle';
    title.textContent = 'Lock contention';
    const kernelId = this.tracker.currentWidget?.sessionContext.session?.kernel?.id ?? null;
    const latest = kernelId ? liveRegistry.latestFor(kernelId) : null;
    const line = document.createElement('p');
    line.className = 'tl-PanelLine';
    if (!latest) {
      line.textContent =
        'Run a cell under %%timeline (or `with threadline.trace():`) in the active notebook to see its locks here.';
      this.node.replaceChildren(title, line);
      return;
    }
    const store = latest.store;
    const state = store.complete ? 'finished' : 'running';
    line.textContent = `${store.meta?.label ?? 'latest trace'} — ${state}, ${formatDuration(store.duration)}`;
    this.node.dataset.locks = String(store.tables.locks.name.length);
    const table = renderLockTable(lockStats(store), settingsStore.current.contentionWarning, true);
    this.node.replaceChildren(title, line, table);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    super.dispose();
  }
}
