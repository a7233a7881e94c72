import { describe, expect, it } from 'vitest';
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { SummaryTracker } from '../../../src/lab/trace/traceSummary.js';
import { LaneKind, SpanKind } from '../../../src/protocol/trace.js';

describe('summary', () => {
  it('counts lanes, concurrency and blocked time', () => {
    const trace = generateTrace({ spans: 1000, tasks: 4, threads: 2, processes: 1, blockEvery: 50 });
    const store = TraceStore.fromTrace(trace);
    const s = new SummaryTracker().update(store);
    expect(s.tasks).toBe(4);
    expect(s.threads).toBe(2);
    expect(s.processes).toBe(2);
    expect(s.maxConcurrency).toBe(6);
    let blocked = 0;
    trace.spans.kind.forEach((k, i) => {
      if (k === SpanKind.blocked) blocked += trace.spans.end[i] - trace.spans.start[i];
    });
    expect(blocked).toBeGreaterThan(0);
    expect(s.blockedTotalUs).toBe(blocked);
    expect(s.worstBlocks[0].location).toMatch(/cell.py:27/);
    expect(s.worstBlocks[0].duration).toBeGreaterThanOrEqual(s.worstBlocks[1].duration);
  });
  it('handoffs are not concurrency', () => {
    const t = generateTrace({ spans: 10, tasks: 2, threads: 0, processes: 0 });
    // task 2 starts exactly when task 1 ends
    t.lanes.start = [0, 0, 500];
    t.ends = {
      lane: [1, 2],
      t: [500, 900],
      outcome: [0, 0],
      detail: [-1, -1],
      cpu_us: [-1, -1],
      reason: [-1, -1],
      by: [-1, -1]
    };
    expect(new SummaryTracker().update(TraceStore.fromTrace(t)).maxConcurrency).toBe(1);
  });
});

describe('concurrency counts what runs beside each other', () => {
  it('does not count the thread that runs the event loop', () => {
    const t = generateTrace({ spans: 10, tasks: 3, threads: 1, processes: 0 });
    // the probe's shape: MainThread created the main task, which created the workers
    const thread = t.lanes.kind.indexOf(LaneKind.thread);
    const main = t.lanes.kind.indexOf(LaneKind.task);
    t.lanes.created_by[main] = thread;
    expect(new SummaryTracker().update(TraceStore.fromTrace(t)).maxConcurrency).toBe(3);
  });
});
