// The course's checks, shared by test/course/course.test.ts and `npm run course:report`: find the
// notebooks in notebooks/source, and drive the grader's CLI (`threadline release --check`,
// `threadline validate --json`) on them, at most `limit` notebooks at a time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRASHING, ensureVenv, fullVersion, otherPythons } from './pythons.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const notebooksDir = path.join(root, 'notebooks');
const cli = path.join(root, 'bin', 'threadline.js');

export const START_METHODS = ['fork', 'forkserver', 'spawn'] as const;
export type StartMethod = (typeof START_METHODS)[number];

/** A validate or release run whose output could not be understood. */
export class CourseCheckError extends Error {
  constructor(what: string, detail: string) {
    super(`${what}: ${detail}. Run the same command by hand (see the message) to see the grader's own output.`);
    this.name = 'CourseCheckError';
  }
}

export interface CourseNotebook {
  /** e.g. "03-async-io" */
  name: string;
  source: string;
  student: string;
  exercises: number;
  points: number;
  /** Graded cells whose tests use a probe assertion (graded on how the code ran, not only on results). */
  concurrencyGraded: number;
  /** The notebook (or a support module it imports) starts processes: it must pass under every start method. */
  usesProcesses: boolean;
  /** Its checks measure busy cores (cores_busy): it must run alone, or a neighbour's kernel steals its cores. */
  needsAllCores: boolean;
  /**
   * It uses the course's PostgreSQL (pg_server.py), started outside the grading kernels: they reach it only when
   * graded with --allow-network (a grading kernel has no network by default, not even 127.0.0.1).
   */
  usesPostgres: boolean;
  /** metadata.kernelspec.name (the course uses "threadline"). */
  kernelName: string;
  /** Code cells stored with outputs or execution counts (sources are kept clean). */
  cellsWithOutputs: number;
  /** The hours of its header's "**Estimated time:** about N hours" (½ allowed), or null without one. */
  hours: number | null;
  /** The first markdown cell (the header). */
  header: string;
}

/** "about 4½ hours" -> 4.5; "about 1 hour" -> 1. */
export function estimatedHours(header: string): number | null {
  const match = /\*\*Estimated time:\*\*\s*about\s+(\d+)?(½)?\s*hours?/.exec(header);
  if (!match || (match[1] === undefined && match[2] === undefined)) return null;
  return Number(match[1] ?? 0) + (match[2] ? 0.5 : 0);
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: { nbgrader?: { grade?: boolean; points?: number } };
}

