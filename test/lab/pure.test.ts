import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatPercent } from '../../src/lab/ui/format.js';
import { TimeScale, niceStep } from '../../src/lab/timeline/timeScale.js';
import { LaneIndex, Mipmap, KIND_COUNT } from '../../src/lab/trace/laneIndex.js';
import { readSettings, DEFAULT_SETTINGS } from '../../src/lab/ui/settings.js';
import { CpuHistory, asMeterSample } from '../../src/lab/meters/cpuHistory.js';

describe('format', () => {
  it('picks a unit a person reads at a glance', () => {
    expect(formatDuration(0.09)).toBe('90 ns');
    expect(formatDuration(850)).toBe('850 µs');
    expect(formatDuration(12_340)).toBe('12.3 ms');
    expect(formatDuration(2_050_000)).toBe('2.05 s');
    expect(formatDuration(125e6)).toBe('2 min 5 s');
    expect(formatDuration(-1500)).toBe('-1.5 ms');
    expect(formatDuration(NaN)).toBe('–');
  });
  it('formats ratios and counts', () => {
    expect(formatPercent(0.374)).toBe('37%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatCount(1234567)).toBe('1\u202f234\u202f567');
  });
});

describe('TimeScale', () => {
  it('maps time to pixels and back', () => {
    const s = new TimeScale(0, 1, 1000);
    s.fit(1000, 3000);
    expect(s.x(2000)).toBeCloseTo(500);
    expect(s.t(250)).toBeCloseTo(1500);
  });
  it('zooms around the cursor', () => {
    const s = new TimeScale(0, 10, 100);
    const before = s.t(30);
    s.zoom(2, 30);
    expect(s.usPerPx).toBe(5);
    expect(s.t(30)).toBeCloseTo(before);
  });
  it('clamps panning to the trace', () => {
    const s = new TimeScale(0, 1, 100);
    s.pan(-1000);
    s.clamp(0, 500);
    expect(s.t0).toBe(400);
    s.pan(1000);
    s.clamp(0, 500);
    expect(s.t0).toBe(0);
  });
  it('makes 1/2/5 ticks with units', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(130)).toBe(200);
    expect(niceStep(4000)).toBe(5000);
    const s = new TimeScale(0, 100, 1000); // 100 ms across
    const ticks = s.ticks(90);
    expect(ticks[0].label).toBe('0 ms');
    expect(ticks[1].label).toBe('10 ms');
    expect(ticks.every((t, i) => i === 0 || t.t > ticks[i - 1].t)).toBe(true);
    const fine = new TimeScale(1_000_000, 0.01, 900).ticks(90);
    expect(fine[0].label.endsWith('ns') || fine[0].label.endsWith('µs')).toBe(true);
  });
});

describe('LaneIndex', () => {
  function lane(n: number, gap = 10, dur = 5): LaneIndex {
    const idx = new LaneIndex();
    for (let i = 0; i < n; i++) idx.add(i * gap, i * gap + dur, i % 2, i);
    return idx;
  }
  it('finds exactly the spans in a window, long ones included', () => {
    const idx = lane(1000);
    idx.add(0, 1_000_000, 3, 5000); // a long hold
    const seen: number[] = [];
    idx.forEachVisible(100, 130, (_s, _e, _k, id) => seen.push(id));
    expect(seen.sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 5000]);
    expect(idx.visibleCount(100, 130)).toBeGreaterThanOrEqual(5);
  });
  it('keeps spans sorted when they arrive out of order', () => {
    const idx = new LaneIndex();
    for (const s of [50, 10, 30, 20, 40]) idx.add(s, s + 5, 0, s);
    const seen: number[] = [];
    idx.forEachVisible(0, 100, (s) => seen.push(s));
    expect(seen).toEqual([10, 20, 30, 40, 50]);
  });
  it('hit-tests the span under the cursor, preferring the more telling kind', () => {
    const idx = lane(100);
    idx.add(100, 200, 4, 999); // blocked over spans 10..19
    expect(idx.hit(112, 0)).toBe(999);
    expect(idx.hit(112, 0, k => (k === 4 ? 0 : 1))).toBe(11);
    expect(idx.hit(107, 0, k => (k === 4 ? 0 : 1))).toBe(999);
    expect(idx.hit(250, 0)).toBe(25);
    expect(idx.hit(257, 0)).toBe(-1);
  });
  it('summarises coverage per kind at every level', () => {
    const idx = lane(5000, 10, 5);
    const mip = idx.mipmap();
    const out = new Float64Array(KIND_COUNT);
    const top = mip.levels.length - 1;
    mip.sum(top, 0, mip.domain, out);
    expect(out[0] + out[1]).toBeCloseTo(5000 * 5, 0);
    expect(out[0]).toBeCloseTo(2500 * 5, 0);
    // live appends keep the summary current
    idx.add(50_000, 50_010, 4, 1);
    mip.sum(top, 0, mip.domain, out);
    expect(out[4]).toBeCloseTo(10);
  });
  it('picks the coarsest level no wider than a pixel', () => {
    const mip = new Mipmap(1024, 1024);
    expect(mip.levelFor(1)).toBe(0);
    expect(mip.levelFor(3)).toBe(1);
    expect(mip.levelFor(4)).toBe(2);
    expect(mip.levelFor(1e9)).toBe(mip.levels.length - 1);
  });
});

