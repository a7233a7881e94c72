import { describe, expect, it } from 'vitest';
import { generateTrace } from '../traceGen.js';
import { toChromeTrace } from '../../../src/lab/trace/chromeExport.js';
import type { ChromeEvent } from '../../../src/lab/trace/chromeExport.js';
import { LaneKind } from '../../../src/protocol/trace.js';

describe('Chrome trace export', () => {
  it('has one complete event per span, named lanes and counters, on the right pids', () => {
    const trace = generateTrace({ spans: 500, tasks: 3, threads: 1, processes: 1, cores: 2 });
    const out = toChromeTrace(trace);
    const x = out.traceEvents.filter(e => e.ph === 'X');
    expect(x.length).toBe(500);
    const i = 7;
    const e = x[i];
    expect(e.ts).toBe(trace.spans.start[i]);
    expect(e.dur).toBe(trace.spans.end[i] - trace.spans.start[i]);
    expect(e.tid).toBe(trace.spans.lane[i] + 1);
    const names = out.traceEvents.filter(e => e.ph === 'M' && e.name === 'thread_name').map(e => e.args?.name);
    expect(names).toContain('task: Task-1 main()');
    const procLane = trace.lanes.kind.lastIndexOf(LaneKind.process);
    const named = (e: ChromeEvent): boolean => e.ph === 'M' && e.name === 'process_name';
    expect(out.traceEvents.some(e => named(e) && e.pid === trace.lanes.os_id[procLane])).toBe(true);
    expect(out.traceEvents.filter(e => e.ph === 'C').length).toBe(trace.cpu.t.length);
    const wait = x.find(e => e.cat === 'lock wait');
    expect(wait?.args?.lock).toBeTypeOf('string');
    expect(JSON.parse(JSON.stringify(out)).displayTimeUnit).toBe('ms');
  });
});
