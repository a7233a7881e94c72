import { describe, expect, it } from 'vitest';
import { taskGroupTrace } from '../fatesTrace.js';
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { layoutRows } from '../../../src/lab/timeline/laneLayout.js';
import { SampleIndex } from '../../../src/lab/trace/laneSamples.js';
import { TimeScale } from '../../../src/lab/timeline/timeScale.js';
import { BarLayer } from '../../../src/lab/timeline/barLayer.js';
import { paintTimeline } from '../../../src/lab/timeline/timelinePainter.js';
import type { PaintStats } from '../../../src/lab/timeline/timelinePainter.js';
import type { Palette } from '../../../src/lab/timeline/palette.js';
import { SpanKind } from '../../../src/protocol/trace.js';

/** A 2D context that draws nothing: the bars go to the BarLayer, which is what we inspect. */
function nullContext(): CanvasRenderingContext2D {
  const target: Record<string, unknown> = {
    measureText: (s: string) => ({ width: s.length * 6 })
  };
  return new Proxy(target, {
    get: (t, key: string) => (key in t ? t[key] : () => undefined),
    set: (t, key: string, value) => {
      t[key] = value;
      return true;
    }
  }) as unknown as CanvasRenderingContext2D;
}

const palette = new Proxy({}, { get: () => '#000' }) as Palette;
const SLOT_BLOCKED = 5; // colours[4] + 1: the test colour of slot s is s + 1

function paint(store: TraceStore, fit?: [number, number]): { stats: PaintStats; bars: BarLayer } {
  const width = 1000;
  const labelW = 150;
  const scale = new TimeScale(0, 1, width - labelW);
  const [a, b] = fit ?? [0, store.duration];
  scale.fit(a, b);
  const shown = new Set(['tasks', 'threads', 'processes', 'cores'] as const);
  const layout = layoutRows(store, { laneHeight: 18, collapsed: new Set(), shown });
  const bars = new BarLayer();
  bars.colors.set([1, 2, 3, 4, 5]);
  const stats = paintTimeline({
    ctx: nullContext(),
    width,
    height: 22 + 460,
    labelW,
    axisH: 22,
    scrollY: 0,
    store,
    lanes: store.index(),
    rows: layout.rows,
    scale,
    palette,
    samples: new SampleIndex().update(store),
    hoverSpan: -1,
    pinnedSpan: -1,
    laneLabel: l => `lane ${l}`,
    live: false,
    bars,
    composite: () => undefined
  });
  return { stats, bars };
}

function count(bars: BarLayer, value: number): number {
  let n = 0;
  for (const p of bars.pixels) if (p === value) n++;
  return n;
}

describe('timeline painter level of detail', () => {
  const shape = { tasks: 12, threads: 2, processes: 1, locks: 2, cores: 2, blockEvery: 301 };
  const small = TraceStore.fromTrace(generateTrace({ spans: 1_000, ...shape }));
  const big = TraceStore.fromTrace(generateTrace({ spans: 200_000, ...shape }));

  it('draws small lanes span by span and big ones from the summary', () => {
    expect(paint(small).stats.mipLanes).toBe(0);
    const { stats } = paint(big);
    expect(stats.mipLanes).toBeGreaterThan(0);
  });

  it('writes no more pixels than the plot has, however many spans there are', () => {
    const { bars, stats } = paint(big);
    expect(stats.pixels).toBeLessThanOrEqual(bars.width * bars.height);
    expect(stats.pixels).toBeGreaterThan(0);
  });

  it('keeps loop-blocking steps visible when zoomed out', () => {
    expect(count(paint(big).bars, SLOT_BLOCKED)).toBeGreaterThan(0);
  });

  it('shows a single blocked step at least 2 px wide when zoomed in on it', () => {
    const { spans } = big.tables;
    const i = spans.kind.indexOf(SpanKind.blocked);
    const { bars, stats } = paint(big, [spans.start[i] - 50_000, spans.end[i] + 50_000]);
    expect(stats.rawLanes).toBeGreaterThan(0);
    const px = count(bars, SLOT_BLOCKED);
    expect(px).toBeGreaterThanOrEqual(2 * 10);
  });

  it('switches a big lane back to exact spans when zoomed in far enough', () => {
    const d = big.duration;
    const narrow = paint(big, [d * 0.4, d * 0.401]);
    expect(narrow.stats.mipLanes).toBe(0);
    expect(narrow.stats.rawLanes).toBeGreaterThan(0);
    expect(narrow.stats.pixels).toBeLessThanOrEqual(narrow.bars.width * narrow.bars.height);
  });
});

describe('fate markers', () => {
  it('marks the end of every lane that ended and is in view, none on a lane still running', () => {
    const store = TraceStore.fromTrace(taskGroupTrace());
    // 10 task lanes, one of them (bg) still running
    expect(paint(store).stats.markers).toBe(9);
    // from 41 ms on, only lost (40 ms) and the lanes ending later are in view: forgotten() and main
    expect(paint(store, [41_000, 60_000]).stats.markers).toBe(2);
  });
});