const PROBE_ASSERTION =
  /\.assert_(max_concurrent|min_concurrent|ran_concurrently|lock_exclusive|lock_used|loop_not_blocked|cores_busy|processes_used|threads_used|returned|raised|cancelled|awaited_by)\(/;
const PROCESS_USE = /\bmultiprocessing\b|ProcessPoolExecutor|mp_context\(/;
const POSTGRES_USE = /\bstart_postgres\(|\bpg_server\b/;

const text = (source: string | string[]): string => (Array.isArray(source) ? source.join('') : source);

/** Support modules (notebooks/*.py) imported by the code, transitively one level deep is enough here. */
function importedSupportCode(code: string): string {
  const names = new Set<string>();
  for (const match of code.matchAll(/^\s*(?:from\s+([A-Za-z_]\w*)|import\s+([A-Za-z_]\w*))/gm)) {
    names.add(match[1] ?? match[2] ?? '');
  }
  return [...names]
    .map(name => path.join(notebooksDir, `${name}.py`))
    .filter(file => fs.existsSync(file))
    .map(file => fs.readFileSync(file, 'utf8'))
    .join('\n');
}

/** Every instructor source in notebooks/source (or those named by COURSE_ONLY), sorted, with what its cells declare. */
export function discoverCourse(): CourseNotebook[] {
  const sourceDir = path.join(notebooksDir, 'source');
  if (!fs.existsSync(sourceDir)) return [];
  // COURSE_ONLY=01,02 narrows the run to some notebooks while authoring them.
  const only = (process.env.COURSE_ONLY ?? '').split(',').filter(Boolean);
  return fs
    .readdirSync(sourceDir)
    .filter(file => file.endsWith('.ipynb'))
    .filter(file => only.length === 0 || only.some(prefix => file.startsWith(prefix)))
    .sort()
    .map(file => {
      const source = path.join(sourceDir, file);
      const notebook = JSON.parse(fs.readFileSync(source, 'utf8')) as {
        cells: NotebookCell[];
        metadata?: { kernelspec?: { name?: string } };
      };
      const cells = notebook.cells;
      const graded = cells.filter(cell => cell.metadata?.nbgrader?.grade === true);
      const code = cells
        .filter(cell => cell.cell_type === 'code')
        .map(cell => text(cell.source))
        .join('\n');
      return {
        name: file.replace(/\.ipynb$/, ''),
        source,
        student: path.join(notebooksDir, file),
        exercises: graded.length,
        points: graded.reduce((sum, cell) => sum + (cell.metadata?.nbgrader?.points ?? 0), 0),
        concurrencyGraded: graded.filter(cell => PROBE_ASSERTION.test(text(cell.source))).length,
        usesProcesses: PROCESS_USE.test(code) || PROCESS_USE.test(importedSupportCode(code)),
        needsAllCores: /cores_busy\(/.test(code),
        usesPostgres: POSTGRES_USE.test(code) || POSTGRES_USE.test(importedSupportCode(code)),
        kernelName: notebook.metadata?.kernelspec?.name ?? '',
        hours: estimatedHours(text(cells.find(cell => cell.cell_type === 'markdown')?.source ?? '')),
        header: text(cells.find(cell => cell.cell_type === 'markdown')?.source ?? ''),
        cellsWithOutputs: cells.filter(
          cell => (cell.outputs?.length ?? 0) > 0 || (cell.execution_count ?? null) !== null
        ).length
      };
    });
}

export interface ExerciseResult {
  gradeId: string;
  score: number;
  maxScore: number;
  status: string;
  message: string;
  passed: boolean;
}

export interface ValidateResult {
  notebook: string;
  status: string;
  reason: string;
  score: number;
  maxScore: number;
  passed: boolean;
  exercises: ExerciseResult[];
  cellErrors: unknown[];
}

export interface CommandRun {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface ValidateRun extends CommandRun {
  result: ValidateResult;
}

/** A Python the course runs on: its minor version ("3.13") and the virtualenv whose kernels run it. */
export interface CoursePython {
  version: string;
  venv: string;
}

/** The course's own Python: `.venv` (made by scripts/setup.mjs). */
export function mainPython(): CoursePython {
  const venv = path.join(root, '.venv');
  const full = fullVersion(path.join(venv, 'bin', 'python'));
  if (!full) throw new CourseCheckError('.venv/bin/python does not run', 'run `node scripts/setup.mjs` first');
  return { version: full.split('.').slice(0, 2).join('.'), venv };
}

export interface CoursePythons {
  pythons: CoursePython[];
  /** Minor versions found but not run, and why (a known crash of that patch release). */
  skipped: Record<string, string>;
  /** Minor versions whose environment could not be made: the course does not run there. */
  broken: Record<string, string>;
}

/**
 * `.venv` and every other CPython 3.12+ on this machine (scripts/pythons.mjs, the venvs `npm test` runs the
 * probe in), each made ready; patch releases with a known crash of their own are skipped and say so.
 * COURSE_PYTHONS=3.13 narrows the run (the main Python is always among them).
 */
export function coursePythons(log: (message: string) => void): CoursePythons {
  const main = mainPython();
  const only = (process.env.COURSE_PYTHONS ?? '').split(',').filter(Boolean);
  const result: CoursePythons = { pythons: [main], skipped: {}, broken: {} };
  for (const { version, interpreter } of otherPythons()) {
    if (version === main.version || (only.length > 0 && !only.includes(version))) continue;
    const full = fullVersion(interpreter);
    const crash = CRASHING.get(full);
    if (crash) {
      result.skipped[version] = `${full} skipped: ${crash}; install a newer ${version}`;
      continue;
    }
    const made = ensureVenv(version, interpreter, log);
    if (made.problem !== undefined) result.broken[version] = made.problem;
    else result.pythons.push({ version, venv: made.venv });
  }
  return result;
}

function venvEnv(extra: Record<string, string>, venv = path.join(root, '.venv')): NodeJS.ProcessEnv {
  const bin = path.join(venv, 'bin');
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, VIRTUAL_ENV: venv, ...extra };
}

let sharedPostgres: Promise<string> | undefined;

/**
 * The address of one PostgreSQL server for every kernel the checks start (`python notebooks/pg_server.py`).
 * PostgreSQL refuses to run as root, and the grader's sandbox leaves a kernel root without the right to
 * become anyone else, so the kernels get THREADLINE_POSTGRES_DSN and each makes a database of its own on
 * this server. It stops when this process exits (its standard input closes).
 */
function postgresDsn(): Promise<string> {
  sharedPostgres ??= new Promise((resolve, reject) => {
    const server = spawn(path.join(root, '.venv', 'bin', 'python'), [path.join(notebooksDir, 'pg_server.py')], {
      cwd: notebooksDir,
      stdio: ['pipe', 'pipe', 'inherit']
    });
    let output = '';
    server.on('error', reject);
    server.on('exit', code =>
      reject(new CourseCheckError('pg_server.py exited before printing its address', `exit ${code}`))
    );
    server.stdout.on('data', chunk => {
      output += chunk;
      if (!output.includes('\n')) return;
      server.stdout.destroy();
      // neither the server nor its pipe keeps this process alive; its exit closes the pipe, which stops it
      server.unref();
      (server.stdin as net.Socket).unref();
      resolve(output.trim());
    });
  });
  return sharedPostgres;
}

async function runCli(args: string[], env: Record<string, string> = {}, python?: CoursePython): Promise<CommandRun> {
  const command = `node bin/threadline.js ${args.map(arg => path.relative(root, arg) || arg).join(' ')}`;
  const postgres = { THREADLINE_POSTGRES_DSN: await postgresDsn() };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      env: venvEnv({ ...postgres, ...env }, python?.venv)
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('error', reject);
    child.on('close', code =>
      resolve({ command, exitCode: code ?? -1, stdout, stderr, seconds: (performance.now() - started) / 1000 })
    );
  });
}

/** The JSON array a `--json` command printed on stdout. */
function jsonArray(run: CommandRun): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    throw new CourseCheckError(
      `\`${run.command}\` printed no JSON (exit ${run.exitCode})`,
      run.stderr.trim().slice(-2000)
    );
  }
  if (!Array.isArray(parsed)) throw new CourseCheckError(`\`${run.command}\``, 'expected a JSON array');
  return parsed;
}

