/** The lock-contention table under the timeline (the lock meter's table, for this trace). */
import { lockStats } from '../trace/lockStats.js';
import type { TraceStore } from '../trace/traceStore.js';
import { el } from '../ui/element.js';
import { renderLockTable } from '../meters/lockTable.js';

/** While a trace grows, the table is redrawn at most this often: it is cheap, not free. */
const LIVE_REDRAW_MS = 500;

export class LockSection {
  readonly node = el('details', 'tl-Locks');
  private readonly body = el('div', 'tl-LocksBody');
  private drawn: { store: TraceStore; revision: number } | null = null;
  private timer = 0;

  constructor() {
    this.node.open = true;
    this.node.append(el('summary', 'tl-LocksTitle', 'Lock contention'), this.body);
    this.node.hidden = true;
  }

  /** Draw the table of `store` (when it has locks) unless it is drawn or due already. */
  show(store: TraceStore, live: boolean, contentionWarning: number): void {
    if (!store.tables.locks.name.length || this.timer) return;
    if (this.drawn?.store === store && this.drawn.revision === store.revision) return;
    this.timer = window.setTimeout(
      () => {
        this.timer = 0;
        this.drawn = { store, revision: store.revision };
        this.node.hidden = false;
        this.body.replaceChildren(renderLockTable(lockStats(store), contentionWarning, false));
      },
      live ? LIVE_REDRAW_MS : 0
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = 0;
  }
}
