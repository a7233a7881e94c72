/**
 * A small hand-written v2 trace of the TaskGroup demo, as the probe records it: `main` runs a
 * TaskGroup whose child `boom` raises ValueError after 20 ms while `slow1` and `slow2` sleep, so
 * the group cancels them ("TaskGroup abort", by boom). Beside it, one task of each other fate:
 * `killer` calls cancel() on `victim`, `timed` hits a timeout, `lost` is destroyed while pending,
 * `forgotten()` is a coroutine never awaited, `bg` is still running when the trace ends.
 * Times in µs.
 */
import { LaneKind, Outcome, SpanKind, TRACE_SCHEMA_VERSION } from '../../src/protocol/trace.js';
import type { Trace, TraceChunk } from '../../src/protocol/trace.js';
import { emptyTables } from './traceGen.js';

export const LANES = {
  main: 0,
  boom: 1,
  slow1: 2,
  slow2: 3,
  killer: 4,
  victim: 5,
  timed: 6,
  lost: 7,
  forgotten: 8,
  bg: 9
} as const;

export function taskGroupTrace(): Trace {
  const t = emptyTables();
  const s = (x: string): number => {
    const i = t.strings.indexOf(x);
    return i >= 0 ? i : t.strings.push(x) - 1;
  };
  const lane = (name: string, start: number, group = 'asyncio'): void => {
    t.lanes.kind.push(LaneKind.task);
    t.lanes.name.push(s(name));
    t.lanes.group.push(s(group));
    t.lanes.parent.push(-1);
    t.lanes.created_by.push(name === 'main' || name === 'forgotten()' ? -1 : LANES.main);
    t.lanes.site.push(s(`cell.py:${t.lanes.kind.length} in main`));
    t.lanes.start.push(start);
    t.lanes.os_id.push(-1);
  };
  const span = (ln: number, kind: SpanKind, start: number, end: number, label = ''): void => {
    t.spans.lane.push(ln);
    t.spans.kind.push(kind);
    t.spans.start.push(start);
    t.spans.end.push(end);
    t.spans.label.push(label ? s(label) : -1);
    t.spans.lock.push(-1);
  };
  const end = (ln: number, at: number, outcome: Outcome, detail = '', reason = '', by = -1): void => {
    t.ends.lane.push(ln);
    t.ends.t.push(at);
    t.ends.outcome.push(outcome);
    t.ends.detail.push(detail ? s(detail) : -1);
    t.ends.cpu_us.push(-1);
    t.ends.reason.push(reason ? s(reason) : -1);
    t.ends.by.push(by);
  };
  const awaits = (ln: number, target: number, start: number, stop: number): void => {
    t.awaits.lane.push(ln);
    t.awaits.target.push(target);
    t.awaits.start.push(start);
    t.awaits.end.push(stop);
  };

  lane('main', 0);
  for (const name of ['boom', 'slow1', 'slow2']) lane(name, 5_000);
  lane('killer', 6_000);
  lane('victim', 6_000);
  lane('timed', 6_000);
  lane('lost', 6_500);
  lane('forgotten()', 7_000, 'never awaited');
  lane('bg', 7_500);

  span(LANES.main, SpanKind.run, 0, 5_000);
  span(LANES.main, SpanKind.suspended, 5_000, 50_000, 'TaskGroup.__aexit__()');
  span(LANES.main, SpanKind.run, 50_000, 50_200);
  span(LANES.boom, SpanKind.run, 5_000, 5_050);
  span(LANES.boom, SpanKind.suspended, 5_050, 20_000, 'asyncio.sleep(0.02)');
  span(LANES.boom, SpanKind.run, 20_000, 20_100);
  for (const slow of [LANES.slow1, LANES.slow2]) {
    span(slow, SpanKind.run, 5_000, 5_100);
    span(slow, SpanKind.suspended, 5_100, 20_150, 'asyncio.sleep(1)');
    span(slow, SpanKind.run, 20_150, 20_200);
  }
  span(LANES.killer, SpanKind.suspended, 6_000, 12_000, 'victim');
  span(LANES.victim, SpanKind.suspended, 6_000, 12_000, 'Queue.get()');
  span(LANES.timed, SpanKind.suspended, 6_000, 30_000, 'asyncio.sleep(10)');
  span(LANES.lost, SpanKind.suspended, 6_500, 40_000, 'Future');
  span(LANES.bg, SpanKind.suspended, 7_500, 60_000, 'asyncio.sleep(3600)');

  end(LANES.victim, 12_000, Outcome.cancelled, 'cancelled', 'cancel()', LANES.killer);
  end(LANES.killer, 12_100, Outcome.ok, 'None');
  end(LANES.boom, 20_100, Outcome.error, 'ValueError: boom');
  end(LANES.slow1, 20_200, Outcome.cancelled, 'cancelled', 'TaskGroup abort', LANES.boom);
  end(LANES.slow2, 20_200, Outcome.cancelled, 'cancelled', 'TaskGroup abort', LANES.boom);
  end(LANES.timed, 30_000, Outcome.cancelled, 'cancelled', 'timeout');
  end(LANES.lost, 40_000, Outcome.destroyed);
  end(LANES.forgotten, 45_000, Outcome.neverAwaited);
  end(LANES.main, 50_200, Outcome.ok, "'done'");

  // rows are written when the await ends, so not in start order
  awaits(LANES.killer, LANES.victim, 6_000, 12_000);
  awaits(LANES.main, LANES.boom, 5_000, 20_100);
  awaits(LANES.main, LANES.slow1, 5_000, 20_200);
  awaits(LANES.main, LANES.slow2, 5_000, 20_200);

  return {
    version: TRACE_SCHEMA_VERSION,
    meta: {
      t0_unix_us: 1_763_700_000_000_000,
      pid: 4242,
      python: '3.12.3',
      host_cpus: 2,
      effective_cpus: 2,
      effective_cpus_reason: 'os.cpu_count()',
      block_threshold_us: 100_000,
      dropped: 0,
      capacity: 100_000,
      duration_us: 60_000,
      label: '%%timeline TaskGroup'
    },
    ...t
  };
}

/** The same trace or chunk as schema v1 wrote it: no reason, no by, no awaits table, version 1. */
export function asV1(trace: Trace | TraceChunk): Record<string, unknown> {
  const { reason: _reason, by: _by, ...ends } = trace.ends;
  const { awaits: _awaits, ...rest } = trace;
  return { ...structuredClone(rest), ends: structuredClone(ends), version: 1 };
}
