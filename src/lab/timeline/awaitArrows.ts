/**
 * Who awaits whom, on the canvas: at the moment a task starts awaiting another task, a connector
 * from the awaiting lane (a square dot) to the awaited lane (an arrowhead). gather() and TaskGroup
 * children start together, so their connectors share one vertical line with a head per child.
 * Only the connectors that start in view are drawn (a binary search in the await index), at most
 * MAX_ARROWS per frame, evenly thinned beyond that and one per lane pair and pixel column, so a
 * frame's cost does not grow with the trace.
 * Drawn after the painter, over the bars and inside the rows' area (the caller clips).
 */
import type { AwaitIndex } from '../trace/awaitIndex.js';
import type { AwaitTable } from '../../protocol/trace.js';
import type { LaneRow } from './laneLayout.js';
import type { Palette } from './palette.js';
import type { TimeScale } from './timeScale.js';
import { bands } from './timelinePainter.js';

/** More connectors than this in view would be a solid block: thin them evenly. */
export const MAX_ARROWS = 300;
const HEAD = 4;

export interface ArrowGeometry {
  awaits: AwaitIndex;
  table: AwaitTable;
  scale: TimeScale;
  labelW: number;
  axisH: number;
  scrollY: number;
  /** height of the rows' area, px */
  bodyH: number;
  /** the row a lane is drawn in, undefined when its group is hidden or collapsed */
  rowOf: (lane: number) => LaneRow | undefined;
}

/** One connector, in canvas px: from the awaiting lane's centre (x, y0) to the arrow's tip. */
export interface Connector {
  /** row of the awaits table */
  row: number;
  x: number;
  y0: number;
  tip: number;
  /** 1 when the awaited lane is below the awaiting one */
  dir: 1 | -1;
}

/** The connectors that start in view and have a lane on screen, thinned to MAX_ARROWS. */
export function connectorsInView(p: ArrowGeometry): Connector[] {
  const { awaits, table, scale, labelW, axisH } = p;
  const [lo, hi] = awaits.startingIn(scale.t0, scale.t1);
  const step = Math.max(1, Math.ceil((hi - lo) / MAX_ARROWS));
  const centre = (row: LaneRow): number => {
    const g = bands(axisH + row.y - p.scrollY, row.h);
    return g.mainY + g.mainH / 2;
  };
  const out: Connector[] = [];
  // in start order x never decreases: the lane pairs already drawn in the current pixel column
  let column = -Infinity;
  const inColumn = new Set<number>();
  for (let i = lo; i < hi; i += step) {
    const row = awaits.rowAt(i);
    const from = p.rowOf(table.lane[row]);
    const to = p.rowOf(table.target[row]);
    if (!from || !to || from === to) continue;
    const x = Math.round(labelW + scale.x(table.start[row])) + 0.5;
    if (x !== column) {
      column = x;
      inColumn.clear();
    }
    const pair = table.lane[row] * 0x10000 + table.target[row];
    if (inColumn.has(pair)) continue;
    inColumn.add(pair);
    const y0 = centre(from);
    const y1 = centre(to);
    // both ends above or both below the visible rows: nothing of it shows
    if (Math.max(y0, y1) < axisH || Math.min(y0, y1) > axisH + p.bodyH) continue;
    const dir = y1 > y0 ? 1 : -1;
    out.push({ row, x, y0, tip: y1 - dir * (to.h / 4), dir });
  }
  return out;
}

/** Draws the connectors; those whose row is in `emphasis` (the pinned await chain) stand out. */
export function paintAwaitArrows(
  ctx: CanvasRenderingContext2D,
  connectors: readonly Connector[],
  palette: Palette,
  emphasis: ReadonlySet<number>
): void {
  if (!connectors.length) return;
  ctx.save();
  ctx.strokeStyle = ctx.fillStyle = palette.awaits;
  for (const strong of [false, true]) {
    ctx.globalAlpha = strong ? 1 : 0.7;
    ctx.lineWidth = strong ? 2.5 : 1;
    if (strong) ctx.strokeStyle = ctx.fillStyle = palette.focus;
    // one path for the stems, one for the dots and heads: a stroke and a fill per pass
    ctx.beginPath();
    for (const c of connectors) {
      if (emphasis.has(c.row) !== strong) continue;
      ctx.moveTo(c.x, c.y0);
      ctx.lineTo(c.x, c.tip);
    }
    ctx.stroke();
    ctx.beginPath();
    for (const c of connectors) {
      if (emphasis.has(c.row) !== strong) continue;
      ctx.rect(c.x - 2, c.y0 - 2, 4, 4);
      ctx.moveTo(c.x, c.tip);
      ctx.lineTo(c.x - HEAD, c.tip - c.dir * HEAD * 1.5);
      ctx.lineTo(c.x + HEAD, c.tip - c.dir * HEAD * 1.5);
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.restore();
}
