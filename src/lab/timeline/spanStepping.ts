/** Stepping through spans by keyboard: along the pinned span's lane, or across to a neighbouring lane. Pure. */
import type { LaneRow, Row } from './laneLayout.js';
import type { Scene } from './scene.js';

function laneRows(rows: readonly Row[]): LaneRow[] {
  return rows.filter((row): row is LaneRow => row.type === 'lane');
}

/**
 * The next (dir 1) or previous (-1) span of the pinned span's lane; with nothing pinned, the
 * first or last one in view on the top lane. -1 when there is none.
 */
export function stepAlongLane(scene: Scene, pinned: number, dir: 1 | -1): number {
  const spans = scene.store.tables.spans;
  const top = laneRows(scene.rows)[0];
  if (!top) return -1;
  const index = scene.lanes[pinned >= 0 ? spans.lane[pinned] : top.lane];
  if (!index) return -1;
  const { scale } = scene.viewport;
  const t = pinned >= 0 ? spans.start[pinned] : dir > 0 ? scale.t0 - 1 : scale.t1 + 1;
  return dir > 0 ? index.nextAfter(t) : index.prevBefore(t);
}

/**
 * The span at the pinned span's time (or the middle of the view) on the nearest lane below
 * (dir 1) or above (-1) that has spans: the one under that time, else the nearest after, else
 * before. Null when there is none.
 */
export function stepAcrossLanes(scene: Scene, pinned: number, dir: 1 | -1): { span: number; row: LaneRow } | null {
  const spans = scene.store.tables.spans;
  const rows = laneRows(scene.rows);
  const { scale } = scene.viewport;
  const from = pinned >= 0 ? rows.findIndex(row => row.lane === spans.lane[pinned]) : -1;
  const t = pinned >= 0 ? spans.start[pinned] : scale.t((scale.width / 2) | 0);
  for (let i = from + dir; i >= 0 && i < rows.length; i += dir) {
    const index = scene.lanes[rows[i].lane];
    if (!index || index.count === 0) continue;
    let span = index.hit(t, scale.usPerPx * 2);
    if (span < 0) span = index.nextAfter(t);
    if (span < 0) span = index.prevBefore(t);
    if (span >= 0) return { span, row: rows[i] };
  }
  return null;
}
