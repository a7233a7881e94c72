/**
 * Timing tests ("the three fetches finish in under 0.75 s") measure the machine as much as the
 * answer: with more kernels than cores, a test can fail only because its kernel waited for a core.
 * A submission where such a test failed while the CPU was saturated is graded again in a fresh
 * kernel with no more kernels than cores running, and that second grade is the one kept (and
 * said so in its reason).
 */
import type { GradingPlan } from './matching.js';
import type { NotebookRun } from './runner/runResult.js';

/** A test that reads a clock, or the probe's loop-blocking check: its verdict can depend on the load. */
const READS_A_CLOCK =
  /\b(perf_counter|monotonic|process_time|timeit|assert_loop_not_blocked)\b|\btime\.time\(|\belapsed\b/;

/** Test cells of `plan` that read a clock and failed in `run` (an assertion, not a missing answer). */
export function timingFailures(plan: GradingPlan, run: NotebookRun): string[] {
  const clocked = new Set(
    plan.cells.filter(cell => cell.gradeId && READS_A_CLOCK.test(cell.source)).map(cell => cell.gradeId!)
  );
  return run.cells
    .filter(
      score =>
        clocked.has(score.gradeId) &&
        (score.status === 'failed' || score.status === 'partial') &&
        !/^NotImplementedError\b/.test(score.message)
    )
    .map(score => score.gradeId);
}

export function rerunReason(cells: string[], delay: number): string {
  return (
    `graded twice: ${cells.join(', ')} failed while the CPU was saturated ` +
    `(${delay.toFixed(1)} threads waiting per core used); this grade is from a rerun with no more kernels than cores`
  );
}
