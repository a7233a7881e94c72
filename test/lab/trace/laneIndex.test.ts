import { describe, expect, it } from 'vitest';
import { LaneIndex } from '../../../src/lab/trace/laneIndex.js';
import { Mipmap, KIND_COUNT } from '../../../src/lab/trace/coverageMipmap.js';

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
    idx.forEachVisible(0, 100, s => seen.push(s));
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

describe('stepping through a lane', () => {
  it('finds the next and previous span by start time across duration classes', async () => {
    const { LaneIndex } = await import('../../../src/lab/trace/laneIndex.js');
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
