import { describe, expect, it } from 'vitest';
import { LANES, taskGroupTrace } from '../fatesTrace.js';
import { generateTrace } from '../traceGen.js';
import { laneDisplayName } from '../../../src/lab/trace/laneNames.js';
import { countFates, describeFate, exceptionType, fateOf, formatFates } from '../../../src/lab/trace/taskFates.js';
import { SummaryTracker } from '../../../src/lab/trace/traceSummary.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { toChunks } from '../traceGen.js';

const store = TraceStore.fromTrace(taskGroupTrace());
const name = (lane: number): string => laneDisplayName(store, lane);

describe('task fates', () => {
  it('reads each lane’s fate from its end row', () => {
    expect(fateOf(store, LANES.main)).toBe('returned');
    expect(fateOf(store, LANES.boom)).toBe('raised');
    expect(fateOf(store, LANES.slow1)).toBe('cancelled');
    expect(fateOf(store, LANES.lost)).toBe('destroyed');
    expect(fateOf(store, LANES.forgotten)).toBe('neverAwaited');
    expect(fateOf(store, LANES.bg)).toBe('running');
  });

  it('says why a task was cancelled and who caused it', () => {
    expect(describeFate(store, LANES.slow1, name)).toBe('cancelled: TaskGroup abort, because boom raised ValueError');
    expect(describeFate(store, LANES.victim, name)).toBe('cancelled: cancel() by killer');
    expect(describeFate(store, LANES.timed, name)).toBe('cancelled: timeout');
    expect(describeFate(store, LANES.boom, name)).toBe('raised ValueError: boom');
    expect(describeFate(store, LANES.main, name)).toBe("returned 'done'");
    expect(describeFate(store, LANES.lost, name)).toBe('destroyed while pending');
    expect(describeFate(store, LANES.forgotten, name)).toBe('never awaited');
    expect(describeFate(store, LANES.bg, name)).toBe('still running');
  });

  it('falls back to the cancel message when the probe knows no reason', () => {
    const trace = taskGroupTrace();
    const row = trace.ends.lane.indexOf(LANES.timed);
    trace.ends.reason[row] = -1;
    trace.ends.detail[row] = trace.strings.push('cancelled: deadline passed') - 1;
    const s = TraceStore.fromTrace(trace);
    expect(describeFate(s, LANES.timed, l => laneDisplayName(s, l))).toBe('cancelled: deadline passed');
    trace.ends.detail[row] = trace.strings.indexOf('cancelled');
    expect(describeFate(TraceStore.fromTrace(trace), LANES.timed, String)).toBe('cancelled');
  });

  it('takes the exception type out of an error detail', () => {
    expect(exceptionType('ValueError: boom')).toBe('ValueError');
    expect(exceptionType('asyncio.TimeoutError')).toBe('asyncio.TimeoutError');
    expect(exceptionType('KeyError: "x: y"')).toBe('KeyError');
  });

  it('counts the fates of task lanes for the summary line', () => {
    const counts = countFates(store);
    expect(counts).toEqual({ returned: 2, raised: 1, cancelled: 4, destroyed: 1, neverAwaited: 1, running: 1 });
    expect(formatFates(counts)).toBe(
      '2 returned, 1 raised, 4 cancelled, 1 destroyed while pending, 1 never awaited, 1 still running'
    );
    expect(new SummaryTracker().update(store).fates).toEqual(counts);
  });

  it('counts only tasks, and grows with a live trace', () => {
    const trace = generateTrace({ spans: 400, tasks: 4, threads: 2, processes: 1 });
    const live = new TraceStore('t');
    // 8 chunks: the first holds every lane and no end yet
    const chunks = toChunks(trace, 8);
    live.applyChunk(chunks[0]);
    expect(countFates(live).running).toBe(4);
    for (const c of chunks.slice(1)) live.applyChunk(c);
    expect(formatFates(countFates(live))).toBe('3 returned, 1 cancelled');
  });
});