export interface ValidateOptions {
  /** Check a student version: every exercise must fail cleanly. */
  expectFail?: boolean;
  startMethod?: StartMethod;
}

/** Runs one notebook in a fresh kernel with `threadline validate --json` (sources run in notebooks/). */
export async function validateNotebook(notebook: string, options: ValidateOptions = {}): Promise<ValidateRun> {
  const args = ['validate', '--json', '--cwd', notebooksDir, '--timeout', '120', '--notebook-timeout', '300'];
  if (options.expectFail) args.push('--expect-fail');
  args.push(notebook);
  const env: Record<string, string> = options.startMethod ? { THREADLINE_START_METHOD: options.startMethod } : {};
  const run = await runCli(args, env);
  const parsed = jsonArray(run);
  if (parsed.length !== 1) throw new CourseCheckError(`\`${run.command}\``, 'expected a JSON array with one result');
  return { ...run, result: parsed[0] as ValidateResult };
}

export interface GradeResult {
  student: string;
  status: string;
  reason: string;
  score: number;
  maxScore: number;
  grades: Record<string, { score: number; maxScore: number; status: string; message: string }>;
  elapsedMs: number;
}

export interface GradeRun extends CommandRun {
  /** Keyed by submission name: "solution" (the source itself) and "blank" (the student version). */
  results: Record<string, GradeResult>;
}

