/**
 * Synthetic, schema-valid traces for tests and benchmarks: a kernel process with worker
 * threads and processes, asyncio tasks alternating running/suspended, lock waits and holds
 * with matching acquisitions, blocked-loop steps, per-core CPU samples, and the await graph: the
 * main task awaits every worker (gather) and some worker awaits are on another worker task.
 * Deterministic (seeded).
 */
import { LaneKind, Outcome, SpanKind, TABLE_COLUMNS, TRACE_SCHEMA_VERSION } from '../../src/protocol/trace.js';
import type { Trace, TraceChunk, TraceTables } from '../../src/protocol/trace.js';

export interface GenOptions {
  spans: number;
  tasks?: number;
  threads?: number;
  processes?: number;
  locks?: number;
  cores?: number;
  seed?: number;
  /** every k-th task step blocks the loop (0 = never) */
  blockEvery?: number;
  /** one in this many suspended task spans awaits another task (0 = none); default 16 */
  awaitEvery?: number;
  label?: string;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function emptyTables(): TraceTables {
  const t: Record<string, unknown> = { strings: [] };
  for (const [name, columns] of Object.entries(TABLE_COLUMNS)) {
    t[name] = Object.fromEntries((columns as string[]).map(c => [c, [] as number[]]));
  }
  return t as unknown as TraceTables;
}

export function generateTrace(opts: GenOptions): Trace {
  const rand = rng(opts.seed ?? 42);
  const tasks = opts.tasks ?? 8;
  const threads = opts.threads ?? 2;
  const processes = opts.processes ?? 1;
  const nLocks = opts.locks ?? 2;
  const cores = opts.cores ?? 4;
  const blockEvery = opts.blockEvery ?? 97;
  const awaitEvery = opts.awaitEvery ?? 16;
  // a stream of its own, so the await graph leaves every other table as it was before v2
  const randAwait = rng((opts.seed ?? 42) + 1);
  const t = emptyTables();
  const strings = new Map<string, number>();
  const s = (x: string): number => {
    let i = strings.get(x);
    if (i === undefined) {
      i = t.strings.length;
      t.strings.push(x);
      strings.set(x, i);
    }
    return i;
  };
  const lane = (kind: LaneKind, name: string, group: string, parent: number, start: number, osId: number): number => {
    const L = t.lanes;
    L.kind.push(kind);
    L.name.push(s(name));
    L.group.push(s(group));
    L.parent.push(parent);
    // workers are created by the main task (lane 1); the main task by nobody we traced
    L.created_by.push(kind === LaneKind.task && L.kind.length > 2 ? 1 : -1);
    L.site.push(s(`cell.py:${10 + L.kind.length} in main`));
    L.start.push(start);
    L.os_id.push(osId);
    return L.kind.length - 1;
  };
  const awaitRow = (ln: number, target: number, start: number, end: number): void => {
    const A = t.awaits;
    A.lane.push(ln);
    A.target.push(target);
    A.start.push(Math.round(start));
    A.end.push(Math.round(end));
  };
  const span = (ln: number, kind: SpanKind, start: number, end: number, label = -1, lock = -1): void => {
    const S = t.spans;
    S.lane.push(ln);
    S.kind.push(kind);
    S.start.push(Math.round(start));
    S.end.push(Math.round(end));
    S.label.push(label);
    S.lock.push(lock);
  };

  const kernel = lane(LaneKind.process, 'kernel (MainProcess)', 'processes', -1, 0, 4242);
  const mainTask = lane(LaneKind.task, 'Task-1 main()', 'asyncio', kernel, 0, -1);
  const taskLanes = [mainTask];
  for (let i = 1; i < tasks; i++)
    taskLanes.push(lane(LaneKind.task, `Task-${i + 1} worker(${i})`, 'asyncio', kernel, 100 + i * 10, -1));
  const threadLanes: number[] = [];
  for (let i = 0; i < threads; i++)
    threadLanes.push(lane(LaneKind.thread, `ThreadPoolExecutor-0_${i}`, 'threads', kernel, 200, 5000 + i));
  const procLanes: number[] = [];
  for (let i = 0; i < processes; i++)
    procLanes.push(lane(LaneKind.process, `SpawnProcess-${i + 1}`, 'processes', kernel, 300, 6000 + i));
  for (let i = 0; i < nLocks; i++) {
    t.locks.name.push(s(i === 0 ? 'counter_lock' : `lock_${i}`));
    t.locks.kind.push(s(i % 2 === 0 ? 'asyncio.Lock' : 'threading.Lock'));
    t.locks.site.push(s(`cell.py:${3 + i}`));
  }

  const workers = [...taskLanes, ...threadLanes];
  const perLane = Math.max(1, Math.floor(opts.spans / workers.length));
  const awaited = [s('asyncio.sleep(0.01)'), s('Queue.get()'), s('aiohttp GET /item'), s('Lock.acquire()')];
  const blockedAt = s('cell.py:27 in worker: time.sleep(0.2)');
  // lock holders over time, for waiter counts
  const lockFree = new Array<number>(nLocks).fill(0);
  // step all workers round-robin so that lanes overlap in time and lock waits stay realistic
  const counts = workers.map((_, wi) =>
    wi === workers.length - 1 ? opts.spans - perLane * (workers.length - 1) : perLane
  );
  const nows = workers.map(ln => t.lanes.start[ln] + 50);
  const ks = workers.map(() => 0);
  for (let active = true; active;) {
    active = false;
    for (let wi = 0; wi < workers.length; wi++) {
      const ln = workers[wi];
      const k = ks[wi];
      if (k >= counts[wi]) continue;
      active = true;
      const isThread = wi >= taskLanes.length;
      let now = nows[wi];
      const step = k % 4;
      if (nLocks > 0 && step === 3 && k + 1 < counts[wi]) {
        // lock wait then hold: two spans and one acquisition
        const lock = Math.floor(rand() * nLocks);
        const requested = now;
        const acquired = Math.max(now + 1, lockFree[lock]);
        const released = acquired + 20 + rand() * 200;
        lockFree[lock] = released;
        span(ln, SpanKind.lockWait, requested, acquired, -1, lock);
        span(ln, SpanKind.lockHold, acquired, released, -1, lock);
        const A = t.acquires;
        A.lock.push(lock);
        A.lane.push(ln);
        A.requested.push(Math.round(requested));
        A.acquired.push(Math.round(acquired));
        A.released.push(Math.round(released));
        A.waiters.push(acquired > requested + 1 ? 1 : 0);
        nows[wi] = released + 5;
        ks[wi] = k + 2;
        continue;
      }
      const blocked = !isThread && blockEvery > 0 && k % blockEvery === blockEvery - 1;
      const dur = blocked ? 2000 + rand() * 5000 : 20 + rand() * 400;
      if (isThread) span(ln, SpanKind.run, now, now + dur);
      else if (blocked) span(ln, SpanKind.blocked, now, now + dur, blockedAt);
      else if (step % 2 === 0) span(ln, SpanKind.run, now, now + dur);
      else {
        let label = awaited[Math.floor(rand() * awaited.length)];
        if (wi > 0 && taskLanes.length > 2 && awaitEvery > 0 && randAwait() * awaitEvery < 1) {
          // a worker awaiting another worker (never main, which awaits them all)
          const target =
            taskLanes[1 + ((wi + Math.floor(randAwait() * (taskLanes.length - 2))) % (taskLanes.length - 1))];
          label = t.lanes.name[target];
          awaitRow(ln, target, now, now + dur);
        }
        span(ln, SpanKind.suspended, now, now + dur, label);
      }
      now += dur + (isThread ? 10 : 1);
      nows[wi] = now;
      ks[wi] = k + 1;
    }
  }
  const maxT = Math.round(Math.max(...nows));
  // main awaits every worker, as gather() does: one row per child
  for (const ln of taskLanes.slice(1)) awaitRow(mainTask, ln, t.lanes.start[ln], maxT);
  const cancelled = tasks > 2 ? taskLanes[taskLanes.length - 1] : -1;
  const cancelReason = s('cancel()');
  for (const ln of [...taskLanes, ...threadLanes, ...procLanes]) {
    const E = t.ends;
    E.lane.push(ln);
    E.t.push(maxT);
    E.outcome.push(ln === cancelled ? Outcome.cancelled : Outcome.ok);
    E.detail.push(-1);
    E.cpu_us.push(t.lanes.kind[ln] === LaneKind.task ? -1 : Math.round(maxT * 0.8));
    E.reason.push(ln === cancelled ? cancelReason : -1);
    E.by.push(ln === cancelled ? mainTask : -1);
  }
  for (let ts = 0; ts <= maxT; ts += Math.max(1000, Math.round(maxT / 200))) {
    for (let c = 0; c < cores; c++) {
      t.cpu.t.push(ts);
      t.cpu.core.push(c);
      t.cpu.util.push(Math.round(rand() * 1000) / 10);
    }
    for (const ln of [...threadLanes, ...procLanes]) {
      t.samples.lane.push(ln);
      t.samples.t.push(ts);
      t.samples.core.push(ln % cores);
      t.samples.cpu.push(Math.round(rand() * 1000) / 10);
    }
  }
  return {
    version: TRACE_SCHEMA_VERSION,
    meta: {
      t0_unix_us: 1_763_700_000_000_000,
      pid: 4242,
      python: '3.11.9',
      host_cpus: cores,
      effective_cpus: cores,
      effective_cpus_reason: 'os.cpu_count()',
      block_threshold_us: 2000,
      dropped: 0,
      capacity: 2_000_000,
      duration_us: maxT,
      label: opts.label ?? '%%timeline (synthetic)'
    },
    ...t
  };
}

/** Split a trace into `n` chunks the way the probe streams it: rows in order, indexes global. */
export function toChunks(trace: Trace, n: number, traceId = 'trace-1'): TraceChunk[] {
  const chunks: TraceChunk[] = [];
  for (let c = 0; c < n; c++) {
    const part = emptyTables();
    const slice = (len: number): [number, number] => [Math.floor((len * c) / n), Math.floor((len * (c + 1)) / n)];
    // strings go first so every later row can refer to them
    if (c === 0) part.strings = trace.strings.slice();
    for (const [name, columns] of Object.entries(TABLE_COLUMNS)) {
      const src = (trace as unknown as Record<string, Record<string, number[]>>)[name];
      const dst = (part as unknown as Record<string, Record<string, number[]>>)[name];
      const len = src[(columns as string[])[0]].length;
      // lanes and locks come first too: spans of chunk 0 may refer to any of them
      const [a, b] = name === 'lanes' || name === 'locks' ? (c === 0 ? [0, len] : [len, len]) : slice(len);
      for (const col of columns as string[]) dst[col] = src[col].slice(a, b);
    }
    const first = c === 0;
    const final = c === n - 1;
    const meta = first || final ? { ...trace.meta, ...(final ? {} : { duration_us: undefined }) } : undefined;
    if (meta && meta.duration_us === undefined) delete meta.duration_us;
    chunks.push({
      version: TRACE_SCHEMA_VERSION,
      trace_id: traceId,
      seq: c,
      final,
      ...(meta ? { meta } : {}),
      ...part
    });
  }
  return chunks;
}
