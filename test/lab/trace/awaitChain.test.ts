import { describe, expect, it } from 'vitest';
import { LANES, taskGroupTrace } from '../fatesTrace.js';
import { generateTrace, toChunks } from '../traceGen.js';
import { awaitChain, chainText } from '../../../src/lab/trace/awaitChain.js';
import { laneDisplayName } from '../../../src/lab/trace/laneNames.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { SpanKind } from '../../../src/protocol/trace.js';

const store = TraceStore.fromTrace(taskGroupTrace());
const name = (lane: number): string => laneDisplayName(store, lane);

describe('await chain at a moment (pstree in time)', () => {
  it('follows the awaiter up and the awaited task down to what it waits on', () => {
    const chain = awaitChain(store, LANES.slow1, 10_000);
    expect(chain.lanes).toEqual([LANES.main, LANES.slow1]);
    expect(chain.focus).toBe(1);
    expect(chainText(store, chain, name)).toBe('main → awaits slow1 → awaits asyncio.sleep(1)');
  });

  it('from the TaskGroup owner: one child followed, the others listed', () => {
    const chain = awaitChain(store, LANES.main, 10_000);
    expect(chain.lanes[0]).toBe(LANES.main);
    expect(chain.lanes).toHaveLength(2);
    const followed = chain.lanes[1];
    expect([LANES.boom, LANES.slow1, LANES.slow2]).toContain(followed);
    expect(chain.alsoAwaits.sort()).toEqual([LANES.boom, LANES.slow1, LANES.slow2].filter(l => l !== followed));
    expect(chain.rows.map(r => store.tables.awaits.target[r])).toEqual([followed]);
    expect(chainText(store, chain, name)).toMatch(/^main → awaits (boom|slow1|slow2) → awaits asyncio\.sleep/);
  });

  it('changes with time: before, during and after an await', () => {
    expect(awaitChain(store, LANES.killer, 5_900).lanes).toEqual([LANES.killer]);
    expect(chainText(store, awaitChain(store, LANES.killer, 9_000), name)).toBe(
      'killer → awaits victim → awaits Queue.get()'
    );
    // the await ends at 12 ms: from then on killer awaits nothing
    expect(awaitChain(store, LANES.killer, 12_000).lanes).toEqual([LANES.killer]);
    // after boom raised, main no longer awaits it
    expect(awaitChain(store, LANES.main, 20_150).alsoAwaits).not.toContain(LANES.boom);
    expect(awaitChain(store, LANES.main, 30_000)).toMatchObject({ lanes: [LANES.main], rows: [] });
  });

  it('names a running leaf and stops at a cycle', () => {
    expect(chainText(store, awaitChain(store, LANES.boom, 20_050), name)).toBe('main → awaits boom (running)');
    const trace = taskGroupTrace();
    // victim awaits killer while killer awaits victim: a deadlock
    trace.awaits.lane.push(LANES.victim);
    trace.awaits.target.push(LANES.killer);
    trace.awaits.start.push(7_000);
    trace.awaits.end.push(-1);
    const s = TraceStore.fromTrace(trace);
    const chain = awaitChain(s, LANES.killer, 8_000);
    expect(chain.cycle).toBe(true);
    // up from killer: victim awaits it; down: killer awaits victim, already in the chain
    expect(chainText(s, chain, l => laneDisplayName(s, l))).toMatch(
      /^victim → awaits killer → awaits victim \(a cycle/
    );
  });

  it('an await still open at the end of the trace (end -1) counts until then', () => {
    const trace = taskGroupTrace();
    trace.awaits.end[trace.awaits.target.indexOf(LANES.victim)] = -1;
    expect(awaitChain(TraceStore.fromTrace(trace), LANES.killer, 59_000).lanes).toEqual([LANES.killer, LANES.victim]);
  });
});

describe('await index', () => {
  it('finds the awaits that start in a window, whatever order the rows came in', () => {
    const idx = store.awaits();
    const [lo, hi] = idx.startingIn(0, 5_000);
    const rows = Array.from({ length: hi - lo }, (_, i) => idx.rowAt(lo + i));
    expect(rows.map(r => store.tables.awaits.target[r]).sort()).toEqual([LANES.boom, LANES.slow1, LANES.slow2]);
    const [a, b] = idx.startingIn(5_001, 10_000);
    expect(b - a).toBe(1);
    expect(store.tables.awaits.target[idx.rowAt(a)]).toBe(LANES.victim);
  });

  it('stays correct as chunks append rows out of start order', () => {
    const trace = generateTrace({ spans: 5_000, tasks: 6, threads: 1, processes: 0 });
    const live = new TraceStore('t');
    for (const c of toChunks(trace, 7)) {
      live.applyChunk(c);
      live.awaits();
    }
    const { awaits } = trace;
    expect(awaits.lane.length).toBeGreaterThan(20);
    const idx = live.awaits();
    expect(idx.count).toBe(awaits.lane.length);
    const [t0, t1] = [trace.meta.duration_us! / 3, trace.meta.duration_us! / 2];
    const [lo, hi] = idx.startingIn(t0, t1);
    const got = Array.from({ length: hi - lo }, (_, i) => idx.rowAt(lo + i)).sort((x, y) => x - y);
    const want = awaits.start.flatMap((s, row) => (s >= t0 && s <= t1 ? [row] : []));
    expect(got).toEqual(want);
    // every worker await in the generator is a suspended span with the awaited task's name
    const row = want.find(r => awaits.lane[r] !== 1)!;
    const span = trace.spans.start.findIndex(
      (s, i) => s === awaits.start[row] && trace.spans.lane[i] === awaits.lane[row]
    );
    expect(trace.spans.kind[span]).toBe(SpanKind.suspended);
    expect(trace.spans.label[span]).toBe(trace.lanes.name[awaits.target[row]]);
  });
});
