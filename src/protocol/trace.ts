/**
 * Trace schema v2: what the probe records and the extension draws.
 *
 * Columnar and compact: every table is an object of equal-length arrays (one per field), and
 * every name is an index into `strings`. All tables are append-only, so the live path sends
 * only new rows (a `TraceChunk`) and a receiver rebuilds the trace by concatenation; a saved
 * trace is one chunk holding everything. Times are integer microseconds since `meta.t0_unix_us`.
 * The JSON Schema of the same contract is `traceSchema.json`; the probe is validated against it.
 *
 * v2 added task fates (outcomes `destroyed` and `neverAwaited`, the `reason` and `by` of an end) and
 * the `awaits` table (who awaits whom). A reader upgrades a v1 trace by filling the new columns
 * with -1 and adding an empty `awaits` table.
 */

export const TRACE_SCHEMA_VERSION = 2;

/** What a lane is. */
export const LaneKind = { task: 0, thread: 1, process: 2 } as const;
export type LaneKind = (typeof LaneKind)[keyof typeof LaneKind];

/** How a lane kind is named to people (timeline details, Chrome/Perfetto thread names). */
export const LANE_KIND_LABELS: Record<LaneKind, string> = {
  [LaneKind.task]: 'task',
  [LaneKind.thread]: 'thread',
  [LaneKind.process]: 'process'
};

