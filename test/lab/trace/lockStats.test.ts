import { describe, expect, it } from 'vitest';
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { lockStats } from '../../../src/lab/trace/lockStats.js';

describe('lock statistics', () => {
  it('computes wait, hold and contention per lock', () => {
    const t = generateTrace({ spans: 10, tasks: 2, threads: 0, processes: 0, locks: 1 });
    t.acquires = {
      lock: [0, 0, 0],
      lane: [1, 2, 1],
      requested: [0, 10, 100],
      acquired: [0, 50, 100],
      released: [50, 80, 110],
      waiters: [0, 1, 0]
    };
    t.meta.duration_us = 200;
    const none = { lane: [], kind: [], start: [], end: [], label: [], lock: [] };
    const noEnds = { lane: [], t: [], outcome: [], detail: [], cpu_us: [] };
    Object.assign(t, { spans: none, ends: noEnds, cpu: { t: [], core: [], util: [] } });
    const [st] = lockStats(TraceStore.fromTrace(t), 4);
    expect(st.acquisitions).toBe(3);
    expect(st.totalWaitUs).toBe(40);
    expect(st.maxWaitUs).toBe(40);
    expect(st.meanWaitUs).toBeCloseTo(40 / 3);
    expect(st.totalHoldUs).toBe(50 + 30 + 10);
    expect(st.contention).toBeCloseTo(40 / 130);
    expect(st.topWaiters.map(w => w.lane)).toEqual([2]);
    expect(st.waiters[0]).toBeCloseTo(40 / 50);
    expect(st.waiters.slice(1)).toEqual([0, 0, 0]);
  });
});
