/**
 * Draws the timeline onto a 2D canvas context. Each lane is drawn span by span when few spans
 * are visible, or from its coverage mipmap (one rectangle run per pixel column at most) when
 * there are more spans than pixels, so a frame costs O(visible lanes × width).
 * Bars are written into a pixel buffer (BarLayer) and composited once.
 */
import { SpanKind } from '../../protocol/trace.js';
import type { LaneIndex } from '../trace/laneIndex.js';
import { KIND_COUNT } from '../trace/coverageMipmap.js';
import { RAW_ALWAYS } from '../trace/laneIndex.js';
import type { Row } from './laneLayout.js';
import { GROUP_LABELS, visibleRows } from './laneLayout.js';
import type { Palette } from './palette.js';
import type { TimeScale } from './timeScale.js';
import type { TraceStore } from '../trace/traceStore.js';
import type { SampleIndex } from '../trace/laneSamples.js';
import type { BarLayer } from './barLayer.js';
import { fateOf } from '../trace/taskFates.js';
import type { Fate } from '../trace/taskFates.js';
import { drawFateMarker } from './fateMarkers.js';

export interface Geometry {
  width: number;
  height: number;
  labelW: number;
  axisH: number;
  scrollY: number;
}

export interface PaintInput extends Geometry {
  ctx: CanvasRenderingContext2D;
  store: TraceStore;
  lanes: LaneIndex[];
  rows: Row[];
  scale: TimeScale;
  palette: Palette;
  samples: SampleIndex;
  hoverSpan: number;
  pinnedSpan: number;
  /** label per lane, computed once per layout */
  laneLabel: (lane: number) => string;
  live: boolean;
  /** the reusable pixel buffer for bars; its `colors` are set by the caller from the palette */
  bars: BarLayer;
  /** draws the bar layer onto ctx at (x, y) */
  composite: (bars: BarLayer, x: number, y: number) => void;
}

export interface PaintStats {
  /** pixels written by bars */
  pixels: number;
  rawLanes: number;
  mipLanes: number;
  /** fate markers drawn at lane ends */
  markers: number;
  /** await connectors drawn (by the view, after the painter) */
  arrows: number;
}

export interface Bands {
  mainY: number;
  mainH: number;
  thinY: number;
  thinH: number;
  lockY: number;
  lockH: number;
}

/** Vertical bands of a lane row: the task/thread state on top, locks in a strip below. */
export function bands(y: number, h: number): Bands {
  const lockH = Math.max(2, Math.round(h * 0.18));
  const mainY = y + 2;
  const mainH = h - lockH - 5;
  const thinH = Math.max(2, Math.round(mainH * 0.3));
  return { mainY, mainH, thinY: mainY + Math.round((mainH - thinH) / 2), thinH, lockY: y + h - lockH - 2, lockH };
}

