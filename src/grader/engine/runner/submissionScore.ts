/**
 * A submission's scores: a row for every graded cell of the assignment, also those whose cell was
 * missing, with what matching did to the cell as a note.
 */
import type { SourceCell } from '../assignment.js';
import type { GradingPlan } from '../matching.js';
import type { CellScore } from '../scoring.js';

export function submissionScores(plan: GradingPlan, scores: Map<string, CellScore>): CellScore[] {
  return plan.gradedCells.map(record => {
    const notes = plan.notes.get(record.gradeId);
    const score = scores.get(record.gradeId) ?? unscored(record, notes);
    if (!notes || score.status === 'missing') return score;
    return { ...score, message: [score.message, ...notes].filter(Boolean).join('; ') };
  });
}

/** A graded cell no cell of the submission ran as. */
function unscored(record: SourceCell, notes: string[] | undefined): CellScore {
  const base = { gradeId: record.gradeId, score: 0, maxScore: record.points };
  // an answer graded by hand may still be there without its metadata: a person looks (as nbgrader)
  if (record.solution || record.task) {
    const message =
      'needs manual grading: no cell of the submission has this grade_id ' +
      '(deleted, or its nbgrader metadata was stripped)';
    return { ...base, status: 'manual', message };
  }
  return { ...base, status: 'missing', message: notes?.join('; ') ?? 'the cell is missing from the submission' };
}
