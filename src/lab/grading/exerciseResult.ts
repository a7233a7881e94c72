/**
 * The result of one exercise (an nbgrader test cell) as the toolbar shows it, scored the way the
 * grader scores it: an error costs the points, a number between 0 and the points as the last
 * result is partial credit, anything else earns the points; stderr output costs nothing.
 */

export interface ExerciseResult {
  gradeId: string;
  cellIndex: number;
  points: number;
  score: number;
  status: 'passed' | 'partial' | 'failed';
  /** for failures, what the learner needs to read */
  message: string;
}

/** A test cell's nbgrader metadata, or undefined for other cells. */
export function testCellInfo(metadata: unknown): { gradeId: string; points: number } | undefined {
  const nb = (metadata as { nbgrader?: Record<string, unknown> } | undefined)?.nbgrader;
  if (!nb || !nb.grade || nb.solution) return undefined;
  const points = Number(nb.points ?? 0);
  return { gradeId: String(nb.grade_id ?? ''), points: Number.isFinite(points) ? points : 0 };
}

/** Python's float() of a result's text, or undefined. */
function pythonFloat(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?((\d(_?\d)*)(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

const HINTS: Record<string, string> = {
  NameError: ' — run the cells above this exercise first (Run → Run All Above Selected Cell).',
  NotImplementedError: ' — replace `raise NotImplementedError()` with your solution.'
};

export function scoreExercise(
  info: { gradeId: string; points: number; cellIndex: number },
  outcome: { error?: { ename: string; evalue: string }; lastResult?: string }
): ExerciseResult {
  const base = { gradeId: info.gradeId, cellIndex: info.cellIndex, points: info.points };
  if (outcome.error) {
    const { ename, evalue } = outcome.error;
    return {
      ...base,
      score: 0,
      status: 'failed',
      message: `${ename}${evalue ? `: ${evalue}` : ''}${HINTS[ename] ?? ''}`
    };
  }
  const value = outcome.lastResult === undefined ? undefined : pythonFloat(outcome.lastResult);
  if (value !== undefined && value >= 0 && value < info.points) {
    return {
      ...base,
      score: value,
      status: value === 0 ? 'failed' : 'partial',
      message: `${value} of ${info.points} points`
    };
  }
  return { ...base, score: info.points, status: 'passed', message: '' };
}
