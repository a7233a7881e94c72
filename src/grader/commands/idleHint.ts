/**
 * After grading: were the cores busy? Notebooks about concurrency mostly wait (sleeps, I/O), so
 * `--jobs` = cores leaves the machine idle, and more kernels than cores finish sooner (the course's
 * week 2 grades 2.6x faster than nbgrader with 2 kernels on 2 cores, 5.4x with 6). The hint says so,
 * with a number to try.
 */
import os from 'node:os';

export interface CpuTimes {
  busy: number;
  total: number;
}

/** The machine's CPU time so far, all cores (ms). */
export function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  return { busy, total };
}

/** Grading shorter than this is not worth a hint. */
const MIN_WALL_MS = 10_000;
/** More kernels than this many per core is beyond what a hint should suggest. */
const MAX_KERNELS_PER_CORE = 4;

/** A line for the instructor when the cores were mostly idle while `jobs` kernels graded, else undefined. */
export function idleHint(
  before: CpuTimes,
  after: CpuTimes,
  wallMs: number,
  jobs: number,
  cores: number
): string | undefined {
  const total = after.total - before.total;
  if (wallMs < MIN_WALL_MS || total <= 0) return undefined;
  const busy = (after.busy - before.busy) / total;
  const most = cores * MAX_KERNELS_PER_CORE;
  if (busy >= 0.5 || jobs >= most) return undefined;
  const suggested = Math.min(most, Math.max(jobs + 1, Math.floor(jobs / Math.max(busy, 0.1))));
  return (
    `the cores were busy ${Math.round(busy * 100)}% of the time: ` +
    'these notebooks mostly wait (sleeps, I/O), so more kernels than cores would finish sooner; ' +
    `try --jobs ${suggested} (each kernel needs its own memory)`
  );
}
