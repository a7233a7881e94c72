/** What lies under a point of the canvas: a row and, on a lane, the span there. Pure. */
import { SpanKind } from '../../protocol/trace.js';
import { defaultRank } from '../trace/laneIndex.js';
import type { Row } from './laneLayout.js';
import type { Scene } from './scene.js';
import { bands } from './timelinePainter.js';
import { AXIS_HEIGHT, LABEL_WIDTH } from './viewport.js';

export interface Hit {
  row: Row | null;
  /** the span under the point, -1 for none */
  span: number;
  /** x in the plot, px (negative over the lane labels) */
  x: number;
}

function isLock(kind: number): boolean {
  return kind === SpanKind.lockWait || kind === SpanKind.lockHold;
}

/** In a lane's lock strip, lock spans come first; above it, lock spans do not count. */
const rankInLockStrip = (kind: number): number => (isLock(kind) ? 10 + kind : defaultRank(kind));
const rankAboveLockStrip = (kind: number): number => (isLock(kind) ? -1 : defaultRank(kind));

/** The row at canvas y (px from the canvas top), or null over the axis and below the rows. */
export function rowAt(scene: Scene, y: number): Row | null {
  if (y < AXIS_HEIGHT) return null;
  const rowY = y - AXIS_HEIGHT + scene.viewport.scrollY;
  for (const row of scene.rows) if (rowY >= row.y && rowY < row.y + row.h) return row;
  return null;
}

/** What is under the canvas point (canvasX, y), in px from the canvas's top-left corner. */
export function hitTest(scene: Scene, canvasX: number, y: number): Hit {
  const x = canvasX - LABEL_WIDTH;
  const row = rowAt(scene, y);
  if (!row || row.type !== 'lane' || x < 0) return { row, span: -1, x };
  const index = scene.lanes[row.lane];
  if (!index) return { row, span: -1, x };
  const { scale, scrollY } = scene.viewport;
  const band = bands(AXIS_HEIGHT + row.y - scrollY, row.h);
  const rank = y >= band.lockY - 1 ? rankInLockStrip : rankAboveLockStrip;
  const span = index.hit(scale.t(x), scale.usPerPx * 2, rank);
  if (span >= 0 && rank(scene.store.tables.spans.kind[span]) < 0) return { row, span: -1, x };
  return { row, span, x };
}
