/**
 * Runs a test cell under the guard: the kernel's machinery put back first, the test sent with a
 * canary line, and afterwards the guard asked whether that exact line ran and nothing changed
 * while the test ran. A test the guard cannot vouch for is not trusted: 0 points, with the reason.
 */
import type { SourceCell } from '../assignment.js';
import type { PlannedCell } from '../matching.js';
import type { CellFailure } from '../scoring.js';
import { runCodeCell, type CellJob, type CellOutcome } from './codeCell.js';
import type { GradingSession } from './gradingSession.js';

/** A code cell that scores points when it runs without error (nbgrader: grade, not solution). */
export type TestCell = PlannedCell & { record: SourceCell };

export function isTestCell(cell: PlannedCell): cell is TestCell {
  return Boolean(cell.record?.grade && !cell.record.solution && cell.cellType === 'code');
}

/** The submission broke what keeps tests honest: whatever this test reports is not trusted. */
function untrusted(session: GradingSession, record: SourceCell, why: string): CellFailure {
  const message = `${why}, so the test was not trusted`;
  session.log.add('ok', `${record.gradeId}: ${message}`);
  return { status: 'failed', message };
}

export async function runTestCell(session: GradingSession, job: CellJob, record: SourceCell): Promise<CellOutcome> {
  const { cell, run } = job;
  // a dead kernel cannot answer: the cell then finds out and restarts it
  if (!(await session.guard('restore')) && session.client.alive) {
    const failure = untrusted(
      session,
      record,
      'the grader could not restore the kernel before this test (the submission changed IPython or the grading guard)'
    );
    run.status = 'not-run';
    run.message = failure.message;
    return { failure };
  }
  const test = session.withCanary(cell.source);
  const outcome = await runCodeCell(session, job, test.code);
  // a test sent without a canary (a %%bash cell) is still checked: nothing changed while it ran
  const expect: Record<string, string> = test.code !== cell.source ? { expect: test.nonce } : {};
  const verifiable = outcome.result && outcome.result.status !== 'timeout';
  if (verifiable && session.client.alive && !(await session.guard('verify', expect))) {
    const why = 'the test did not run as written (something changed the kernel before or while it ran)';
    return { result: outcome.result, failure: untrusted(session, record, why) };
  }
  return outcome;
}
