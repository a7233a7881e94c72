/**
 * How each lane ended, in the words a learner reads: a task returned, raised, was cancelled (why,
 * and by whom where the probe knows), was destroyed while pending or was never awaited. The
 * timeline's end markers, tooltip, details and summary line all read this. Pure: no DOM.
 */
import { LaneKind, Outcome } from '../../protocol/trace.js';
import { formatCount } from '../ui/format.js';
import type { TraceStore } from './traceStore.js';

/** A lane's fate; `running` while its end is not in the trace (yet). */
export const FATES = ['returned', 'raised', 'cancelled', 'destroyed', 'neverAwaited', 'running'] as const;
export type Fate = (typeof FATES)[number];

export const FATE_LABELS: Record<Fate, string> = {
  returned: 'returned',
  raised: 'raised',
  cancelled: 'cancelled',
  destroyed: 'destroyed while pending',
  neverAwaited: 'never awaited',
  running: 'still running'
};

const BY_OUTCOME: Record<Outcome, Fate> = {
  [Outcome.ok]: 'returned',
  [Outcome.error]: 'raised',
  [Outcome.cancelled]: 'cancelled',
  [Outcome.destroyed]: 'destroyed',
  [Outcome.neverAwaited]: 'neverAwaited'
};

export function fateOf(store: TraceStore, lane: number): Fate {
  const row = store.endRow(lane);
  return row < 0 ? 'running' : (BY_OUTCOME[store.tables.ends.outcome[row]] ?? 'returned');
}

/** The exception's type out of an error detail ("ValueError: boom" → "ValueError"). */
export function exceptionType(detail: string): string {
  return /^[A-Za-z_][\w.]*(?=:|$)/.exec(detail)?.[0] ?? detail;
}

/**
 * One line for people: "raised ValueError: boom", "cancelled: TaskGroup abort, because boom
 * raised ValueError", "cancelled: cancel() by main", "returned 42". `name` names lanes.
 */
export function describeFate(store: TraceStore, lane: number, name: (lane: number) => string): string {
  const fate = fateOf(store, lane);
  const row = store.endRow(lane);
  if (row < 0) return FATE_LABELS.running;
  const { ends } = store.tables;
  const detail = store.str(ends.detail[row]);
  switch (fate) {
    case 'returned':
      return detail && store.tables.lanes.kind[lane] === LaneKind.task ? `returned ${detail}` : 'returned';
    case 'raised':
      return detail ? `raised ${detail}` : 'raised';
    case 'cancelled':
      return cancelText(store, row, detail, name);
    default:
      return FATE_LABELS[fate];
  }
}

function cancelText(store: TraceStore, row: number, detail: string, name: (lane: number) => string): string {
  const { ends } = store.tables;
  // without a reason, the message passed to cancel() (the detail, "cancelled: <message>") says why
  const reason = store.str(ends.reason[row]) || detail.replace(/^cancelled:?\s*/, '');
  const by = ends.by[row];
  let text = reason ? `cancelled: ${reason}` : 'cancelled';
  if (by < 0 || by >= store.laneCount) return text;
  // the lane whose error aborted a group is the cause; any other lane is who called cancel()
  if (fateOf(store, by) === 'raised') {
    const error = exceptionType(store.str(ends.detail[store.endRow(by)]));
    text += `${reason ? ',' : ''} because ${name(by)} raised${error ? ` ${error}` : ''}`;
  } else {
    text += ` by ${name(by)}`;
  }
  return text;
}

/** How many task lanes met each fate. */
export function countFates(store: TraceStore): Record<Fate, number> {
  const counts = Object.fromEntries(FATES.map(f => [f, 0])) as Record<Fate, number>;
  const { kind } = store.tables.lanes;
  for (let lane = 0; lane < kind.length; lane++) if (kind[lane] === LaneKind.task) counts[fateOf(store, lane)]++;
  return counts;
}

/** "1 returned, 1 raised, 2 cancelled": the fates that occur, in FATES order. */
export function formatFates(counts: Record<Fate, number>): string {
  return FATES.filter(f => counts[f] > 0)
    .map(f => `${formatCount(counts[f])} ${FATE_LABELS[f]}`)
    .join(', ');
}
