/**
 * A trace being received or loaded: the columnar tables, grown by appending chunks in `seq`
 * order (out-of-order chunks wait, repeats are ignored), plus the per-lane span indexes the
 * renderer draws from. Pure: no DOM.
 */
import { TABLE_COLUMNS, TRACE_SCHEMA_VERSION } from '../../protocol/trace.js';
import type { Trace, TraceChunk, TraceMeta, TraceTables } from '../../protocol/trace.js';
import { AwaitIndex } from './awaitIndex.js';
import { LaneIndex } from './laneIndex.js';
import { TraceFormatError } from './errors.js';

type Tables = Omit<TraceTables, 'strings'>;
type TableName = keyof Tables;

function emptyTables(): TraceTables {
  const t: Record<string, unknown> = { strings: [] };
  for (const [name, columns] of Object.entries(TABLE_COLUMNS)) {
    t[name] = Object.fromEntries((columns as string[]).map(c => [c, [] as number[]]));
  }
  return t as unknown as TraceTables;
}

function appendAll(dst: unknown[], src: readonly unknown[]): void {
  // push(...src) overflows the stack for large chunks
  for (let i = 0; i < src.length; i++) dst.push(src[i]);
}

export class TraceStore {
  tables: TraceTables;
  meta: TraceMeta | null = null;
  /** true once the final chunk arrived or when loaded from a saved trace */
  complete = false;
  /** increments on every change, so views know when to repaint */
  revision = 0;
  /** chunks received so far (live); 0 for a saved trace */
  chunks = 0;
  private nextSeq = 0;
  private pending = new Map<number, TraceChunk>();
  private lanesIndexed: LaneIndex[] = [];
  private spansIndexed = 0;
  private laneEnd: number[] = [];
  private laneEndRow: number[] = [];
  private endsIndexed = 0;
  private readonly awaitIndex = new AwaitIndex();
  private maxTime = 0;

  constructor(readonly traceId: string | null = null) {
    this.tables = emptyTables();
  }

  static fromTrace(trace: Trace): TraceStore {
    const store = new TraceStore(null);
    const { meta, version: _v, ...tables } = trace;
    store.tables = tables as TraceTables;
    store.meta = meta;
    store.complete = true;
    store.revision = 1;
    return store;
  }

  get strings(): string[] {
    return this.tables.strings;
  }

  str(ref: number): string {
    return ref >= 0 && ref < this.tables.strings.length ? this.tables.strings[ref] : '';
  }

  get laneCount(): number {
    return this.tables.lanes.kind.length;
  }

  get spanCount(): number {
    return this.tables.spans.lane.length;
  }

  /** Apply a chunk; returns true when anything new became visible. */
  applyChunk(chunk: TraceChunk): boolean {
    if (chunk.version !== TRACE_SCHEMA_VERSION) {
      throw new TraceFormatError(`chunk ${chunk.seq} has version ${chunk.version}`);
    }
    if (chunk.seq < this.nextSeq || this.pending.has(chunk.seq)) return false;
    this.pending.set(chunk.seq, chunk);
    let changed = false;
    for (let next = this.pending.get(this.nextSeq); next; next = this.pending.get(this.nextSeq)) {
      this.pending.delete(this.nextSeq);
      this.append(next);
      this.nextSeq++;
      changed = true;
    }
    if (changed) this.revision++;
    return changed;
  }

  /** Chunks received out of order that still wait for an earlier one. */
  get waiting(): number {
    return this.pending.size;
  }

  private append(chunk: TraceChunk): void {
    appendAll(this.tables.strings, chunk.strings);
    for (const [name, columns] of Object.entries(TABLE_COLUMNS) as [TableName, string[]][]) {
      const dst = this.tables[name] as unknown as Record<string, number[]>;
      const src = chunk[name] as unknown as Record<string, number[]>;
      for (const c of columns) appendAll(dst[c], src[c]);
    }
    if (chunk.meta) this.meta = { ...(this.meta ?? {}), ...chunk.meta };
    if (chunk.final) this.complete = true;
    this.chunks++;
  }

  /** Bring the lane indexes up to date with the tables; cheap when nothing changed. */
  index(): LaneIndex[] {
    const { spans, lanes, ends } = this.tables;
    const lanesNeeded = lanes.kind.length;
    while (this.lanesIndexed.length < lanesNeeded) this.lanesIndexed.push(new LaneIndex());
    const n = spans.lane.length;
    for (let i = this.spansIndexed; i < n; i++) {
      const lane = spans.lane[i];
      if (lane < 0) continue;
      while (this.lanesIndexed.length <= lane) this.lanesIndexed.push(new LaneIndex());
      const end = spans.end[i];
      this.lanesIndexed[lane].add(spans.start[i], end, spans.kind[i], i);
      if (end > this.maxTime) this.maxTime = end;
    }
    this.spansIndexed = n;
    for (let i = this.endsIndexed; i < ends.lane.length; i++) {
      this.laneEnd[ends.lane[i]] = ends.t[i];
      this.laneEndRow[ends.lane[i]] = i;
      if (ends.t[i] > this.maxTime) this.maxTime = ends.t[i];
    }
    this.endsIndexed = ends.lane.length;
    return this.lanesIndexed;
  }

  /** The lane's row in the ends table, -1 while it is still alive. */
  endRow(lane: number): number {
    this.index();
    return this.laneEndRow[lane] ?? -1;
  }

  /** The task → task awaits, indexed by time and by lane (brought up to date). */
  awaits(): AwaitIndex {
    this.awaitIndex.update(this.tables.awaits);
    return this.awaitIndex;
  }

  /** When the lane ended, or undefined while it is still alive. */
  laneEndTime(lane: number): number | undefined {
    this.index();
    return this.laneEnd[lane];
  }

  /** The end of the traced region as known so far, µs. */
  get duration(): number {
    this.index();
    const { lanes, cpu, acquires } = this.tables;
    let t = Math.max(this.maxTime, this.meta?.duration_us ?? 0);
    const ls = lanes.start;
    if (ls.length) t = Math.max(t, ls[ls.length - 1]);
    if (cpu.t.length) t = Math.max(t, cpu.t[cpu.t.length - 1]);
    if (acquires.requested.length) t = Math.max(t, acquires.requested[acquires.requested.length - 1]);
    return t;
  }

  /** The whole trace as saved in a notebook (what the chrome exporter takes). */
  toTrace(): Trace {
    return { version: TRACE_SCHEMA_VERSION, meta: this.meta ?? defaultMeta(), ...this.tables };
  }
}

export function defaultMeta(): TraceMeta {
  return {
    t0_unix_us: 0,
    pid: 0,
    python: '',
    host_cpus: 1,
    effective_cpus: 1,
    effective_cpus_reason: '',
    block_threshold_us: 100_000,
    dropped: 0,
    capacity: 1
  };
}
