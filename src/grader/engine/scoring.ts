/**
 * Scoring a graded cell from what the kernel returned (nbgrader's determine_grade, with two
 * fixes: stderr output such as warnings costs nothing, and a cell that timed out or whose kernel
 * died scores 0 with that reason instead of crashing the run).
 */
import type { ExecuteResult, Output } from '../../kernel/kernelClient.js';
import type { SourceCell } from './assignment.js';
import { computeChecksum } from './nbgraderCells.js';

export type CellStatus =
  | 'passed'
  | 'partial'
  | 'failed'
  | 'timeout'
  | 'kernel-died'
  | 'memory-limit'
  | 'process-limit'
  | 'not-run'
  | 'missing'
  | 'manual';

export interface CellScore {
  gradeId: string;
  score: number;
  maxScore: number;
  status: CellStatus;
  /** for failures, the error a learner needs to read (ename: evalue), else '' */
  message: string;
}

/** Why a test cell scores nothing whatever it printed: it did not run to the end, or was not trusted. */
export interface CellFailure {
  status: CellStatus;
  message: string;
}

/** Python's float() on a result's text/plain, or undefined when it is not a number. */
export function parsePythonFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!/^[+-]?((\d(_?\d)*)(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

function textPlain(output: Output): string | undefined {
  if (output.output_type !== 'execute_result') return undefined;
  const value = output.data['text/plain'];
  if (Array.isArray(value)) return value.length === 1 ? String(value[0]) : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The short message of an error: its last meaningful line, as a learner reads it. */
export function errorMessage(error: { ename: string; evalue: string }): string {
  return error.evalue ? `${error.ename}: ${error.evalue}` : error.ename;
}

/** Points for a test cell from its execution; `points` is the cell's maximum. */
export function scoreTestCell(
  gradeId: string,
  points: number,
  result: ExecuteResult | undefined,
  failure?: CellFailure
): CellScore {
  const base = { gradeId, maxScore: points };
  if (failure) return { ...base, score: 0, ...failure };
  if (!result) return { ...base, score: 0, status: 'not-run', message: 'the cell did not run' };
  if (result.status === 'timeout')
    return { ...base, score: 0, status: 'timeout', message: 'the cell ran out of time (it was interrupted)' };
  if (result.status === 'aborted')
    return { ...base, score: 0, status: 'not-run', message: 'the cell was skipped after an earlier error' };
  const error =
    result.error ??
    result.outputs.find((o): o is Extract<Output, { output_type: 'error' }> => o.output_type === 'error');
  if (result.status === 'error' || error) {
    const e = error ?? { ename: 'Error', evalue: 'the cell failed' };
    if (e.ename === 'MemoryError')
      return {
        ...base,
        score: 0,
        status: 'memory-limit',
        message: 'MemoryError: the cell used more memory than allowed'
      };
    return { ...base, score: 0, status: 'failed', message: errorMessage(e) };
  }
  // A cell has one result, its last expression's, numbered like the reply. Any other was sent by
  // student code (a thread, a patched hook) to claim points.
  const results = result.outputs.filter(output => output.output_type === 'execute_result');
  if (results.length > 1 || results.some(output => output.execution_count !== result.executionCount)) {
    return {
      ...base,
      score: 0,
      status: 'failed',
      message:
        `the cell showed ${results.length} results, not only its own: ` +
        'something else published one, so it scores nothing'
    };
  }
  for (const output of results) {
    const text = textPlain(output);
    if (text === undefined) continue;
    const value = parsePythonFloat(text);
    // as nbgrader: non-numbers and negative numbers mean "no partial credit claimed" (full points)
    if (value === undefined || Number.isNaN(value) || value < 0)
      return { ...base, score: points, status: 'passed', message: '' };
    if (value > points)
      return {
        ...base,
        score: points,
        status: 'passed',
        message: `the cell returned ${text.trim()}, more than its ${points} points; counted as ${points}`
      };
    if (value === points) return { ...base, score: value, status: 'passed', message: '' };
    return {
      ...base,
      score: value,
      status: value === 0 ? 'failed' : 'partial',
      message: `the test gave ${value} of ${points} points`
    };
  }
  return { ...base, score: points, status: 'passed', message: '' };
}

/**
 * A cell graded by hand (a written answer, a code answer with points, a task), as nbgrader's
 * determine_grade: an answer left as released is "no response", 0 points; any other waits for a
 * person (0 until then).
 */
export function manualScore(record: SourceCell, submitted: string): CellScore {
  const base = { gradeId: record.gradeId, score: 0, maxScore: record.points };
  const { cellType, grade, gradeId, points } = record;
  const asReleased =
    record.solution &&
    record.releasedChecksum !== '' &&
    computeChecksum({
      cell_type: cellType,
      source: submitted,
      metadata: { nbgrader: { grade, solution: true, locked: false, grade_id: gradeId, points } }
    }) === record.releasedChecksum;
  return asReleased
    ? { ...base, status: 'failed', message: 'no response: the answer is as it was released' }
    : { ...base, status: 'manual', message: 'needs manual grading (not autograded)' };
}
