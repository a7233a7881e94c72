/**
 * Who awaits whom, on the canvas: at the moment a task starts awaiting another task, a connector
 * from the awaiting lane (a dot) to the awaited lane (an arrowhead). gather() and TaskGroup
 * children start together, so their connectors share one vertical line with a head per child.
 * Only the connectors that start in view are drawn (a binary search in the await index), at most
 * MAX_ARROWS per frame, evenly thinned beyond that, so a frame's cost does not grow with the trace.
 * Drawn after the painter, over the bars and inside the rows' area (the caller clips).
 */
import type { AwaitIndex } from '../trace/awaitIndex.js';
import type { AwaitTable } from '../../protocol/trace.js';
import type { LaneRow } from './laneLayout.js';
import type { Palette } from './palette.js';
import type { TimeScale } from './timeScale.js';
import { bands } from './timelinePainter.js';

/** More connectors than this in view would be a solid block: thin them evenly. */
export const MAX_ARROWS = 400;
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
  for (let i = lo; i < hi; i += step) {
    const row = awaits.rowAt(i);
    const from = p.rowOf(table.lane[row]);
    const to = p.rowOf(table.target[row]);
    if (!from || !to || from === to) continue;
    const y0 = centre(from);
    const y1 = centre(to);
    // both ends above or both below the visible rows: nothing of it shows
    if (Math.max(y0, y1) < axisH || Math.min(y0, y1) > axisH + p.bodyH) continue;
    const dir = y1 > y0 ? 1 : -1;
    out.push({ row, x: Math.round(labelW + scale.x(table.start[row])) + 0.5, y0, tip: y1 - dir * (to.h / 4), dir });
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
    // one path for the stems and dots, one for the heads: a fill and a stroke per pass
    ctx.beginPath();
    for (const c of connectors) {
      if (emphasis.has(c.row) !== strong) continue;
      ctx.moveTo(c.x, c.y0);
      ctx.lineTo(c.x, c.tip);
      ctx.moveTo(c.x + 2, c.y0);
      ctx.arc(c.x, c.y0, 2, 0, Math.PI * 2);
    }
    ctx.stroke();
    ctx.beginPath();
    for (const c of connectors) {
      if (emphasis.has(c.row) !== strong) continue;
      ctx.moveTo(c.x, c.tip);
      ctx.lineTo(c.x - HEAD, c.tip - c.dir * HEAD * 1.5);
      ctx.lineTo(c.x + HEAD, c.tip - c.dir * HEAD * 1.5);
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.restore();
}
