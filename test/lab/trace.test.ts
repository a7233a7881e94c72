import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import schema from '../../src/protocol/traceSchema.json' with { type: 'json' };
import { generateTrace, toChunks } from './traceGen.js';
import { parsePayload } from '../../src/lab/trace/traceValidate.js';
import { TraceFormatError, TraceVersionError } from '../../src/lab/trace/errors.js';
import { TraceStore } from '../../src/lab/trace/traceStore.js';
import { LiveRegistry } from '../../src/lab/trace/liveRegistry.js';
import { SummaryTracker } from '../../src/lab/trace/traceSummary.js';
import { lockStats } from '../../src/lab/trace/lockStats.js';
import { toChromeTrace } from '../../src/lab/trace/chromeExport.js';
import { layoutRows, visibleRows } from '../../src/lab/timeline/laneLayout.js';
import { LaneKind, SpanKind } from '../../src/protocol/trace.js';
import type { Trace } from '../../src/protocol/trace.js';

const ajv = new Ajv2020.default({ allErrors: false });
const validate = ajv.compile(schema);

describe('synthetic traces', () => {
  it('are valid against the JSON Schema, whole and chunked', () => {
    const trace = generateTrace({ spans: 2000, tasks: 6, threads: 2, processes: 1 });
    expect(validate(trace), JSON.stringify(validate.errors)).toBe(true);
    expect(trace.spans.lane.length).toBe(2000);
    for (const c of toChunks(trace, 5)) expect(validate(c), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('parsePayload', () => {
  const trace = generateTrace({ spans: 100 });
  it('accepts traces, chunks and live placeholders', () => {
    expect(parsePayload(trace).kind).toBe('trace');
    expect(parsePayload(toChunks(trace, 2)[1]).kind).toBe('chunk');
    const p = parsePayload({ trace_id: 'abc', live: true, version: 1 });
    expect(p.kind === 'placeholder' && p.placeholder.trace_id).toBe('abc');
  });
  it('explains what is wrong with a malformed payload', () => {
    expect(() => parsePayload('nope')).toThrow(TraceFormatError);
    const broken = structuredClone(trace) as unknown as { spans: { end: number[] } };
    broken.spans.end.pop();
    expect(() => parsePayload(broken)).toThrow(/spans.*differ in length/);
    const noMeta = { ...trace, meta: undefined };
    expect(() => parsePayload(noMeta)).toThrow(/meta/);
    const badCell = structuredClone(trace) as unknown as { lanes: { start: unknown[] } };
    badCell.lanes.start[0] = 'x';
    expect(() => parsePayload(badCell)).toThrow(/lanes.start\[0\]/);
  });
  it('tells a newer version apart from garbage', () => {
    expect(() => parsePayload({ ...trace, version: 2 })).toThrow(TraceVersionError);
    expect(() => parsePayload({ ...trace, version: 2 })).toThrow(/version 2.*reads version 1/);
  });
});

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
  it('routes chunks to the subscriber of their trace_id', () => {
    const reg = new LiveRegistry();
    const seen: number[] = [];
    const stop = reg.subscribe('trace-1', t => seen.push(t.store.spanCount));
    const other: number[] = [];
    reg.subscribe('trace-2', t => other.push(t.store.spanCount));
    for (const c of toChunks(trace, 3)) reg.ingest(c, 'kernel-a');
    stop();
    expect(seen.length).toBe(3);
    expect(seen[2]).toBe(3000);
    expect(other).toEqual([]);
    expect(reg.latestFor('kernel-a')?.store.traceId).toBe('trace-1');
    expect(reg.latestFor('kernel-b')).toBeNull();
  });
});

describe('summary, locks, layout', () => {
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
    t.ends = { lane: [1, 2], t: [500, 900], outcome: [0, 0], detail: [-1, -1], cpu_us: [-1, -1] };
    expect(new SummaryTracker().update(TraceStore.fromTrace(t)).maxConcurrency).toBe(1);
  });
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
    Object.assign(t, { spans: none, ends: { lane: [], t: [], outcome: [], detail: [], cpu_us: [] }, cpu: { t: [], core: [], util: [] } });
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
  it('groups lanes and collapses groups', () => {
    const store = TraceStore.fromTrace(generateTrace({ spans: 100, tasks: 3, threads: 2, processes: 1, cores: 2 }));
    const all = new Set(['tasks', 'threads', 'processes', 'cores'] as const);
    const full = layoutRows(store, { laneHeight: 10, collapsed: new Set(), shown: all });
    expect(full.counts).toEqual({ tasks: 3, threads: 2, processes: 2, cores: 2 });
    expect(full.rows.filter(r => r.type === 'group').map(r => r.type === 'group' && r.group)).toEqual(['tasks', 'threads', 'processes', 'cores']);
    const folded = layoutRows(store, { laneHeight: 10, collapsed: new Set(['tasks']), shown: new Set(['tasks', 'threads']) });
    expect(folded.counts.tasks).toBe(0);
    expect(folded.rows.filter(r => r.type === 'lane').length).toBe(2);
    const vis = visibleRows(full.rows, 25, 45);
    expect(vis[0].y).toBeLessThanOrEqual(25);
    expect(vis.every(r => r.y < 45 && r.y + r.h > 25)).toBe(true);
  });
});

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
    expect(out.traceEvents.some(e => e.ph === 'M' && e.name === 'process_name' && e.pid === trace.lanes.os_id[procLane])).toBe(true);
    expect(out.traceEvents.filter(e => e.ph === 'C').length).toBe(trace.cpu.t.length);
    const wait = x.find(e => e.cat === 'lock wait');
    expect(wait?.args?.lock).toBeTypeOf('string');
    expect(JSON.parse(JSON.stringify(out)).displayTimeUnit).toBe('ms');
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

describe('a bad live chunk', () => {
  it('is reported to the views of its trace, once', () => {
    const reg = new LiveRegistry();
    const errors: string[] = [];
    reg.subscribe('t', lt => errors.push(lt.error?.message ?? ''));
    reg.fail('t', new Error('first'), 'k');
    reg.fail('t', new Error('second'), 'k');
    expect(errors).toEqual(['first', 'first']);
    expect(reg.latestFor('k')?.error?.message).toBe('first');
  });
});
