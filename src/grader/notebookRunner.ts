/**
 * Runs a grading plan cell by cell on one kernel and scores its graded cells. Partial results
 * are kept: a cell that times out is interrupted (and the kernel restarted when the interrupt
 * does not bring it back), a kernel that dies is restarted, and the rest of the notebook still
 * runs; each of those costs only the cell where it happened (and whatever depended on it).
 */
import { KernelDiedError } from '../kernel/errors.js';
import type { ExecuteResult, Output } from '../kernel/kernelClient.js';
import { isScored, type SourceCell } from './assignment.js';
import type { GradingKernel } from './gradingKernel.js';
import { HiddenText, hiddenLines, visibleResult } from './hiddenTests.js';
import { GUARD_REQUEST, guardAnswer, randomToken, guardSetup, withCanary, type GuardAction } from './kernelGuard.js';
import type { GradingPlan, PlannedCell } from './matching.js';
import { computeChecksum } from './nbgraderCells.js';
import { scoreTestCell, type CellScore, type CellStatus } from './scoring.js';

export type SubmissionStatus = 'ok' | 'timeout' | 'process-limit' | 'kernel-died' | 'memory-limit' | 'invalid-notebook' | 'error';

export interface RunOptions {
  /** per cell, ms (default 30 s, nbgrader's default) */
  cellTimeoutMs: number;
  /** whole notebook, ms */
  notebookTimeoutMs: number;
  /** per cell, bytes of output kept */
  maxOutputBytes: number;
  /** paths the submission must not read (instructor sources, gradebook) */
  protectedPaths: string[];
  /** called after each cell (progress) */
  onCell?: (done: number, total: number) => void;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  cellTimeoutMs: 30_000,
  notebookTimeoutMs: 600_000,
  maxOutputBytes: 1024 * 1024,
  protectedPaths: []
};

/** What a cell did, as feedback shows it (hidden-test code and tracebacks never included). */
export interface CellRun {
  gradeId?: string;
  cellType: PlannedCell['cellType'];
  source: string;
  outputs: Output[];
  status: 'ok' | 'error' | 'timeout' | 'kernel-died' | 'memory-limit' | 'process-limit' | 'not-run' | 'skipped';
  hidden: boolean;
  /** the error the cell ended with (ename: evalue), if any */
  message?: string;
}

export interface NotebookRun {
  status: SubmissionStatus;
  reason: string;
  score: number;
  maxScore: number;
  cells: CellScore[];
  runs: CellRun[];
  elapsedMs: number;
}

/** the guard's setup; its actions get at most this, and never beyond the notebook's deadline */
const GUARD_TIMEOUT_MS = 10_000;
/** after a timed-out cell's interrupt, how long the kernel has to answer before it is restarted */
const HEALTH_CHECK_MS = 5_000;

function statusRank(status: SubmissionStatus): number {
  return ['ok', 'timeout', 'process-limit', 'kernel-died', 'memory-limit', 'invalid-notebook', 'error'].indexOf(status);
}

/**
 * A cell graded by hand (a written answer, a code answer with points, a task), as nbgrader's
 * determine_grade: an answer left as released is "no response", 0 points; any other waits for a
 * person (0 until then).
 */
function manualScore(record: SourceCell, submitted: string): CellScore {
  const base = { gradeId: record.gradeId, score: 0, maxScore: record.points };
  const asReleased =
    record.solution &&
    record.releasedChecksum !== '' &&
    computeChecksum({
      cell_type: record.cellType,
      source: submitted,
      metadata: { nbgrader: { grade: record.grade, solution: true, locked: false, grade_id: record.gradeId, points: record.points } }
    }) === record.releasedChecksum;
  return asReleased ? { ...base, status: 'failed', message: 'no response: the answer is as it was released' } : { ...base, status: 'manual', message: 'needs manual grading (not autograded)' };
}