/**
 * Grades the source itself ("solution") and, unless `solutionOnly`, its student version ("blank") with
 * `threadline grade` in a throwaway gradebook, one kernel at a time, with the kernels of `python` (default .venv).
 */
export async function gradeNotebook(
  notebook: CourseNotebook,
  options: { startMethod?: StartMethod; solutionOnly?: boolean; python?: CoursePython } = {}
): Promise<GradeRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `course-${notebook.name}-`));
  try {
    const submissions = [path.join(dir, 'solution.ipynb')];
    fs.copyFileSync(notebook.source, submissions[0]);
    if (!options.solutionOnly) {
      submissions.push(path.join(dir, 'blank.ipynb'));
      fs.copyFileSync(notebook.student, submissions[1]);
    }
    const args = [
      'grade',
      '--source',
      notebook.source,
      '--db',
      path.join(dir, 'gradebook.sqlite'),
      '--regrade',
      '--json',
      '--quiet'
    ];
    if (notebook.usesPostgres) args.push('--allow-network');
    args.push('--jobs', '1', '--cwd', notebooksDir, '--timeout', '120', '--notebook-timeout', '300', ...submissions);
    const env: Record<string, string> = options.startMethod ? { THREADLINE_START_METHOD: options.startMethod } : {};
    const run = await runCli(args, env, options.python);
    const results: Record<string, GradeResult> = {};
    for (const result of jsonArray(run) as GradeResult[]) results[result.student] = result;
    return { ...run, results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-line explanation of a graded submission that lost points. */
export function describeGrade(result: GradeResult | undefined): string {
  if (!result) return 'no result';
  const lost = Object.entries(result.grades)
    .filter(([, grade]) => grade.score !== grade.maxScore)
    .map(([id, grade]) => `${id} ${grade.score}/${grade.maxScore}: ${grade.message.split('\n')[0]}`);
  return `${result.status}${result.reason ? ` (${result.reason})` : ''} ${result.score}/${result.maxScore}; ${lost.join('; ')}`;
}

/** `threadline release SOURCE -o notebooks --check`: exit 0 when the student version is exactly its release. */
export async function releaseMatches(source: string): Promise<CommandRun> {
  return runCli(['release', source, '-o', notebooksDir, '--check']);
}

/** Maps `fn` over `items` with at most `limit` calls in flight, keeping the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Like mapLimit, but items for which `alone` is true run one by one with nothing else running
 * (after the others), so that measurements of busy cores are not disturbed by a neighbour.
 */
export async function mapScheduled<T, R>(
  items: readonly T[],
  limit: number,
  alone: (item: T) => boolean,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const indexed = items.map((item, index) => ({ item, index }));
  await mapLimit(
    indexed.filter(x => !alone(x.item)),
    limit,
    async x => {
      results[x.index] = await fn(x.item);
    }
  );
  for (const x of indexed.filter(x => alone(x.item))) results[x.index] = await fn(x.item);
  return results;
}

/** A one-line explanation of what went wrong in a validate run (for test messages and the report). */
export function describeFailures(run: ValidateRun): string {
  const failing = run.result.exercises
    .filter(exercise => exercise.score !== exercise.maxScore)
    .map(exercise => `${exercise.gradeId} ${exercise.score}/${exercise.maxScore}: ${exercise.message.split('\n')[0]}`);
  const status = run.result.status === 'ok' ? '' : `status ${run.result.status} (${run.result.reason}); `;
  return `${status}${failing.join('; ') || 'no failing exercise'}; cell errors: ${JSON.stringify(run.result.cellErrors).slice(0, 500)}`;
}
