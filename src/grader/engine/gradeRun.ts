/**
 * Grading a class: every submission in a fresh kernel, as many at once as `concurrency` allows
 * (pinned by `--jobs`, or adapting to the load), kernels for the next submissions already starting
 * while the current ones run; each finished submission goes to the gradebook in one transaction;
 * already graded submissions are skipped (resume) unless `regrade`. A timing test that failed
 * while the CPU was saturated is graded again in a quiet moment (timingRerun.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isScored, type Assignment } from './assignment.js';
import { Concurrency } from './concurrency.js';
import { AssignmentError, InvalidNotebookError } from './errors.js';
import type { Gradebook, SubmissionRecord } from './gradebook.js';
import type { GradingKernel, KernelFactory } from './gradingKernel.js';
import { planGrading } from './matching.js';
import { parseNotebook, type Notebook } from './notebook.js';
import { runPlan } from './runner/runPlan.js';
import type { RunOptions } from './runner/runOptions.js';
import type { SubmissionFile } from './submissions.js';
import { rerunReason, timingFailures } from './timingRerun.js';

export interface GradeRunOptions extends RunOptions {
  /** kernels at once when no `concurrency` is given */
  jobs: number;
  /** how many kernels grade at once (default: `jobs`, pinned) */
  concurrency?: Concurrency;
  regrade: boolean;
  /** working directory template for the kernels; default: each submission's folder… */
  cwd?: string;
  /** …with the support files of this folder (the source's) copied over it, as nbgrader does */
  overlay?: string;
  /** kernels started ahead of the submissions they will grade, per kernel grading (default 1) */
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
  /** what started the kernel (a rerun starts another one the same way) */
  startKernel?: () => Promise<GradingKernel>;
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
        const startKernel = () => {
          const kernel = factory.start(kernelName, cwd, options.cwd ? undefined : (file.overlay ?? options.overlay));
          kernel.catch(() => undefined); // observed when awaited
          return kernel;
        };
        return { index, claimed: { file, fileHash, notebook, kernel: startKernel(), startKernel } };
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

  const concurrency = options.concurrency ?? Concurrency.pinned(options.jobs, options.jobs, false);
  const dispose = (kernel: GradingKernel | undefined) => {
    // shutting down takes a moment; the next submission need not wait for it
    if (kernel) disposals.push(kernel.dispose().catch(() => undefined));
  };

  /** Runs the plan; a timing test that failed under a saturated CPU runs again, quietly. */
  const runOnce = async (claimed: Claimed) => {
    const plan = planGrading(assignment, claimed.notebook!);
    const runOn = async (kernel: GradingKernel) => {
      try {
        return await runPlan(kernel, plan, options);
      } finally {
        dispose(kernel);
      }
    };
    const started = Date.now();
    const run = await runOn(await claimed.kernel!);
    const delay = concurrency.saturationDuring(started, Date.now());
    const failures = concurrency.isSaturated(delay) ? timingFailures(plan, run) : [];
    if (failures.length === 0) return run;
    const release = concurrency.holdQuiet();
    try {
      const again = await runOn(await claimed.startKernel!());
      const note = rerunReason(failures, delay);
      return { ...again, reason: again.reason ? `${again.reason}; ${note}` : note };
    } finally {
      release();
    }
  };

  const gradeOne = async ({ index, claimed }: NonNullable<ReturnType<typeof claim>>) => {
    const started = Date.now();
    try {
      const run = await runOnce(claimed);
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
    }
  };

  // the pool: `running` submissions grade, `ahead` have their kernels starting; whenever a
  // submission finishes or the limit changes, more start up to the limit
  const ahead: NonNullable<ReturnType<typeof claim>>[] = [];
  let running = 0;
  let exhausted = false;
  let failed: unknown;
  let settle: () => void = () => undefined;
  const finished = new Promise<void>(resolve => (settle = resolve));
  const pump = () => {
    try {
      if (failed) for (const left of ahead.splice(0)) left.claimed.kernel?.then(dispose, () => undefined);
      const take = () => ahead.shift() ?? (exhausted ? undefined : claim());
      while (!failed && running < concurrency.limit) {
        const next = take();
        if (!next) {
          exhausted = true;
          break;
        }
        running++;
        void gradeOne(next)
          .catch(error => {
            failed ??= error; // the gradebook could not be written
            exhausted = true;
          })
          .finally(() => {
            running--;
            pump();
          });
      }
      while (!exhausted && ahead.length < concurrency.limit * Math.max(1, options.lookahead ?? 1)) {
        const next = claim();
        if (!next) exhausted = true;
        else ahead.push(next);
      }
    } catch (error) {
      // a gradebook that cannot be read or written: stop starting submissions, end with that error
      failed ??= error;
      exhausted = true;
      for (const left of ahead.splice(0)) left.claimed.kernel?.then(dispose, () => undefined);
    }
    concurrency.report({ running, backlog: ahead.length > 0 || !exhausted });
    if (running === 0 && ahead.length === 0 && exhausted) settle();
  };
  concurrency.onChange(pump);
  concurrency.start();
  pump();
  await finished;
  concurrency.stop();
  await Promise.all(disposals);
  if (failed) throw failed;
  return outcomes;
}
