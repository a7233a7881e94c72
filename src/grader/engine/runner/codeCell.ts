/**
 * Runs one code cell and copes with what it did to the kernel: a kernel that died (a crash, the
 * OOM killer) or a fork bomb costs a restart, a cell that ran too long is interrupted (and the
 * kernel restarted when the interrupt did not bring it back).
 */
import { KernelDiedError } from '../../../kernel/errors.js';
import type { ExecuteResult } from '../../../kernel/kernelClient.js';
import { TRUNCATION_NOTE } from '../../sandbox/outputCap.js';
import type { PlannedCell } from '../matching.js';
import type { CellFailure } from '../scoring.js';
import type { GradingSession } from './gradingSession.js';
import { visibleResult, type HiddenText } from './hiddenTests.js';
import type { CellRun } from './runResult.js';

/** What a cell's run gives its score: the kernel's result (what a student may see of it), or why there is none. */
export interface CellOutcome {
  result?: ExecuteResult;
  failure?: CellFailure;
}

/** One code cell to run: the plan's cell, the record of what it did, and the time it has. */
export interface CellJob {
  cell: PlannedCell;
  run: CellRun;
  /** what no output may show */
  hiddenText: HiddenText;
  /** ms left for the notebook when the cell's turn came */
  remaining: number;
  /** a test cell (the grader's code): its output is not counted against the notebook's output cap */
  test: boolean;
}

/** How messages name a cell: its grade_id, else its position in the submission. */
function cellLabel(cell: PlannedCell): string {
  return cell.gradeId ?? `cell ${(cell.submissionIndex ?? 0) + 1}`;
}

/** Sends `code` (the cell's source, or a test with its canary line) and records what it did in `run`. */
export async function runCodeCell(session: GradingSession, job: CellJob, code: string): Promise<CellOutcome> {
  const { cell, run, hiddenText, remaining, test } = job;
  const mark = session.log.mark();
  const visible = (result: ExecuteResult) => visibleResult(result, hiddenText, run.hidden);
  let result: ExecuteResult | undefined;
  let deathError: unknown;
  try {
    result = await session.client.execute(code, {
      timeoutMs: Math.min(session.options.cellTimeoutMs, remaining),
      maxOutputBytes: session.outputRoom(test),
      storeHistory: !run.hidden,
      stopOnError: false
    });
  } catch (error) {
    if (!(error instanceof KernelDiedError) && session.client.alive) throw error;
    deathError = error;
  }
  // asked before anything restarts the kernel (a restart forgets the refused forks): the bomb's
  // processes also fill memory and may kill the kernel, but the cause is the fork bomb
  if (session.kernel.processLimitHit()) {
    session.log.dropSince(mark);
    if (result) run.outputs = visible(result).outputs;
    return { failure: await afterForkBomb(session, cell, run) };
  }
  if (!result) return { failure: await afterKernelDeath(session, cell, run, deathError) };
  result = visible(result);
  recordResult(run, result);
  if (!test) session.keptOutput(outputBytes(run.outputs));
  if (result.status === 'timeout') await afterTimeout(session, cell, remaining);
  else if (result.error?.ename === 'MemoryError') session.log.add('memory-limit', `${cellLabel(cell)}: MemoryError`);
  return { result };
}

function recordResult(run: CellRun, result: ExecuteResult): void {
  run.outputs = result.outputs;
  // the kernel says where it cut; what the grader cut (a kernel past the kernel's own cap) is said here
  const said = result.outputs.some(o => o.output_type === 'stream' && TRUNCATION_NOTE.test(o.text));
  if (result.droppedBytes > 0 && !said)
    run.outputs = [
      ...result.outputs,
      {
        output_type: 'stream',
        name: 'stderr',
        text: `\n[output truncated: ${result.droppedBytes} bytes over the output limit were not kept]\n`
      }
    ];
  run.status = result.status === 'ok' ? 'ok' : result.status === 'timeout' ? 'timeout' : 'error';
  if (result.error) run.message = `${result.error.ename}: ${result.error.evalue}`;
}

/** The kernel died while the cell ran: by its memory limit or otherwise; a fresh one takes over. */
async function afterKernelDeath(
  session: GradingSession,
  cell: PlannedCell,
  run: CellRun,
  error: unknown
): Promise<CellFailure> {
  const status = session.kernel.memoryExceeded() ? 'memory-limit' : 'kernel-died';
  const signal = error instanceof KernelDiedError && error.signal ? ` (${error.signal})` : '';
  const message =
    status === 'memory-limit'
      ? 'the kernel was stopped: it used more memory than allowed'
      : `the kernel died while running this cell${signal}`;
  session.log.add(status, `${cellLabel(cell)}: ${message}`);
  run.status = status;
  run.message = message;
  await session.restart();
  return { status, message };
}

/** A fork bomb: its processes would starve every later cell; kill them all, start again. */
async function afterForkBomb(session: GradingSession, cell: PlannedCell, run: CellRun): Promise<CellFailure> {
  const message = 'the cell started more processes or threads than allowed; they were all stopped';
  session.log.add('process-limit', `${cellLabel(cell)}: ${message}`);
  run.status = 'process-limit';
  run.message = message;
  await session.kernel.killAll();
  await session.restart();
  return { status: 'process-limit', message };
}

/** Bytes of text a cell's outputs keep, counted as the kernel's output cap counts them (errors are not). */
function outputBytes(outputs: CellRun['outputs']): number {
  let bytes = 0;
  for (const output of outputs) {
    if (output.output_type === 'stream') bytes += Buffer.byteLength(output.text);
    else if (output.output_type !== 'error')
      for (const value of Object.values(output.data))
        bytes += Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return bytes;
}

/** The cell was interrupted; the interrupt may not have stopped it (a loop that swallows KeyboardInterrupt). */
async function afterTimeout(session: GradingSession, cell: PlannedCell, remaining: number): Promise<void> {
  const { cellTimeoutMs, notebookTimeoutMs } = session.options;
  const why =
    remaining < cellTimeoutMs
      ? `stopped when the notebook ran out of time (${Math.round(notebookTimeoutMs / 1000)} s)`
      : `ran longer than ${Math.round(cellTimeoutMs / 1000)} s`;
  session.log.add('timeout', `${cellLabel(cell)}: ${why}`);
  if (!(await session.responds())) await session.restart();
}
