/** What the timeline says about a span (tooltip, pinned details) and about anything else under the pointer. */
import { LANE_KIND_LABELS, LaneKind, OUTCOME_LABELS, SPAN_KIND_LABELS, SpanKind } from '../../protocol/trace.js';
import { awaitChain, chainText } from '../trace/awaitChain.js';
import type { SampleIndex } from '../trace/laneSamples.js';
import { describeFate, fateOf } from '../trace/taskFates.js';
import type { TraceStore } from '../trace/traceStore.js';
import { el } from '../ui/element.js';
import { formatDuration, formatPercent } from '../ui/format.js';
import type { Hit } from './hitTest.js';
import { GROUP_LABELS } from './laneLayout.js';
import type { TimeScale } from './timeScale.js';

export interface Describer {
  store: TraceStore;
  laneLabel: (lane: number) => string;
}

/**
 * A span: its lane and kind, times, label and lock, and a task's fate; `full` adds the lane's
 * origin and end and, for a task, its await chain at time `at` (default: the span's middle).
 */
export function describeSpan({ store, laneLabel }: Describer, span: number, full: boolean, at?: number): HTMLElement {
  const { spans, lanes, locks, ends } = store.tables;
  const lane = spans.lane[span];
  const kind = spans.kind[span];
  const box = el('div', 'tl-SpanInfo');
  const line = (key: string, value: string): void => {
    if (!value) return;
    const row = el('div', 'tl-InfoRow');
    row.append(el('span', 'tl-InfoKey', key), el('span', 'tl-InfoVal', value));
    box.append(row);
  };
  box.append(el('div', 'tl-InfoTitle', `${laneLabel(lane)} — ${SPAN_KIND_LABELS[kind] ?? 'span'}`));
  line('start', formatDuration(spans.start[span]));
  line('duration', formatDuration(spans.end[span] - spans.start[span]));
  const label = store.str(spans.label[span]);
  if (kind === SpanKind.suspended) line('awaiting', label);
  else if (kind === SpanKind.blocked) line('at', label);
  else line('label', label);
  const lock = spans.lock[span];
  if (lock >= 0) line('lock', `${store.str(locks.name[lock])} (${store.str(locks.kind[lock])})`);
  const isTask = lanes.kind[lane] === LaneKind.task;
  if (isTask && fateOf(store, lane) !== 'running') line('fate', describeFate(store, lane, laneLabel));
  if (!full) return box;
  if (isTask) {
    const t = at ?? (spans.start[span] + spans.end[span]) / 2;
    const chain = awaitChain(store, lane, t);
    if (chain.lanes.length > 1 || kind === SpanKind.suspended) {
      line('await chain', `${chainText(store, chain, laneLabel)} (at ${formatDuration(t)})`);
    }
    line('also awaits', chain.alsoAwaits.map(laneLabel).join(', '));
  }
  line('lane kind', LANE_KIND_LABELS[lanes.kind[lane]] ?? '');
  line('created at', store.str(lanes.site[lane]));
  const by = lanes.created_by[lane];
  if (by >= 0) line('created by', laneLabel(by));
  const end = ends.lane.lastIndexOf(lane);
  if (end < 0) return box;
  line('ended', `${formatDuration(ends.t[end])}${isTask ? '' : `, ${OUTCOME_LABELS[ends.outcome[end]] ?? ''}`}`);
  if (!isTask) line('detail', store.str(ends.detail[end]));
  const cpu = ends.cpu_us[end];
  if (cpu >= 0) {
    const life = ends.t[end] - lanes.start[lane];
    line('CPU time', `${formatDuration(cpu)}${life > 0 ? ` (${formatPercent(cpu / life)} of its life)` : ''}`);
  }
  return box;
}

/** The tooltip for what is under the pointer: a span, a core's load, a lane's name, a group's header. */
export function describeHit(
  describer: Describer & { samples: SampleIndex; scale: TimeScale },
  { row, span, x }: Hit
): HTMLElement | null {
  if (span >= 0) return describeSpan(describer, span, false);
  if (row?.type === 'group') {
    return el('div', '', `${GROUP_LABELS[row.group]}: click to ${row.collapsed ? 'expand' : 'collapse'}`);
  }
  if (!row || x < 0) return null;
  if (row.type === 'lane') return describeLane(describer, row.lane);
  const series = describer.samples.cores[row.core];
  const i = series ? series.at(describer.scale.t(x)) : -1;
  if (!series || i < 0) return null;
  return el('div', '', `core ${row.core}: ${Math.round(series.v[i])}% busy at ${formatDuration(series.t[i])}`);
}

/** A lane's name and, for a task that ended, its fate (hovering past the last span, over the end marker). */
function describeLane({ store, laneLabel }: Describer, lane: number): HTMLElement {
  const box = el('div', '', laneLabel(lane));
  if (store.tables.lanes.kind[lane] === LaneKind.task && fateOf(store, lane) !== 'running') {
    box.append(el('div', 'tl-InfoVal', describeFate(store, lane, laneLabel)));
  }
  return box;
}
