/**
 * Grading a class: every submission in a fresh kernel from a pool of `jobs` workers, the kernel
 * for a worker's next submission already starting while the current one runs; each finished
 * submission goes to the gradebook in one transaction; already graded submissions are skipped
 * (resume) unless `regrade`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isScored, type Assignment } from './assignment.js';
import { AssignmentError, InvalidNotebookError } from './errors.js';
import type { Gradebook, SubmissionRecord } from './gradebook.js';
import type { GradingKernel, KernelFactory } from './gradingKernel.js';
import { planGrading } from './matching.js';
import { parseNotebook, type Notebook } from './notebook.js';
import { runPlan } from './runner/runPlan.js';
import type { RunOptions } from './runner/runOptions.js';
import type { SubmissionFile } from './submissions.js';

export interface GradeRunOptions extends RunOptions {
  jobs: number;
  regrade: boolean;
  /** working directory template for the kernels; default: each submission's folder… */
  cwd?: string;
  /** …with the support files of this folder (the source's) copied over it, as nbgrader does */
  overlay?: string;
  /** kernels each worker starts ahead of the submission it grades (default 1) */
  lookahead?: number;
  maxNotebookBytes: number;
  /** called when a submission is done (graded, skipped or invalid) */
  onDone?: (record: SubmissionRecord, resumed: boolean) => void;
}

export interface GradeOutcome {
  record: SubmissionRecord;
  resumed: boolean;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Claimed {
  file: SubmissionFile;
  fileHash: string;
  notebook?: Notebook;
  invalid?: string;
  kernel?: Promise<GradingKernel>;
}

export async function gradeSubmissions(
  assignment: Assignment,
  sourceHash: string,
  files: SubmissionFile[],
  factory: KernelFactory,
  gradebook: Gradebook,
  options: GradeRunOptions
): Promise<GradeOutcome[]> {
  const outcomes: GradeOutcome[] = new Array(files.length);
  const disposals: Promise<void>[] = [];
  let nextIndex = 0;

  const base = (file: SubmissionFile, fileHash: string) => ({
    assignment: assignment.name,
    student: file.student,
    path: file.path,
    fileHash,
    sourceHash,
    gradedAt: new Date().toISOString()
  });

  const finish = (index: number, record: SubmissionRecord, resumed: boolean) => {
    if (!resumed) gradebook.save(record);
    outcomes[index] = { record, resumed };
    options.onDone?.(record, resumed);
  };

  /** Takes the next submission that needs a kernel; settles invalid and resumed ones on the way. */
  const claim = (): { index: number; claimed: Claimed } | undefined => {
    while (nextIndex < files.length) {
      const index = nextIndex++;
      const file = files[index]!;
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file.path);
      } catch (error) {
        const claimed: Claimed = {
          file,
          fileHash: '',
          invalid: `${file.path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`
        };
        finish(index, invalidRecord(claimed), false);
        continue;
      }
      const fileHash = sha256(bytes);
      if (!options.regrade) {
        const done = gradebook.finished(assignment.name, file.student, fileHash, sourceHash);
        if (done) {
          finish(index, done, true);
          continue;
        }
      }
      try {
        const notebook = parseNotebook(bytes, file.path, options.maxNotebookBytes);
        const cwd = options.cwd ?? path.dirname(path.resolve(file.path));
        const kernelName = planGrading(assignment, notebook).kernelName;
        const kernel = factory.start(kernelName, cwd, options.cwd ? undefined : options.overlay);
        kernel.catch(() => undefined); // observed when awaited
        return { index, claimed: { file, fileHash, notebook, kernel } };
      } catch (error) {
        if (!(error instanceof InvalidNotebookError || error instanceof AssignmentError)) throw error;
        finish(index, invalidRecord({ file, fileHash, invalid: error.reason }), false);
      }
    }
    return undefined;
  };

  const invalidRecord = (claimed: Claimed): SubmissionRecord => ({
    ...base(claimed.file, claimed.fileHash),
    status: 'invalid-notebook',
    reason: claimed.invalid ?? 'invalid notebook',
    score: 0,
    maxScore: assignment.maxScore,
    elapsedMs: 0,
    grades: assignment.cells.filter(isScored).map(cell => ({
      gradeId: cell.gradeId,
      score: 0,
      maxScore: cell.points,
      status: 'not-run' as const,
      message: 'the submission is not a valid notebook'
    })),
    runs: [],
    repairs: []
  });

  const worker = async () => {
    // kernels for this worker's next submissions start while the current one is graded
    const ahead: NonNullable<ReturnType<typeof claim>>[] = [];
    const fill = () => {
      while (ahead.length < Math.max(1, options.lookahead ?? 1)) {
        const claimed = claim();
        if (!claimed) break;
        ahead.push(claimed);
      }
    };
    fill();
    while (ahead.length > 0) {
      const { index, claimed } = ahead.shift()!;
      fill();
      let kernel: GradingKernel | undefined;
      const started = Date.now();
      try {
        kernel = await claimed.kernel!;
        const plan = planGrading(assignment, claimed.notebook!);
        const run = await runPlan(kernel, plan, options);
        finish(
          index,
          {
            ...base(claimed.file, claimed.fileHash),
            status: run.status,
            reason: run.reason,
            score: run.score,
            maxScore: run.maxScore,
            elapsedMs: run.elapsedMs,
            grades: run.cells,
            runs: run.runs,
            repairs: run.repairs
          },
          false
        );
      } catch (error) {
        finish(
          index,
          {
            ...base(claimed.file, claimed.fileHash),
            status: 'error',
            reason: `grading failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
            score: 0,
            maxScore: assignment.maxScore,
            elapsedMs: Date.now() - started,
            grades: assignment.cells.filter(isScored).map(cell => ({
              gradeId: cell.gradeId,
              score: 0,
              maxScore: cell.points,
              status: 'not-run' as const,
              message: 'not graded: the grader failed'
            })),
            runs: [],
            repairs: []
          },
          false
        );
      } finally {
        // shutting down takes a moment; the next submission need not wait for it
        if (kernel) disposals.push(kernel.dispose().catch(() => undefined));
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, () => worker()));
  await Promise.all(disposals);
  return outcomes;
}