export async function runPlan(kernel: GradingKernel, plan: GradingPlan, options: RunOptions): Promise<NotebookRun> {
  const started = Date.now();
  const deadline = started + options.notebookTimeoutMs;
  const client = kernel.client;
  const events: { status: SubmissionStatus; text: string }[] = [];
  const scores = new Map<string, CellScore>();
  const runs: CellRun[] = [];
  // student code can keep a hidden test's source and print it in any later cell
  const hiddenText = new HiddenText(plan.cells.flatMap(cell => (cell.record?.hasHiddenTests ? hiddenLines(cell.source, cell.visibleSource) : [])));
  const secret = randomToken();
  const setup = guardSetup(options.protectedPaths, secret);

  const quiet = async (code: string, timeoutMs = GUARD_TIMEOUT_MS): Promise<ExecuteResult | undefined> => {
    try {
      return await client.execute(code, { silent: true, storeHistory: false, stopOnError: false, timeoutMs });
    } catch {
      return undefined;
    }
  };
  /** One of the guard's actions; false unless the real guard answered (not a student's stand-in). */
  const guard = async (action: GuardAction, extra: Record<string, string> = {}): Promise<boolean> => {
    const nonce = randomToken();
    try {
      const reply = await client.shellRequest(GUARD_REQUEST, { action, nonce, ...extra }, Math.max(1000, Math.min(GUARD_TIMEOUT_MS, deadline - Date.now())));
      return reply.answer === guardAnswer(secret, nonce, action);
    } catch {
      return false;
    }
  };
  // cells that ran fine, replayed after a restart so that only the failing cell is lost
  const replay: string[] = [];
  const freshKernel = async () => {
    await client.restart();
    kernel.resetCounters();
    await quiet(setup);
    for (const code of replay) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let again: ExecuteResult | undefined;
      try {
        again = await client.execute(code, { silent: true, storeHistory: false, stopOnError: false, timeoutMs: Math.min(options.cellTimeoutMs, left), maxOutputBytes: 0 });
      } catch {
        again = undefined;
      }
      if (again?.status !== 'ok') {
        if (!client.alive || again?.status === 'timeout') await client.restart().then(() => quiet(setup));
        events.push({ status: 'ok', text: 'after the restart, the cells before it could not all be run again' });
        break;
      }
    }
  };
  await client.ready();
  const installed = await quiet(setup);
  if (installed?.status !== 'ok') {
    events.push({ status: 'error', text: `the grading guard could not be installed (${installed?.error?.evalue ?? 'no reply'})` });
  }

  const codeCells = plan.cells.filter(cell => cell.cellType === 'code').length;
  let done = 0;
  for (const cell of plan.cells) {
    const record = cell.record;
    const what = cell.gradeId ?? `cell ${(cell.submissionIndex ?? 0) + 1}`;
    const isTest = Boolean(record?.grade && !record.solution && cell.cellType === 'code');
    const hidden = Boolean(record?.hasHiddenTests);
    const visible = (r: ExecuteResult) => visibleResult(r, hiddenText, hidden);
    const run: CellRun = { gradeId: cell.gradeId, cellType: cell.cellType, source: cell.visibleSource, outputs: [], status: 'skipped', hidden };
    runs.push(run);
    if (cell.cellType !== 'code') {
      if (record && isScored(record)) scores.set(record.gradeId, manualScore(record, cell.source));
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      run.status = 'not-run';
      if (isTest) scores.set(record!.gradeId, scoreTestCell(record!.gradeId, record!.points, undefined, { status: 'timeout', message: 'not run: the notebook ran out of time' }));
      if (!events.some(e => e.text.startsWith('the notebook'))) events.push({ status: 'timeout', text: `the notebook ran out of time (${Math.round(options.notebookTimeoutMs / 1000)} s)` });
      continue;
    }
    let result: ExecuteResult | undefined;
    let failure: { status: CellStatus; message: string } | undefined;
    // the submission broke what keeps tests honest: whatever this test reports is not trusted
    const untrusted = (why: string) => {
      const message = `${why}, so the test was not trusted`;
      events.push({ status: 'ok', text: `${record!.gradeId}: ${message}` });
      return { status: 'failed' as const, message };
    };
    if (isTest && !(await guard('restore')) && client.alive) {
      failure = untrusted('the grader could not restore the kernel before this test (the submission changed IPython or the grading guard)');
      run.status = 'not-run';
      run.message = failure.message;
      scores.set(record!.gradeId, scoreTestCell(record!.gradeId, record!.points, undefined, failure));
      options.onCell?.(++done, codeCells);
      continue;
    }
    const canary = randomToken();
    const sent = isTest ? withCanary(cell.source, secret, canary) : cell.source;
    const eventsBeforeCell = events.length;
    try {
      result = await client.execute(sent, {
        timeoutMs: Math.min(options.cellTimeoutMs, remaining),
        maxOutputBytes: options.maxOutputBytes,
        storeHistory: !hidden,
        stopOnError: false
      });
    } catch (error) {
      if (!(error instanceof KernelDiedError) && client.alive) throw error;
      const memory = kernel.memoryExceeded();
      failure = memory
        ? { status: 'memory-limit', message: 'the kernel was stopped: it used more memory than allowed' }
        : { status: 'kernel-died', message: `the kernel died while running this cell${error instanceof KernelDiedError && error.signal ? ` (${error.signal})` : ''}` };
      events.push({ status: memory ? 'memory-limit' : 'kernel-died', text: `${what}: ${failure.message}` });
      run.status = memory ? 'memory-limit' : 'kernel-died';
      run.message = failure.message;
      await freshKernel();
    }
    if (kernel.processLimitHit()) {
      // a fork bomb: its processes would starve every later cell; kill them all, start again
      const message = 'the cell started more processes or threads than allowed; they were all stopped';
      failure = { status: 'process-limit', message };
      // the bomb's processes also fill memory and may kill the kernel: the cause is the fork bomb
      events.splice(eventsBeforeCell);
      events.push({ status: 'process-limit', text: `${what}: ${message}` });
      if (result) run.outputs = visible(result).outputs;
      run.status = 'process-limit';
      run.message = message;
      result = undefined;
      await kernel.killAll();
      await freshKernel();
    }
    if (result) {
      result = visible(result);
      run.outputs = result.outputs;
      run.status = result.status === 'ok' ? 'ok' : result.status === 'timeout' ? 'timeout' : 'error';
      if (result.error) run.message = `${result.error.ename}: ${result.error.evalue}`;
      if (result.status === 'timeout') {
        events.push({
          status: 'timeout',
          text:
            remaining < options.cellTimeoutMs
              ? `${what}: stopped when the notebook ran out of time (${Math.round(options.notebookTimeoutMs / 1000)} s)`
              : `${what}: ran longer than ${Math.round(options.cellTimeoutMs / 1000)} s`
        });
        // the interrupt may not have stopped it (a loop that swallows KeyboardInterrupt): kill
        const probe = client.alive ? await quiet('pass', HEALTH_CHECK_MS) : undefined;
        if (probe?.status !== 'ok') await freshKernel();
      } else if (result.error?.ename === 'MemoryError') {
        events.push({ status: 'memory-limit', text: `${what}: MemoryError` });
      }
      if (sent !== cell.source && result.status !== 'timeout' && client.alive && !(await guard('verify', { expect: canary }))) {
        failure = untrusted('the test did not run as written (something changed the kernel before or while it ran)');
      }
      if (hidden) await guard('forget');
      if (result.status === 'ok' && !isTest) replay.push(cell.source);
    }
    if (isTest) scores.set(record!.gradeId, scoreTestCell(record!.gradeId, record!.points, result, failure));
    else if (record && isScored(record)) scores.set(record.gradeId, manualScore(record, cell.source));
    options.onCell?.(++done, codeCells);
  }

  // every graded cell of the assignment gets a row, also those whose cell was missing; an answer
  // graded by hand may still be there without its metadata: a person looks (as nbgrader)
  const cells: CellScore[] = [];
  for (const record of plan.gradedCells) {
    const byHand = record.solution || record.task;
    const score: CellScore = scores.get(record.gradeId) ?? {
      gradeId: record.gradeId,
      score: 0,
      maxScore: record.points,
      status: byHand ? 'manual' : 'missing',
      message: byHand
        ? 'needs manual grading: no cell of the submission has this grade_id (deleted, or its nbgrader metadata was stripped)'
        : (plan.notes.get(record.gradeId)?.join('; ') ?? 'the cell is missing from the submission')
    };
    const notes = plan.notes.get(record.gradeId);
    if (notes && score.status !== 'missing') score.message = [score.message, ...notes].filter(Boolean).join('; ');
    cells.push(score);
  }
  let status: SubmissionStatus = 'ok';
  for (const event of events) if (statusRank(event.status) > statusRank(status)) status = event.status;
  return {
    status,
    reason: events.map(event => event.text).join('; '),
    score: cells.reduce((sum, cell) => sum + cell.score, 0),
    maxScore: cells.reduce((sum, cell) => sum + cell.maxScore, 0),
    cells,
    runs,
    elapsedMs: Date.now() - started
  };
}
