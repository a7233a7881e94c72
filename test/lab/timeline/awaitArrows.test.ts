import { describe, expect, it } from 'vitest';
import { LANES, taskGroupTrace } from '../fatesTrace.js';
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { connectorsInView, MAX_ARROWS, paintAwaitArrows } from '../../../src/lab/timeline/awaitArrows.js';
import type { Connector } from '../../../src/lab/timeline/awaitArrows.js';
import { layoutRows } from '../../../src/lab/timeline/laneLayout.js';
import type { LaneRow } from '../../../src/lab/timeline/laneLayout.js';
import type { Palette } from '../../../src/lab/timeline/palette.js';
import { TimeScale } from '../../../src/lab/timeline/timeScale.js';
import { LANE_GROUPS } from '../../../src/lab/ui/settings.js';
import type { LaneGroup } from '../../../src/lab/ui/settings.js';

const PLOT_W = 850;
const LABEL_W = 150;
const AXIS_H = 22;

function connectors(
  store: TraceStore,
  window?: [number, number],
  collapsed: LaneGroup[] = [],
  bodyH = 600
): Connector[] {
  const layout = layoutRows(store, { laneHeight: 18, collapsed: new Set(collapsed), shown: new Set(LANE_GROUPS) });
  const rowOf = new Map(layout.rows.flatMap(r => (r.type === 'lane' ? [[r.lane, r] as [number, LaneRow]] : [])));
  const scale = new TimeScale(0, 1, PLOT_W);
  scale.fit(...(window ?? [0, store.duration]));
  return connectorsInView({
    awaits: store.awaits(),
    table: store.tables.awaits,
    scale,
    labelW: LABEL_W,
    axisH: AXIS_H,
    scrollY: 0,
    bodyH,
    rowOf: lane => rowOf.get(lane)
  });
}

describe('await connectors', () => {
  const store = TraceStore.fromTrace(taskGroupTrace());

  it('go from the awaiting lane to each awaited lane, at the await start', () => {
    const all = connectors(store);
    const pairs = all.map(c => [store.tables.awaits.lane[c.row], store.tables.awaits.target[c.row]]);
    expect(pairs.sort()).toEqual(
      [
        [LANES.main, LANES.boom],
        [LANES.main, LANES.slow1],
        [LANES.main, LANES.slow2],
        [LANES.killer, LANES.victim]
      ].sort()
    );
    // main is the top lane: its three arrows point down and share one vertical line (gather)
    const fromMain = all.filter(c => store.tables.awaits.lane[c.row] === LANES.main);
    expect(new Set(fromMain.map(c => c.x)).size).toBe(1);
    expect(fromMain.every(c => c.dir === 1 && c.tip > c.y0)).toBe(true);
    expect(fromMain[0].x).toBeGreaterThan(LABEL_W);
  });

  it('only those that start in view are drawn', () => {
    expect(connectors(store, [5_500, 60_000])).toHaveLength(1); // killer → victim starts at 6 ms
    expect(connectors(store, [6_500, 60_000])).toHaveLength(0);
  });

  it('none when the lanes are folded away or scrolled out of view', () => {
    expect(connectors(store, undefined, ['tasks'])).toHaveLength(0);
    // a body 10 px high shows no lane centre at all (the first lane starts under an 18 px header)
    expect(connectors(store, undefined, [], 10)).toHaveLength(0);
  });

  it('are thinned to MAX_ARROWS however many start in view', () => {
    const big = TraceStore.fromTrace(
      generateTrace({ spans: 200_000, tasks: 24, threads: 1, processes: 0, awaitEvery: 2 })
    );
    expect(big.tables.awaits.lane.length).toBeGreaterThan(MAX_ARROWS * 4);
    const drawn = connectors(big);
    expect(drawn.length).toBeGreaterThan(MAX_ARROWS / 2);
    expect(drawn.length).toBeLessThanOrEqual(MAX_ARROWS);
    expect(drawn.every(c => c.x >= LABEL_W && c.x <= LABEL_W + PLOT_W + 1)).toBe(true);
    // never two for the same lanes in one pixel column
    const keys = drawn.map(c => `${c.x}|${big.tables.awaits.lane[c.row]}|${big.tables.awaits.target[c.row]}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the pinned chain’s connectors are drawn in a second, stronger pass', () => {
    const calls: string[] = [];
    const ctx = new Proxy({} as Record<string, unknown>, {
      get: (t, key: string) => (key in t ? t[key] : () => calls.push(key)),
      set: (t, key: string, value) => {
        t[key] = value;
        if (key === 'lineWidth') calls.push(`lineWidth=${value}`);
        return true;
      }
    }) as unknown as CanvasRenderingContext2D;
    const palette = new Proxy({}, { get: (_, key) => String(key) }) as Palette;
    const all = connectors(store);
    paintAwaitArrows(ctx, all, palette, new Set([all[0].row]));
    const strong = calls.slice(calls.indexOf('lineWidth=2.5'));
    // the strong pass draws one stem (a line), one dot and one head (two lines)
    expect(strong.filter(c => c === 'lineTo')).toHaveLength(1 + 2);
    expect(strong.filter(c => c === 'rect')).toHaveLength(1);
    expect(calls.filter(c => c === 'lineTo')).toHaveLength(all.length * 3);
  });
});
