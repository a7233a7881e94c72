/**
 * A graded submission as nbgrader's gradebook takes it: an auto_score per graded cell (null for
 * one a person grades), with nbgrader's rule for test cells, and a note wherever Threadline
 * deliberately graded otherwise than nbgrader would have (written as a gradebook comment).
 */
import type { SubmissionRecord } from '../engine/gradebook.js';
import type { GradingPlan } from '../engine/matching.js';
import type { CellRun } from '../engine/runner/runResult.js';

/** Run statuses after which nbgrader stops grading the notebook, where Threadline restarts the kernel. */
const SAFER_STATUSES = new Set<CellRun['status']>(['kernel-died', 'process-limit', 'memory-limit']);

/**
 * nbgrader's determine_grade reads a test cell's outputs in order: an error or any stderr output
 * before a result is 0 points. Threadline alone would not count stderr (a warning is not a wrong
 * answer); as a drop-in it keeps nbgrader's rule, so the gradebook matches nbgrader's.
 */
function stderrFirst(run: CellRun | undefined): boolean {
  for (const output of run?.outputs ?? []) {
    if (output.output_type === 'execute_result' || output.output_type === 'error') return false;
    if (output.output_type === 'stream' && output.name === 'stderr') return true;
  }
  return false;
}

export interface NbgraderScores {
  scores: Record<string, number | null>;
  notes: Record<string, string[]>;
}

export function nbgraderScores(plan: GradingPlan, record: SubmissionRecord): NbgraderScores {
  const runOf = new Map(record.runs.filter(run => run.gradeId).map(run => [run.gradeId!, run]));
  const notes: Record<string, string[]> = {};
  const addNote = (gradeId: string | undefined, text: string) => {
    if (gradeId === undefined) return;
    const list = (notes[gradeId] ??= []);
    if (!list.includes(text)) list.push(text);
  };
  const scores: Record<string, number | null> = {};
  for (const grade of record.grades) {
    const cell = plan.gradedCells.find(c => c.gradeId === grade.gradeId);
    if (!cell?.grade) continue; // task cells: nbgrader's autograde leaves their grade alone
    let score: number | null = grade.status === 'manual' ? null : grade.score;
    if (!cell.solution && score !== null && score > 0 && stderrFirst(runOf.get(grade.gradeId))) score = 0;
    scores[grade.gradeId] = score;
    if (grade.status === 'timeout' && grade.message.startsWith('not run'))
      addNote(grade.gradeId, `${grade.message} (a limit nbgrader does not have)`);
  }
  for (const [gradeId, texts] of plan.notes)
    for (const text of texts)
      if (text.includes('restored from the assignment'))
        addNote(gradeId, `${text}, and graded (nbgrader 0.9 leaves a deleted test ungraded)`);
  // a kernel death or a fork bomb: nbgrader stops the notebook there; Threadline loses only that cell
  let lastTracked: string | undefined;
  const pending: string[] = [];
  record.runs.forEach(run => {
    if (SAFER_STATUSES.has(run.status)) {
      const text =
        `${run.message ?? run.status}; the kernel was restarted and the rest of the notebook graded ` +
        '(nbgrader would have stopped grading this notebook here)';
      if (run.gradeId ?? lastTracked) addNote(run.gradeId ?? lastTracked, text);
      else pending.push(text);
    }
    if (run.gradeId) {
      lastTracked = run.gradeId;
      for (const text of pending.splice(0)) addNote(run.gradeId, text);
    }
  });
  return { scores, notes };
}