/** What a span on a lane is. */
export const SpanKind = {
  /** the task/thread was running (an asyncio step, a thread's life) */
  run: 0,
  /** the task was suspended on something (`label` says what it awaited) */
  suspended: 1,
  /** waiting to acquire a lock (`lock` says which) */
  lockWait: 2,
  /** holding a lock */
  lockHold: 3,
  /** an asyncio step that held the event loop longer than the threshold (`label` = code location) */
  blocked: 4
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** How a span kind is named to people (timeline legend, Chrome/Perfetto export, text summary). */
export const SPAN_KIND_LABELS: Record<SpanKind, string> = {
  [SpanKind.run]: 'running',
  [SpanKind.suspended]: 'suspended',
  [SpanKind.lockWait]: 'lock wait',
  [SpanKind.lockHold]: 'lock held',
  [SpanKind.blocked]: 'blocked loop'
};

/**
 * How a lane ended. `destroyed`: a task garbage-collected while still pending; `neverAwaited`: a
 * coroutine object destroyed without ever running (its lane is a task lane in group "never awaited").
 */
export const Outcome = { ok: 0, error: 1, cancelled: 2, destroyed: 3, neverAwaited: 4 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** How a lane's end is named to people (timeline details, Chrome/Perfetto instant events). */
export const OUTCOME_LABELS: Record<Outcome, string> = {
  [Outcome.ok]: 'done',
  [Outcome.error]: 'error',
  [Outcome.cancelled]: 'cancelled',
  [Outcome.destroyed]: 'destroyed while pending',
  [Outcome.neverAwaited]: 'never awaited'
};

/** Index into `strings`, or -1 for none. */
export type StringRef = number;

export interface TraceMeta {
  /** wall-clock time of t = 0, microseconds since the Unix epoch */
  t0_unix_us: number;
  /** pid of the traced (kernel) process */
  pid: number;
  /** Python version of the kernel, e.g. "3.11.7" */
  python: string;
  /** os.cpu_count() */
  host_cpus: number;
  /** cores this process may really use (cgroup quota, affinity, CPU_LIMIT) */
  effective_cpus: number;
  /** why effective_cpus has its value, for people: e.g. "cgroup cpu.max 100000/100000" */
  effective_cpus_reason: string;
  /** a step longer than this is flagged as blocking the loop */
  block_threshold_us: number;
  /** events the bounded buffer had to drop; 0 when the trace is complete */
  dropped: number;
  /** capacity of the buffer, in events */
  capacity: number;
  /** duration of the traced region (set in the final chunk) */
  duration_us?: number;
  /** what was traced, e.g. the first line of the cell */
  label?: string;
}

/** One row per task, thread or process. A lane's index is its position. */
export interface LaneTable {
  kind: LaneKind[];
  name: StringRef[];
  /** grouping for display, e.g. "asyncio", "threads", "processes" */
  group: StringRef[];
  /** enclosing lane (a worker thread's or a task's process), -1 for none */
  parent: number[];
  /** lane that created this one (the task that called create_task), -1 for unknown */
  created_by: number[];
  /** where it was created ("file.py:12 in main"), -1 for unknown */
  site: StringRef[];
  start: number[];
  /** pid for processes, native thread id for threads, -1 for tasks */
  os_id: number[];
}

/** One row per lane that ended. */
export interface EndTable {
  lane: number[];
  t: number[];
  outcome: Outcome[];
  /** result repr, exception text or cancel message, -1 for none */
  detail: StringRef[];
  /** CPU time used by the lane's thread or process, -1 when not measured (tasks) */
  cpu_us: number[];
  /**
   * why it was cancelled, for people, -1 when unknown or not cancelled: "TaskGroup abort",
   * "timeout", "cancel()", "shutdown", "gather cancelled" (other text allowed)
   */
  reason: StringRef[];
  /**
   * the lane that caused the end, -1 unknown: for a TaskGroup abort the child whose exception
   * aborted the group, for cancel() the lane that called it (-1 for a timeout)
   */
  by: number[];
}

/**
 * One row per task-to-task await: lane `lane` awaited task lane `target` from `start` to `end`
 * (-1 while still awaiting). gather() and a TaskGroup's `async with` give one row per child. Awaits on
 * anything else (futures, locks, queues, sleep) are the `label` of the suspended span.
 */
export interface AwaitTable {
  lane: number[];
  target: number[];
  start: number[];
  end: number[];
}

export interface SpanTable {
  lane: number[];
  kind: SpanKind[];
  start: number[];
  end: number[];
  /** what was awaited (suspended), the code location (blocked), -1 for none */
  label: StringRef[];
  /** lock index for lockWait/lockHold, -1 otherwise */
  lock: number[];
}

/** One row per synchronisation primitive seen. A lock's index is its position. */
export interface LockTable {
  name: StringRef[];
  /** e.g. "threading.Lock", "asyncio.Semaphore", "queue.Queue" */
  kind: StringRef[];
  /** creation site */
  site: StringRef[];
}

/** One row per acquisition of a lock. */
export interface AcquireTable {
  lock: number[];
  /** lane that acquired it */
  lane: number[];
  requested: number[];
  acquired: number[];
  /** -1 while still held */
  released: number[];
  /** how many others were waiting when this one asked */
  waiters: number[];
}

/** Whole-machine per-core utilisation samples (one row per core per sample). */
export interface CpuTable {
  t: number[];
  core: number[];
  /** percent, 0..100 */
  util: number[];
}

/** Per-lane samples for threads and processes: the core it was last on and its CPU use. */
export interface SampleTable {
  lane: number[];
  t: number[];
  core: number[];
  /** percent of one core since the previous sample */
  cpu: number[];
}

export interface TraceTables {
  strings: string[];
  lanes: LaneTable;
  ends: EndTable;
  spans: SpanTable;
  locks: LockTable;
  acquires: AcquireTable;
  cpu: CpuTable;
  samples: SampleTable;
  awaits: AwaitTable;
}

/** A whole trace, as saved in the notebook under TRACE_MIME. */
export interface Trace extends TraceTables {
  version: typeof TRACE_SCHEMA_VERSION;
  meta: TraceMeta;
}

/**
 * What the probe sends over the TRACE_COMM_TARGET comm: only the rows added since the
 * previous chunk (indexes are global). `meta` comes with the first chunk (seq 0) and the
 * final one (with `duration_us` and `dropped`).
 */
export interface TraceChunk extends TraceTables {
  version: typeof TRACE_SCHEMA_VERSION;
  trace_id: string;
  seq: number;
  final: boolean;
  meta?: TraceMeta;
}

/** One sample on the METER_COMM_TARGET comm (kernel → frontend). */
export interface MeterSample {
  type: 'cpu';
  /** wall clock, microseconds since the Unix epoch */
  t_unix_us: number;
  /** percent per core, 0..100, indexed by core number */
  per_core: number[];
  host_cpus: number;
  effective_cpus: number;
  effective_cpus_reason: string;
  /** cgroup throttling since the previous sample, microseconds (0 when none or unknown) */
  throttled_us: number;
  /** CPU use split by process: the kernel and its children */
  processes: { pid: number; name: string; cpu: number; is_kernel: boolean }[];
}

/** Messages the frontend may send on the meter comm. */
export type MeterCommand = { type: 'config'; interval_ms: number } | { type: 'stop' };

export const TABLE_COLUMNS: { [K in Exclude<keyof TraceTables, 'strings'>]: (keyof TraceTables[K])[] } = {
  lanes: ['kind', 'name', 'group', 'parent', 'created_by', 'site', 'start', 'os_id'],
  ends: ['lane', 't', 'outcome', 'detail', 'cpu_us', 'reason', 'by'],
  spans: ['lane', 'kind', 'start', 'end', 'label', 'lock'],
  locks: ['name', 'kind', 'site'],
  acquires: ['lock', 'lane', 'requested', 'acquired', 'released', 'waiters'],
  cpu: ['t', 'core', 'util'],
  samples: ['lane', 't', 'core', 'cpu'],
  awaits: ['lane', 'target', 'start', 'end']
};
