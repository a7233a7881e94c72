import { describe, expect, it } from 'vitest';
import { TimeScale, niceStep } from '../../../src/lab/timeline/timeScale.js';

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