export function paintTimeline(p: PaintInput): PaintStats {
  const { ctx, width, height, labelW, axisH, scale, palette: pal } = p;
  const stats: PaintStats = { pixels: 0, rawLanes: 0, mipLanes: 0, markers: 0, arrows: 0 };
  const plotW = Math.max(1, width - labelW);
  ctx.save();
  ctx.fillStyle = pal.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = pal.font;
  ctx.textBaseline = 'middle';

  // axis and grid
  const ticks = scale.ticks(90);
  ctx.fillStyle = pal.grid;
  for (const t of ticks) ctx.fillRect(Math.round(labelW + t.x), axisH - 4, 1, height - axisH + 4);
  ctx.fillRect(labelW, axisH - 1, plotW, 1);
  ctx.fillStyle = pal.textDim;
  ctx.textAlign = 'left';
  for (const t of ticks) if (t.x + 50 < plotW) ctx.fillText(t.label, labelW + t.x + 3, axisH / 2);

  // rows
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, axisH, width, height - axisH);
  ctx.clip();
  const t0 = scale.t0;
  const t1 = scale.t1;
  const usPerPx = scale.usPerPx;
  const bars = p.bars;
  bars.resize(plotW, height - axisH);
  const cpuRects: number[] = [];
  const markers: { x: number; y: number; size: number; fate: Fate }[] = [];
  const top = p.scrollY;
  const bottom = p.scrollY + height - axisH;
  const duration = p.store.duration;
  let alt = false;
  for (const row of visibleRows(p.rows, top, bottom)) {
    const y = axisH + row.y - p.scrollY;
    if (row.type === 'group') {
      ctx.fillStyle = pal.header;
      ctx.fillRect(0, y, width, row.h);
      ctx.fillStyle = pal.text;
      ctx.textAlign = 'left';
      ctx.fillText(`${row.collapsed ? '▸' : '▾'} ${GROUP_LABELS[row.group]} (${row.count})`, 4, y + row.h / 2);
      alt = false;
      continue;
    }
    alt = !alt;
    if (alt) {
      ctx.fillStyle = pal.rowAlt;
      ctx.fillRect(0, y, width, row.h);
    }
    ctx.fillStyle = pal.textDim;
    ctx.textAlign = 'left';
    if (row.type === 'core') {
      ctx.fillText(`core ${row.core}`, 12, y + row.h / 2);
      const s = p.samples.cores[row.core];
      if (!s) continue;
      const [lo, hi] = s.range(t0, t1);
      // one rect per sample interval, merged to at most one per pixel column per alpha level
      let lastX = -1;
      for (let i = lo; i < hi; i++) {
        const a = Math.max(0, Math.floor(scale.x(s.t[i])));
        const b = Math.min(plotW, Math.ceil(scale.x(i + 1 < s.n ? s.t[i + 1] : Math.max(duration, s.t[i]))));
        if (b <= lastX || b <= a) continue;
        const x0 = Math.max(a, lastX);
        ctx.globalAlpha = Math.min(1, Math.max(0.05, s.v[i] / 100));
        ctx.fillStyle = pal.core;
        ctx.fillRect(labelW + x0, y + 1, b - x0, row.h - 2);
        lastX = b;
      }
      ctx.globalAlpha = 1;
      continue;
    }
    const lane = row.lane;
    ctx.fillText(ellipsize(ctx, p.laneLabel(lane), labelW - 16), 12, y + row.h / 2);
    const g = bands(y, row.h);
    const gb = bands(y - axisH, row.h);
    // lifetime line
    const lStart = p.store.tables.lanes.start[lane];
    const lEnd = p.store.laneEndTime(lane) ?? duration;
    const lx0 = Math.max(0, scale.x(lStart));
    const lx1 = Math.min(plotW, scale.x(lEnd));
    if (lx1 > lx0) {
      ctx.fillStyle = pal.grid;
      ctx.fillRect(labelW + lx0, g.thinY + g.thinH / 2 - 0.5, Math.max(1, lx1 - lx0), 1);
    }
    // how it ended, at its end: drawn over the bars once they are composited
    const fate = fateOf(p.store, lane);
    const size = Math.min(10, g.mainH);
    const ex = scale.x(lEnd);
    if (fate !== 'running' && ex >= -size && ex <= plotW + size) {
      // kept whole inside the plot: a lane that ends with the trace ends at its right edge
      const mx = Math.max(size / 2, Math.min(plotW - size / 2 - 1, ex));
      markers.push({ x: labelW + mx, y: g.mainY + g.mainH / 2, size, fate });
    }
    // thread/process CPU samples: drawn over the bars (after compositing) as a level in the lane,
    // so 4 threads sharing the GIL look half full where 4 processes look full
    const ls = p.samples.lanes.get(lane);
    if (ls) {
      const [lo, hi] = ls.range(t0, t1);
      let lastX = -1;
      for (let i = lo; i < hi; i++) {
        const a = Math.max(0, Math.floor(scale.x(ls.t[i])));
        const b = Math.min(plotW, Math.ceil(scale.x(i + 1 < ls.n ? ls.t[i + 1] : Math.max(lEnd, ls.t[i]))));
        if (b <= lastX || b <= a) continue;
        const x0 = Math.max(a, lastX);
        const level = Math.min(1, Math.max(0, ls.v[i] / 100));
        const h = Math.round(g.mainH * level);
        if (h > 0) cpuRects.push(labelW + x0, g.mainY + g.mainH - h, b - x0, h);
        lastX = b;
      }
    }
    const idx = p.lanes[lane];
    if (!idx || idx.count === 0) continue;
    // span by span while spans are wider than ~2 px on average, else from the coverage summary
    const raw = idx.count <= RAW_ALWAYS || idx.visibleCount(t0, t1) <= plotW / 2 || usPerPx < idx.mipmap().binWidths[0];
    if (raw) {
      stats.rawLanes++;
      drawRaw(idx, scale, plotW, gb, bars);
    } else {
      stats.mipLanes++;
      drawMip(idx, scale, plotW, gb, bars, usPerPx);
    }
  }
  stats.pixels = bars.written;
  p.composite(bars, labelW, axisH);
  if (cpuRects.length) {
    ctx.fillStyle = pal.cpu;
    ctx.beginPath();
    for (let i = 0; i < cpuRects.length; i += 4) {
      ctx.rect(cpuRects[i], cpuRects[i + 1], cpuRects[i + 2], cpuRects[i + 3]);
    }
    ctx.fill();
  }
  for (const m of markers) drawFateMarker(ctx, m.fate, m.x, m.y, m.size, pal);
  stats.markers = markers.length;

  // hover and pinned outlines
  for (const [span, dash] of [
    [p.hoverSpan, true],
    [p.pinnedSpan, false]
  ] as const) {
    if (span < 0 || span >= p.store.spanCount) continue;
    const lane = p.store.tables.spans.lane[span];
    const row = p.rows.find(r => r.type === 'lane' && r.lane === lane);
    if (!row) continue;
    const y = axisH + row.y - p.scrollY;
    const g = bands(y, row.h);
    const kind = p.store.tables.spans.kind[span];
    const isLock = kind === SpanKind.lockWait || kind === SpanKind.lockHold;
    const sx0 = scale.x(p.store.tables.spans.start[span]);
    const sx1 = scale.x(p.store.tables.spans.end[span]);
    if (sx1 < -1 || sx0 > plotW + 1) continue; // scrolled out of view
    const x0 = Math.max(-2, sx0);
    const x1 = Math.min(plotW + 2, sx1);
    ctx.strokeStyle = pal.focus;
    ctx.lineWidth = dash ? 1 : 2;
    ctx.setLineDash(dash ? [3, 2] : []);
    const [bandY, bandH] = isLock ? [g.lockY, g.lockH] : [g.mainY, g.mainH];
    ctx.strokeRect(labelW + x0 - 1, bandY - 1, Math.max(3, x1 - x0 + 2), bandH + 2);
    ctx.setLineDash([]);
  }
  ctx.restore();

  // gutter edge
  ctx.fillStyle = pal.grid;
  ctx.fillRect(labelW - 1, 0, 1, height);
  if (p.live) {
    ctx.fillStyle = pal.blocked;
    ctx.beginPath();
    ctx.arc(width - 10, axisH / 2, 4, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
  return stats;
}

/** Paint one span kind over [x0, x1) in its band of the lane (colour slot = kind). */
function fillKind(bars: BarLayer, kind: number, x0: number, x1: number, g: Bands): void {
  switch (kind) {
    case SpanKind.suspended:
      return bars.fill(SpanKind.suspended, x0, x1, g.thinY, g.thinH);
    case SpanKind.lockWait:
    case SpanKind.lockHold:
      return bars.fill(kind, x0, x1, g.lockY, g.lockH);
    case SpanKind.blocked:
      return bars.fill(SpanKind.blocked, x0, x1, g.mainY - 1, g.mainH + 2);
    default:
      return bars.fill(SpanKind.run, x0, x1, g.mainY, g.mainH);
  }
}

function drawRaw(idx: LaneIndex, scale: TimeScale, plotW: number, g: Bands, bars: BarLayer): void {
  idx.forEachVisible(scale.t0, scale.t1, (start, end, kind) => {
    const k = kind < KIND_COUNT ? kind : 0;
    const x0 = Math.floor(scale.x(start));
    let x1 = Math.ceil(scale.x(end));
    const min = k === SpanKind.blocked ? 2 : 1;
    if (x1 - x0 < min) x1 = x0 + min;
    // a 1 px gap between neighbouring slices when they are wide enough to tell apart
    else if (x1 - x0 > 4 && k !== SpanKind.suspended) x1 -= 1;
    if (x1 <= 0 || x0 >= plotW) return;
    fillKind(bars, k, x0, x1, g);
  });
}

function drawMip(idx: LaneIndex, scale: TimeScale, plotW: number, g: Bands, bars: BarLayer, usPerPx: number): void {
  const mip = idx.mipmap();
  const level = mip.levelFor(usPerPx);
  const w = mip.binWidths[level];
  const arr = mip.levels[level];
  const bins = arr.length / KIND_COUNT;
  // columns outside the lane's data stay empty: start and stop where the data is
  const xFirst = Math.max(0, Math.floor(scale.x(0)));
  const xLast = Math.min(plotW, Math.ceil(scale.x(idx.maxEnd)) + 1);
  // run-length encode consecutive columns with the same main/lock kind
  let mainKind = -1;
  let mainStart = 0;
  let lockKind = -1;
  let lockStart = 0;
  const emit = (kind: number, from: number, to: number): void => {
    if (kind >= 0 && to > from) fillKind(bars, kind, from, to, g);
  };
  // walk the bins once, left to right: each column takes the bins whose centre falls inside it
  const t0 = scale.t0;
  const step = scale.usPerPx;
  let b = Math.max(0, Math.round((t0 + xFirst * step) / w));
  for (let x = xFirst; x <= xLast; x++) {
    let mk = -1;
    let lk = -1;
    if (x < xLast) {
      const bEnd = Math.min(bins, Math.round((t0 + (x + 1) * step) / w));
      let i = b;
      // a column narrower than a bin takes the bin under it
      if (bEnd <= i) i = Math.max(0, Math.min(bins - 1, bEnd - 1));
      let run = 0;
      let susp = 0;
      let wait = 0;
      let hold = 0;
      let blocked = 0;
      for (const stop = Math.max(bEnd, i + 1); i < stop && i < bins; i++) {
        const o = i * KIND_COUNT;
        run += arr[o + SpanKind.run];
        susp += arr[o + SpanKind.suspended];
        wait += arr[o + SpanKind.lockWait];
        hold += arr[o + SpanKind.lockHold];
        blocked += arr[o + SpanKind.blocked];
      }
      if (bEnd > b) b = bEnd;
      if (blocked > 0) mk = SpanKind.blocked;
      else if (run > 0 && run >= 0.25 * (run + susp)) mk = SpanKind.run;
      else if (susp > 0) mk = SpanKind.suspended;
      if (wait > 0) lk = SpanKind.lockWait;
      else if (hold > 0) lk = SpanKind.lockHold;
    }
    if (mk !== mainKind) {
      emit(mainKind, mainStart, x);
      mainKind = mk;
      mainStart = x;
    }
    if (lk !== lockKind) {
      emit(lockKind, lockStart, x);
      lockKind = lk;
      lockStart = x;
    }
  }
}

const ellipsisCache = new Map<string, string>();

function ellipsize(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  const key = `${maxW}|${ctx.font}|${text}`;
  const hit = ellipsisCache.get(key);
  if (hit !== undefined) return hit;
  let out = text;
  if (ctx.measureText(text).width > maxW) {
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ctx.measureText(text.slice(0, mid) + '…').width <= maxW) lo = mid;
      else hi = mid - 1;
    }
    out = text.slice(0, lo) + '…';
  }
  if (ellipsisCache.size > 5000) ellipsisCache.clear();
  ellipsisCache.set(key, out);
  return out;
}