describe('settings and cpu history', () => {
  it('falls back to defaults for bad values and clamps ranges', () => {
    const s = readSettings({ meterIntervalMs: 5, busyThreshold: 'x', defaultLanes: ['tasks', 'nope'] });
    expect(s.meterIntervalMs).toBe(100);
    expect(s.busyThreshold).toBe(DEFAULT_SETTINGS.busyThreshold);
    expect(s.defaultLanes).toEqual(['tasks']);
  });
  it('counts busy cores and keeps the peak', () => {
    const h = new CpuHistory(2, 50);
    const mk = (per_core: number[]) => asMeterSample({ type: 'cpu', per_core, host_cpus: 4, effective_cpus: 2 })!;
    h.push(mk([90, 80, 10, 0]));
    h.push(mk([10, 10, 10, 0]));
    h.push(mk([60, 0, 0, 0]));
    expect(h.all.length).toBe(2);
    expect(h.busyCores()).toBe(1);
    expect(h.peakBusy).toBe(2);
    expect(h.series(0)).toEqual([10, 60]);
    expect(asMeterSample({ type: 'lock' })).toBeNull();
  });
  it('adds up throttling over the kept history', () => {
    const h = new CpuHistory(3, 50);
    for (const throttled_us of [100, 0, 250, 50]) h.push(asMeterSample({ type: 'cpu', per_core: [10], throttled_us })!);
    expect(h.throttledUs).toBe(300);
    expect(asMeterSample({ type: 'cpu', per_core: [1, 'x'] })).toBeNull();
  });
});

describe('sparklines and file names', () => {
  it('draws values bottom-up inside the box', async () => {
    const { sparklinePath } = await import('../../src/lab/ui/sparkline.js');
    expect(sparklinePath([], 10, 10)).toBe('');
    const d = sparklinePath([0, 5, 10], 100, 11, 10);
    expect(d).toBe('M0 10.5 L50.0 5.5 L100.0 0.5');
    // values above max are clipped to the top
    expect(sparklinePath([20], 10, 11, 10)).toBe('M0 0.5');
  });
  it('names exports after the traced cell', async () => {
    const { fileNameFor } = await import('../../src/lab/ui/download.js');
    expect(fileNameFor('%%timeline fetch all (v2)', 'json')).toBe('threadline-fetch-all-v2.json');
    expect(fileNameFor(undefined, 'png')).toBe('threadline.png');
  });
});

describe('stepping through a lane', () => {
  it('finds the next and previous span by start time across duration classes', async () => {
    const { LaneIndex } = await import('../../src/lab/trace/laneIndex.js');
    const idx = new LaneIndex();
    idx.add(0, 1000, 0, 1); // long
    idx.add(10, 12, 1, 2); // short
    idx.add(20, 60, 0, 3); // medium
    expect(idx.nextAfter(-1)).toBe(1);
    expect(idx.nextAfter(0)).toBe(2);
    expect(idx.nextAfter(10)).toBe(3);
    expect(idx.nextAfter(20)).toBe(-1);
    expect(idx.prevBefore(20)).toBe(2);
    expect(idx.prevBefore(10)).toBe(1);
    expect(idx.prevBefore(0)).toBe(-1);
  });
});
