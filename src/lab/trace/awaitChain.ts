/**
 * `pstree` in time: what a task was waiting for at a moment, followed through the tasks it
 * awaited — "main → awaits worker → awaits asyncio.sleep(0.3)". Pure: no DOM.
 */
import { SpanKind } from '../../protocol/trace.js';
import type { TraceStore } from './traceStore.js';

export interface AwaitChain {
  /** outermost awaiter first: the tasks awaiting the one asked about, it, then each task it awaited */
  lanes: number[];
  /** position of the task asked about in `lanes` */
  focus: number;
  /** the awaits rows followed, one per step (lanes[i] → lanes[i + 1]) */
  rows: number[];
  /** the span the last task was in at that moment (what it was doing or awaiting), -1 for none */
  leafSpan: number;
  /** the chain came back to a task already in it (a deadlock): the last lane is that task */
  cycle: boolean;
  /** other tasks the one asked about awaited at the same moment (gather, TaskGroup) */
  alsoAwaits: number[];
}

/** The await chain through `lane` at time t (µs): who awaited it, and what it awaited, down to a non-task. */
export function awaitChain(store: TraceStore, lane: number, t: number): AwaitChain {
  const awaits = store.awaits();
  const table = store.tables.awaits;
  const lanes = [lane];
  const rows: number[] = [];
  const seen = new Set(lanes);
  // up: the latest awaiter at each level (a task awaited by several shows one of them)
  for (let cur = lane; ;) {
    const up = awaits.awaiterAt(cur, t);
    if (up < 0 || seen.has(table.lane[up])) break;
    cur = table.lane[up];
    lanes.unshift(cur);
    rows.unshift(up);
    seen.add(cur);
  }
  const focus = lanes.length - 1;
  const followed = awaits.activeAt(lane, t);
  const alsoAwaits = awaits
    .awaitingAt(lane, t)
    .filter(row => row !== followed)
    .map(row => table.target[row]);
  for (let row = followed; row >= 0; row = awaits.activeAt(lanes[lanes.length - 1], t)) {
    const target = table.target[row];
    lanes.push(target);
    rows.push(row);
    if (seen.has(target)) return { lanes, focus, rows, leafSpan: -1, cycle: true, alsoAwaits };
    seen.add(target);
  }
  const index = store.index()[lanes[lanes.length - 1]];
  return { lanes, focus, rows, leafSpan: index ? index.hit(t, 0, leafRank) : -1, cycle: false, alsoAwaits };
}

/** What the task waits on tells most: a lock wait, then an await, then a blocking step; a lock held least. */
const LEAF_RANK: Record<SpanKind, number> = {
  [SpanKind.lockWait]: 4,
  [SpanKind.suspended]: 3,
  [SpanKind.blocked]: 2,
  [SpanKind.run]: 1,
  [SpanKind.lockHold]: 0
};

function leafRank(kind: number): number {
  return LEAF_RANK[kind as SpanKind] ?? 0;
}

/** "main → awaits worker → awaits asyncio.sleep(0.3)"; `name` names lanes. */
export function chainText(store: TraceStore, chain: AwaitChain, name: (lane: number) => string): string {
  const text = chain.lanes.map(name).join(' → awaits ');
  if (chain.cycle) return `${text} (a cycle: these tasks wait for each other)`;
  const span = chain.leafSpan;
  if (span < 0) return text;
  const { spans, locks } = store.tables;
  const label = store.str(spans.label[span]);
  switch (spans.kind[span]) {
    case SpanKind.suspended:
      return label ? `${text} → awaits ${label}` : `${text} (suspended)`;
    case SpanKind.lockWait: {
      const lock = spans.lock[span];
      return `${text} → waits for lock ${lock >= 0 ? store.str(locks.name[lock]) : ''}`.trimEnd();
    }
    case SpanKind.blocked:
      return `${text} (blocking the event loop${label ? ` at ${label}` : ''})`;
    default:
      return `${text} (running)`;
  }
}
