import { describe, expect, it } from 'vitest';
import { CpuHistory, asMeterSample } from '../../../src/lab/meters/cpuHistory.js';

describe('cpu history', () => {
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
