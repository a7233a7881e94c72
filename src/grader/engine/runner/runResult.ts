/** What running a notebook gives: its status, each graded cell's score and what every cell did. */
import type { Output } from '../../../kernel/kernelClient.js';
import type { PlannedCell, Repair } from '../matching.js';
import type { CellScore } from '../scoring.js';

/** A submission's status, from the best to the worst: the worst event of its run wins. */
export const SUBMISSION_STATUSES = [
  'ok',
  'timeout',
  'process-limit',
  'kernel-died',
  'memory-limit',
  'invalid-notebook',
  'error'
] as const;

export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

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
  /** what matching repaired in the submission, each with its reason */
  repairs: Repair[];
  elapsedMs: number;
}
