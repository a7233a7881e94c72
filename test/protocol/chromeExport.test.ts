// One trace, two exporters: the probe writes Chrome Trace Event JSON where there is no Node (a
// kernel), the lab where there is no kernel (a browser). On a real probe trace both must give the
// same document, event for event.
import { describe, expect, it } from 'vitest';
import { LaneKind, Outcome, SpanKind } from '../../src/protocol/trace.js';
import { toChromeTrace } from '../../src/lab/trace/chromeExport.js';
import { recordProbeTrace } from './probeTrace.js';

describe('Chrome Trace Event export: probe (Python) and lab (TypeScript)', () => {
  const { trace, chrome: fromPython } = recordProbeTrace();

  it('records a trace with every kind of lane, span and end', () => {
    expect(new Set(trace.lanes.kind)).toEqual(new Set(Object.values(LaneKind)));
    expect(new Set(trace.spans.kind)).toEqual(new Set(Object.values(SpanKind)));
    expect(new Set(trace.ends.outcome)).toEqual(new Set(Object.values(Outcome)));
    expect(trace.cpu.t.length).toBeGreaterThan(0);
  });

  it('gives the same events and metadata from both exporters', () => {
    expect(fromPython).toEqual(toChromeTrace(trace));
  });

  it('shows task fates and await edges: why a task was cancelled and by whom, who awaited whom', () => {
    const events = toChromeTrace(trace).traceEvents;
    const cancelled = events.filter(e => e.ph === 'i' && e.args?.reason);
    // the TaskGroup's sleeping child, cancelled because its sibling failed
    expect(cancelled.some(e => String(e.args?.reason).includes('TaskGroup') && e.args?.by === 'fails')).toBe(true);
    const starts = events.filter(e => e.ph === 's');
    const finishes = events.filter(e => e.ph === 'f');
    expect(trace.awaits.lane.length).toBeGreaterThan(0);
    expect(starts).toHaveLength(trace.awaits.lane.length);
    expect(finishes.map(e => e.id)).toEqual(starts.map(e => e.id));
    // each arrow goes from the awaiting task's lane to the awaited one's, when the wait began
    starts.forEach((s, i) => {
      expect([s.tid, finishes[i].tid, s.ts]).toEqual([
        trace.awaits.lane[i] + 1,
        trace.awaits.target[i] + 1,
        trace.awaits.start[i]
      ]);
    });
  });
});
