/** `threadline validate NOTEBOOK.ipynb`: run it and report each exercise (what the Validate button shows). */
import path from 'node:path';
import { parseArgs } from './args.js';
import { UsageError } from '../engine/errors.js';
import type { KernelFactory } from '../engine/gradingKernel.js';
import { LocalKernelFactory } from '../engine/localKernelFactory.js';
import { planAsIs } from '../engine/matching.js';
import { readNotebook } from '../engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../engine/runner/runOptions.js';
import type { NotebookRun } from '../engine/runner/runResult.js';
import { runPlan } from '../engine/runner/runPlan.js';
import { remoteFactoryFromFlags } from './serverFlags.js';

export const validateHelp = `usage: threadline validate NOTEBOOK.ipynb… [options]

Runs each notebook top to bottom in a fresh kernel (the kernel named in its metadata, default
"threadline") and reports every exercise (nbgrader grade cell): pass/fail, points, and the
failing test's message. An instructor source (solutions and hidden tests in it) should pass
everything; its student version should fail everything without crashing (--expect-fail).

options:
  --cwd DIR                 working directory of the kernel (default: the notebook's folder)
  --timeout SECONDS         per-cell time limit (default 30)
  --notebook-timeout SEC    whole-notebook time limit (default 600)
  --kernel NAME             kernel spec to use instead of the notebook's
  --expect-fail             succeed when every exercise fails cleanly (checks a student version)
  --json                    print a JSON array (one object per notebook) on stdout
  --server URL --token T    run on a Jupyter Server instead of a local kernel
  --server-cwd PATH         with --server: the folder the kernels start in, relative to the
                            server's root (the course folder there; default: the root)
  -h, --help                show this help

exit codes: 0 all exercises pass and no cell errors (with --expect-fail: every exercise
scores 0 and nothing timed out or crashed), 1 otherwise, 2 wrong usage, 3 the kernel could not start`;

export interface ValidationReport {
  notebook: string;
  status: NotebookRun['status'];
  reason: string;
  score: number;
  maxScore: number;
  passed: boolean;
  exercises: { gradeId: string; passed: boolean; score: number; maxScore: number; status: string; message: string }[];
  cellErrors: { cell: number; message: string }[];
}

export async function validateNotebook(
  file: string,
  factory: KernelFactory,
  options: { cwd?: string; kernel?: string; cellTimeoutMs?: number; notebookTimeoutMs?: number }
): Promise<ValidationReport> {
  const nb = readNotebook(file);
  const plan = planAsIs(nb);
  const kernel = await factory.start(
    options.kernel ?? plan.kernelName,
    options.cwd ?? path.dirname(path.resolve(file))
  );
  try {
    const run = await runPlan(kernel, plan, {
      ...DEFAULT_RUN_OPTIONS,
      cellTimeoutMs: options.cellTimeoutMs ?? DEFAULT_RUN_OPTIONS.cellTimeoutMs,
      notebookTimeoutMs: options.notebookTimeoutMs ?? DEFAULT_RUN_OPTIONS.notebookTimeoutMs
    });
    const cellErrors = run.runs.flatMap((cellRun, i) => {
      if (cellRun.status === 'ok' || cellRun.status === 'skipped' || plan.cells[i]?.record?.grade) return [];
      return [{ cell: (plan.cells[i]?.submissionIndex ?? i) + 1, message: cellRun.message ?? cellRun.status }];
    });
    const exercises = run.cells.map(cell => ({ ...cell, passed: cell.status === 'passed' }));
    return {
      notebook: file,
      status: run.status,
      reason: run.reason,
      score: run.score,
      maxScore: run.maxScore,
      passed: run.status === 'ok' && cellErrors.length === 0 && exercises.every(e => e.passed || e.status === 'manual'),
      exercises,
      cellErrors
    };
  } finally {
    await kernel.dispose();
  }
}

function printReport(report: ValidationReport): void {
  const lines = [
    `${report.notebook}: ${report.score}/${report.maxScore} points` +
      (report.status === 'ok' ? '' : ` [${report.status}: ${report.reason}]`)
  ];
  for (const e of report.exercises) {
    const mark = e.passed ? '✓' : e.status === 'partial' ? '~' : e.status === 'manual' ? '·' : '✗';
    lines.push(
      `  ${mark} ${e.gradeId.padEnd(28)} ${String(e.score).padStart(4)}/${e.maxScore}` +
        (e.message ? `  ${e.message.split('\n')[0]}` : '')
    );
  }
  for (const error of report.cellErrors) lines.push(`  ! cell ${error.cell}: ${error.message.split('\n')[0]}`);
  console.log(lines.join('\n'));
}

export async function validateCommand(argv: string[]): Promise<number> {
  const args = parseArgs('validate', argv, {
    cwd: { type: 'string' },
    timeout: { type: 'number' },
    'notebook-timeout': { type: 'number' },
    kernel: { type: 'string' },
    'expect-fail': { type: 'boolean' },
    json: { type: 'boolean' },
    server: { type: 'string' },
    'server-cwd': { type: 'string' },
    token: { type: 'string' }
  });
  if (args.help) {
    console.log(validateHelp);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError('give a NOTEBOOK.ipynb to validate', 'validate');
  const factory: KernelFactory =
    remoteFactoryFromFlags(args.flags, 'validate') ?? new LocalKernelFactory(undefined, {}, true);
  const expectFail = Boolean(args.flags['expect-fail']);
  const reports: ValidationReport[] = [];
  let ok = true;
  for (const file of args.positionals) {
    const report = await validateNotebook(file, factory, {
      cwd: args.flags.cwd as string | undefined,
      kernel: args.flags.kernel as string | undefined,
      cellTimeoutMs: args.flags.timeout !== undefined ? Number(args.flags.timeout) * 1000 : undefined,
      notebookTimeoutMs:
        args.flags['notebook-timeout'] !== undefined ? Number(args.flags['notebook-timeout']) * 1000 : undefined
    });
    reports.push(report);
    if (!args.flags.json) printReport(report);
    ok &&= expectFail ? report.status === 'ok' && report.exercises.every(e => e.score === 0) : report.passed;
  }
  if (args.flags.json) console.log(JSON.stringify(reports, null, 2));
  return ok ? 0 : 1;
}
