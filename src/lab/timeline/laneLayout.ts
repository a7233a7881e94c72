/**
 * Which rows the timeline shows, top to bottom: a header per group (tasks, threads, processes,
 * cores), then its lanes in creation order. Groups can be collapsed. Pure.
 */
import { LaneKind } from '../../protocol/trace.js';
import type { TraceStore } from '../trace/traceStore.js';
import { LANE_GROUPS } from '../ui/settings.js';
import type { LaneGroup } from '../ui/settings.js';

export type Row =
  | { type: 'group'; group: LaneGroup; label: string; count: number; collapsed: boolean; y: number; h: number }
  | { type: 'lane'; lane: number; group: LaneGroup; y: number; h: number }
  | { type: 'core'; core: number; y: number; h: number };

export type LaneRow = Extract<Row, { type: 'lane' }>;

export interface Layout {
  rows: Row[];
  height: number;
  /** lanes shown per group, for tests and aria labels */
  counts: Record<LaneGroup, number>;
}

export const GROUP_LABELS: Record<LaneGroup, string> = {
  tasks: 'asyncio tasks',
  threads: 'threads',
  processes: 'processes',
  cores: 'CPU cores'
};

export function groupOf(kind: number): LaneGroup {
  return kind === LaneKind.task ? 'tasks' : kind === LaneKind.thread ? 'threads' : 'processes';
}

export interface LayoutOptions {
  laneHeight: number;
  headerHeight?: number;
  coreHeight?: number;
  /** groups the user collapsed */
  collapsed: ReadonlySet<LaneGroup>;
  /** groups shown at all */
  shown: ReadonlySet<LaneGroup>;
}

/** The lane groups a trace has something in, in display order. */
export function groupsIn(store: TraceStore): LaneGroup[] {
  const present = new Set(store.tables.lanes.kind.map(groupOf));
  if (store.tables.cpu.t.length) present.add('cores');
  return LANE_GROUPS.filter(group => present.has(group));
}

/** Number of distinct cores in the CPU table. */
export function coreCount(store: TraceStore): number {
  let max = -1;
  const c = store.tables.cpu.core;
  for (let i = 0; i < c.length; i++) if (c[i] > max) max = c[i];
  return max + 1;
}

export function layoutRows(store: TraceStore, opts: LayoutOptions): Layout {
  const headerH = opts.headerHeight ?? 18;
  const coreH = opts.coreHeight ?? Math.max(8, Math.round(opts.laneHeight * 0.6));
  const { lanes } = store.tables;
  const byGroup: Record<LaneGroup, number[]> = { tasks: [], threads: [], processes: [], cores: [] };
  for (let l = 0; l < lanes.kind.length; l++) byGroup[groupOf(lanes.kind[l])].push(l);
  const byStart = (a: number, b: number): number => lanes.start[a] - lanes.start[b] || a - b;
  for (const group of LANE_GROUPS) byGroup[group].sort(byStart);
  const cores = coreCount(store);
  const rows: Row[] = [];
  const counts: Record<LaneGroup, number> = { tasks: 0, threads: 0, processes: 0, cores: 0 };
  let y = 0;
  for (const group of LANE_GROUPS) {
    const count = group === 'cores' ? cores : byGroup[group].length;
    if (count === 0 || !opts.shown.has(group)) continue;
    const collapsed = opts.collapsed.has(group);
    rows.push({ type: 'group', group, label: GROUP_LABELS[group], count, collapsed, y, h: headerH });
    y += headerH;
    if (collapsed) continue;
    counts[group] = count;
    if (group === 'cores') {
      for (let c = 0; c < cores; c++, y += coreH) rows.push({ type: 'core', core: c, y, h: coreH });
    } else {
      for (const lane of byGroup[group]) {
        rows.push({ type: 'lane', lane, group, y, h: opts.laneHeight });
        y += opts.laneHeight;
      }
    }
  }
  return { rows, height: y, counts };
}

/** The rows that intersect [top, bottom) (rows are sorted by y). */
export function visibleRows(rows: Row[], top: number, bottom: number): Row[] {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].y + rows[mid].h <= top) lo = mid + 1;
    else hi = mid;
  }
  const out: Row[] = [];
  for (let i = lo; i < rows.length && rows[i].y < bottom; i++) out.push(rows[i]);
  return out;
}
