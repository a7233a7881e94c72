import { describe, expect, it } from 'vitest';
import { generateTrace, toChunks } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import type { Trace } from '../../../src/protocol/trace.js';

describe('chunk merging', () => {
  const trace = generateTrace({ spans: 3000, tasks: 5 });
  const whole = (t: Trace) => JSON.stringify({ ...t, meta: null });
  it('rebuilds the trace from chunks in any order, ignoring repeats', () => {
    const chunks = toChunks(trace, 7);
    const store = new TraceStore('trace-1');
    const order = [3, 0, 1, 1, 6, 2, 5, 4, 0];
    const changed = order.map(i => store.applyChunk(chunks[i]));
    expect(changed).toEqual([false, true, true, false, false, true, false, true, false]);
    expect(store.waiting).toBe(0);
    expect(store.complete).toBe(true);
    expect(whole(store.toTrace())).toBe(whole(trace));
    expect(store.meta?.duration_us).toBe(trace.meta.duration_us);
  });
  it('indexes only what is new', () => {
    const chunks = toChunks(trace, 3);
    const store = new TraceStore('t');
    store.applyChunk(chunks[0]);
    const first = store.index().reduce((a, l) => a + l.count, 0);
    store.applyChunk(chunks[1]);
    store.applyChunk(chunks[2]);
    const all = store.index().reduce((a, l) => a + l.count, 0);
    expect(first).toBeLessThan(all);
    expect(all).toBe(3000);
  });
});
