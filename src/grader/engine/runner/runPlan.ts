/**
 * Runs a grading plan cell by cell on one kernel and scores its graded cells. Partial results
 * are kept: a cell that times out is interrupted (and the kernel restarted when the interrupt
 * does not bring it back), a kernel that dies is restarted, and the rest of the notebook still
 * runs; each of those costs only the cell where it happened (and whatever depended on it).
 */
import { isScored } from '../assignment.js';
import type { GradingKernel } from '../gradingKernel.js';
import type { GradingPlan, PlannedCell } from '../matching.js';
import { manualScore, scoreTestCell, type CellScore } from '../scoring.js';
import { runCodeCell, type CellJob, type CellOutcome } from './codeCell.js';
import { GradingSession } from './gradingSession.js';
import { HiddenText, hiddenLines } from './hiddenTests.js';
import { RunLog } from './runLog.js';
import type { RunOptions } from './runOptions.js';
import type { CellRun, NotebookRun } from './runResult.js';
import { submissionScores } from './submissionScore.js';
import { isTestCell, runTestCell } from './testCell.js';

export async function runPlan(kernel: GradingKernel, plan: GradingPlan, options: RunOptions): Promise<NotebookRun> {
  const started = Date.now();
  const log = new RunLog();
  const session = new GradingSession(kernel, options, log, started);
  // student code can keep a hidden test's source and print it in any later cell
  const hiddenText = new HiddenText(
    plan.cells.flatMap(cell => (cell.record?.hasHiddenTests ? hiddenLines(cell.source, cell.visibleSource) : []))
  );
  await session.start();

  const scores = new Map<string, CellScore>();
  const runs: CellRun[] = [];
  const codeCells = plan.cells.filter(cell => cell.cellType === 'code').length;
  let done = 0;
  for (const cell of plan.cells) {
    const run: CellRun = {
      gradeId: cell.gradeId,
      cellType: cell.cellType,
      source: cell.visibleSource,
      outputs: [],
      status: 'skipped',
      hidden: Boolean(cell.record?.hasHiddenTests)
    };
    runs.push(run);
    let score: CellScore | undefined;
    if (cell.cellType !== 'code') {
      score = cellScore(cell, {});
    } else {
      const remaining = session.timeLeft();
      if (remaining <= 0) {
        score = notRunForTime(cell, run, log, options);
      } else {
        const job = { cell, run, hiddenText, remaining, test: isTestCell(cell) };
        score = cellScore(cell, await runCell(session, job));
        options.onCell?.(++done, codeCells);
      }
    }
    if (score) scores.set(score.gradeId, score);
  }

  const cells = submissionScores(plan, scores);
  return {
    status: log.status(),
    reason: log.reason(),
    score: cells.reduce((sum, cell) => sum + cell.score, 0),
    maxScore: cells.reduce((sum, cell) => sum + cell.maxScore, 0),
    cells,
    runs,
    repairs: plan.repairs,
    elapsedMs: Date.now() - started
  };
}

/** Runs a code cell (a test under the guard), then forgets its hidden tests and keeps it for replay. */
async function runCell(session: GradingSession, job: CellJob): Promise<CellOutcome> {
  const { cell, run } = job;
  const test = isTestCell(cell);
  const outcome = test ? await runTestCell(session, job, cell.record) : await runCodeCell(session, job, cell.source);
  if (outcome.result) {
    if (run.hidden) await session.guard('forget');
    if (outcome.result.status === 'ok' && !test) session.remember(cell.source);
  }
  return outcome;
}

/** A graded cell's score from its outcome: a test's from what it did, a cell graded by hand's from its answer. */
function cellScore(cell: PlannedCell, outcome: CellOutcome): CellScore | undefined {
  if (isTestCell(cell)) return scoreTestCell(cell.record.gradeId, cell.record.points, outcome.result, outcome.failure);
  return cell.record && isScored(cell.record) ? manualScore(cell.record, cell.source) : undefined;
}

/** A code cell the notebook has no time left for: a test scores nothing, with that reason. */
function notRunForTime(cell: PlannedCell, run: CellRun, log: RunLog, options: RunOptions): CellScore | undefined {
  run.status = 'not-run';
  log.addOnce('timeout', `the notebook ran out of time (${Math.round(options.notebookTimeoutMs / 1000)} s)`);
  if (!isTestCell(cell)) return undefined;
  const failure = { status: 'timeout' as const, message: 'not run: the notebook ran out of time' };
  return scoreTestCell(cell.record.gradeId, cell.record.points, undefined, failure);
}
