/** `threadline grade`: autograde submissions against an instructor source into a SQLite gradebook. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.js';
import { buildAssignment, isScored } from '../engine/assignment.js';
import { Concurrency, defaultSettings, type ConcurrencySummary } from '../engine/concurrency.js';
import { effectiveCpus } from '../engine/effectiveCpus.js';
import { cpuTimes, idleHint } from './idleHint.js';
import { UsageError } from '../engine/errors.js';
import { Gradebook, type SubmissionRecord } from '../engine/gradebook.js';
import { gradeSubmissions, sha256 } from '../engine/gradeRun.js';
import type { KernelFactory } from '../engine/gradingKernel.js';
import { LocalKernelFactory } from '../engine/localKernelFactory.js';
import { DEFAULT_LIMITS, type KernelLimits } from '../sandbox/limits.js';
import { DEFAULT_MAX_NOTEBOOK_BYTES, readNotebook } from '../engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../engine/runner/runOptions.js';
import { formatSeconds, Progress } from './progress.js';
import { remoteFactoryFromFlags } from './serverFlags.js';
import { findSubmissions, studentOf, type SubmissionFile } from '../engine/submissions.js';

/** Kernels at once per server when --jobs is not given: the server's load cannot be measured from here. */
const REMOTE_JOBS_PER_SERVER = 4;

export const gradeHelp = `\
usage: threadline grade --source SOURCE.ipynb (SUBMISSION.ipynb… | --submissions DIR) [options]

Grades each submission in a fresh kernel: locked and test cells are restored from the source
(hidden tests are sent to the kernel only at grading time), every test cell scores its points
if it raises no error (a number between 0 and its points as its last result is partial credit).
Results go to a SQLite gradebook, one transaction per submission; running the same command
again skips what is already graded (resume after a crash), --regrade grades everything again.

Submissions: files named <student>.ipynb, or nbgrader's DIR/<student>/<assignment>/<notebook>.ipynb
(or DIR/<student>/<notebook>.ipynb).

options:
  --source FILE             the instructor source notebook (solutions, hidden tests; required)
  --submissions DIR         grade every submission found below DIR
  --db FILE                 gradebook (default: gradebook.sqlite in the current folder)
  --jobs N                  kernels at once, pinned (default: adaptive — starts at the effective
                            cores (${effectiveCpus()}) and adds kernels while our processes leave the cores idle,
                            fewer when they wait for a core or memory runs short; with --server:
                            ${REMOTE_JOBS_PER_SERVER} per server)
  --prestart N              kernels each job starts ahead of the submission it grades (default 1;
                            more helps when notebooks run for less time than a kernel takes to start)
  --timeout SECONDS         per-cell limit; the cell is interrupted, then the kernel killed (default 30)
  --notebook-timeout SEC    per-submission limit (default 600)
  --memory-mb MB            memory per kernel (default ${DEFAULT_LIMITS.memoryMb})
  --max-processes N         processes/threads per kernel (default ${DEFAULT_LIMITS.maxProcesses})
  --cpu-seconds SEC         CPU time per kernel process (default ${DEFAULT_LIMITS.cpuSeconds})
  --no-limits               start kernels without OS limits (and so without isolation or network cut)
  --allow-network           let kernels use the network (default on Linux: none, not even 127.0.0.1
                            of this machine; each kernel has a loopback of its own)
  --max-notebook-mb MB      larger submissions are refused as invalid-notebook (default 20)
  --cell-output-kb KB       output kept per cell, cut in the kernel and marked (default ${DEFAULT_RUN_OPTIONS.maxOutputBytes / 1024})
  --notebook-output-kb KB   output kept per submission, test cells aside (default ${DEFAULT_RUN_OPTIONS.maxNotebookOutputBytes / 1024})
  --cwd DIR                 course folder whose support files (modules, data) the kernel sees,
                            copied without notebooks (default: each submission's folder with the
                            source folder's files copied over it, as nbgrader does)
  --regrade                 grade again what the gradebook already has
  --json                    print a JSON array of results on stdout
  --quiet                   no progress output
  --server URL --token T    run the kernels on a Jupyter Server (or Enterprise Gateway) instead of
                            this machine; give --server several times to spread them over servers
  --servers FILE            servers from a file, one "URL [TOKEN]" a line (tokens stay out of ps)
  --server-cwd PATH         with --server: the folder the kernels start in, relative to the
                            server's root (the course folder there; default: the root)
  -h, --help                show this help

exit codes: 0 every submission graded with status ok (whatever its score), 1 some submission
had status timeout, kernel-died, memory-limit or invalid-notebook, 2 wrong usage, 3 the grader
itself failed (a kernel could not start, the gradebook could not be written)`;

export interface GradeJson {
  student: string;
  assignment: string;
  path: string;
  status: SubmissionRecord['status'];
  reason: string;
  score: number;
  maxScore: number;
  grades: Record<string, { score: number; maxScore: number; status: string; message: string; repairs: string[] }>;
  /** every repair made to the submission: the cell (grade_id), what was done (kind) and why */
  repairs: SubmissionRecord['repairs'];
  elapsedMs: number;
  resumed: boolean;
}

function kilobytes(flag: unknown): number | undefined {
  return flag === undefined ? undefined : Math.round(Number(flag) * 1024);
}

export async function gradeCommand(argv: string[]): Promise<number> {
  const args = parseArgs('grade', argv, {
    source: { type: 'string' },
    submissions: { type: 'string' },
    db: { type: 'string' },
    jobs: { type: 'number', short: 'j' },
    prestart: { type: 'number' },
    timeout: { type: 'number' },
    'notebook-timeout': { type: 'number' },
    'memory-mb': { type: 'number' },
    'max-processes': { type: 'number' },
    'cpu-seconds': { type: 'number' },
    'no-limits': { type: 'boolean' },
    'allow-network': { type: 'boolean' },
    'max-notebook-mb': { type: 'number' },
    'cell-output-kb': { type: 'number' },
    'notebook-output-kb': { type: 'number' },
    cwd: { type: 'string' },
    regrade: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    server: { type: 'string', multiple: true },
    servers: { type: 'string' },
    'server-cwd': { type: 'string' },
    token: { type: 'string' }
  });
  if (args.help) {
    console.log(gradeHelp);
    return 0;
  }
  const f = args.flags;
  const source = f.source as string | undefined;
  if (!source)
    throw new UsageError(
      '--source SOURCE.ipynb is required (the instructor version with solutions and hidden tests)',
      'grade'
    );
  if (!f.submissions && args.positionals.length === 0)
    throw new UsageError('give SUBMISSION.ipynb files or --submissions DIR', 'grade');
  if (f.submissions && args.positionals.length > 0)
    throw new UsageError('give either SUBMISSION.ipynb files or --submissions DIR, not both', 'grade');
  if (f.jobs !== undefined && !Number.isInteger(f.jobs)) throw new UsageError('--jobs needs a whole number', 'grade');
  const remote = remoteFactoryFromFlags(f, 'grade');
  if (f.cwd && !fs.existsSync(String(f.cwd))) throw new UsageError(`--cwd ${String(f.cwd)}: no such folder`, 'grade');

  const assignment = buildAssignment(readNotebook(source), source);
  const notebookFile = path.basename(source);
  // nbgrader keeps a source in source/<assignment>/: its folder names the assignment
  const assignmentDir = path.basename(path.dirname(path.resolve(source)));
  const files: SubmissionFile[] = f.submissions
    ? findSubmissions(String(f.submissions), notebookFile, assignmentDir)
    : args.positionals.map(file => ({ student: studentOf(file, notebookFile, assignmentDir), path: file }));
  const seen = new Map<string, string>();
  for (const file of files) {
    if (seen.has(file.student))
      throw new UsageError(
        `two submissions for student "${file.student}": ${seen.get(file.student)} and ${file.path}`,
        'grade'
      );
    seen.set(file.student, file.path);
  }

  const dbPath = String(f.db ?? 'gradebook.sqlite');
  const gradebook = new Gradebook(dbPath);
  const sourceHash = sha256(fs.readFileSync(source));
  gradebook.upsertAssignment(
    assignment.name,
    path.resolve(source),
    sourceHash,
    assignment.cells.filter(isScored).map(c => ({ gradeId: c.gradeId, points: c.points }))
  );

  const limits: KernelLimits | undefined = f['no-limits']
    ? undefined
    : {
        memoryMb: Number(f['memory-mb'] ?? DEFAULT_LIMITS.memoryMb),
        maxProcesses: Number(f['max-processes'] ?? DEFAULT_LIMITS.maxProcesses),
        cpuSeconds: Number(f['cpu-seconds'] ?? DEFAULT_LIMITS.cpuSeconds),
        maxFileMb: DEFAULT_LIMITS.maxFileMb
      };
  const protectedPaths = [path.resolve(source), path.resolve(dbPath)];
  if (['source', 'release'].includes(path.basename(path.dirname(path.resolve(source)))))
    protectedPaths.push(path.dirname(path.resolve(source)));
  // what the kernels must not see at all: also the gradebook's journals and every submission
  const hidden = [
    ...protectedPaths,
    ...['-wal', '-shm', '-journal'].map(suffix => path.resolve(dbPath) + suffix),
    ...(f.submissions ? [path.resolve(String(f.submissions))] : files.map(file => path.resolve(file.path)))
  ];
  const local = remote ? undefined : new LocalKernelFactory(limits, {}, false, hidden, Boolean(f['allow-network']));
  const factory: KernelFactory = remote ?? local!;
  const kernelName = assignment.kernelspec?.name ?? 'threadline';
  const isolation = local?.isolationProblem(kernelName);
  const network = local?.networkProblem(kernelName);
  // never silent, even with --quiet: a submission could send the hidden tests out
  if (network)
    console.error(
      `warning: kernels keep the network (${network}): a submission could send hidden tests out or reach ` +
        'local services. Grade on Linux with limits, as root or with user namespaces, or pass --allow-network.'
    );

  const cores = effectiveCpus();
  const serverCount = remote?.spread?.().length ?? 0;
  const concurrency =
    f.jobs !== undefined
      ? Concurrency.pinned(Number(f.jobs), cores, !remote)
      : remote
        ? Concurrency.pinned(REMOTE_JOBS_PER_SERVER * serverCount, cores, false, 'servers')
        : Concurrency.adaptive(defaultSettings(cores));
  const jobs = concurrency.limit;
  if (!f.quiet) {
    const limitText = limits
      ? `limits: ${limits.memoryMb} MB, ${limits.maxProcesses} processes, ${limits.cpuSeconds} CPU s`
      : 'no OS limits';
    console.error(
      `grading ${files.length} submission(s) of ${assignment.name} (${assignment.maxScore} points) ` +
        `with ${concurrency.mode === 'auto' ? `${jobs} (adapting to the load)` : jobs} ${factory.description} ` +
        `at once (${remote ? 'server limits' : limitText}) into ${dbPath}`
    );
    if (isolation) {
      console.error(
        `warning: kernels are not isolated from this machine (${isolation}): ` +
          "a submission could read the source's hidden tests or change the gradebook. " +
          'Grade as root, allow user namespaces (sysctl kernel.unprivileged_userns_clone=1), or use --server.'
      );
    }
  }
  const progress = new Progress(
    files.length,
    `grading ${assignment.name}`,
    process.stderr,
    !f.quiet,
    () => concurrency.limit
  );
  const startedAt = Date.now();
  const cpuBefore = cpuTimes();
  const outcomes = await (async () => {
    try {
      return await gradeSubmissions(assignment, sourceHash, files, factory, gradebook, {
        ...DEFAULT_RUN_OPTIONS,
        cellTimeoutMs: f.timeout !== undefined ? Number(f.timeout) * 1000 : DEFAULT_RUN_OPTIONS.cellTimeoutMs,
        notebookTimeoutMs:
          f['notebook-timeout'] !== undefined
            ? Number(f['notebook-timeout']) * 1000
            : DEFAULT_RUN_OPTIONS.notebookTimeoutMs,
        maxOutputBytes: kilobytes(f['cell-output-kb']) ?? DEFAULT_RUN_OPTIONS.maxOutputBytes,
        maxNotebookOutputBytes: kilobytes(f['notebook-output-kb']) ?? DEFAULT_RUN_OPTIONS.maxNotebookOutputBytes,
        protectedPaths,
        jobs,
        concurrency,
        lookahead: Number(f.prestart ?? 1),
        regrade: Boolean(f.regrade),
        cwd: f.cwd ? String(f.cwd) : undefined,
        overlay: path.dirname(path.resolve(source)),
        maxNotebookBytes:
          f['max-notebook-mb'] !== undefined ? Number(f['max-notebook-mb']) * 1048576 : DEFAULT_MAX_NOTEBOOK_BYTES,
        onDone: (record, resumed) =>
          progress.tick(
            `${record.student}: ${record.score}/${record.maxScore} ${record.status}` +
              `${resumed ? ' (already graded)' : ''}${record.reason ? ` — ${record.reason}` : ''}`,
            resumed
          )
      });
    } finally {
      progress.finish();
      gradebook.close();
    }
  })();

  if (!f.quiet) {
    const graded = outcomes.filter(o => !o.resumed).length;
    console.error(summaryLine(graded, Date.now() - startedAt, concurrency.summary(), remote?.spread?.()));
  }
  const hint =
    remote || f.quiet || concurrency.mode === 'auto'
      ? undefined
      : idleHint(cpuBefore, cpuTimes(), Date.now() - startedAt, jobs, cores);
  if (hint) console.error(`hint: ${hint}`);

  if (f.json) {
    const out: GradeJson[] = outcomes.map(({ record, resumed }) => ({
      student: record.student,
      assignment: record.assignment,
      path: record.path,
      status: record.status,
      reason: record.reason,
      score: record.score,
      maxScore: record.maxScore,
      grades: Object.fromEntries(
        record.grades.map(g => [
          g.gradeId,
          {
            score: g.score,
            maxScore: g.maxScore,
            status: g.status,
            message: g.message,
            repairs: record.repairs.filter(r => r.gradeId === g.gradeId).map(r => r.reason)
          }
        ])
      ),
      repairs: record.repairs,
      elapsedMs: record.elapsedMs,
      resumed
    }));
    console.log(JSON.stringify(out, null, 2));
  } else {
    for (const { record } of outcomes)
      console.log(
        `${record.student}\t${record.score}/${record.maxScore}\t${record.status}` +
          (record.reason ? `\t${record.reason}` : '')
      );
  }
  if (outcomes.some(o => o.record.status === 'error')) return 3;
  return outcomes.every(o => o.record.status === 'ok') ? 0 : 1;
}

/** The end of a run, for the instructor: pace, kernels at once and why not more, where they ran. */
function summaryLine(
  graded: number,
  wallMs: number,
  summary: ConcurrencySummary,
  spread: { url: string; kernels: number }[] | undefined
): string {
  const perMinute = graded / Math.max(wallMs / 60_000, 1e-3);
  const where =
    spread && spread.length > 1 ? `; kernels per server: ${spread.map(s => `${s.url} ${s.kernels}`).join(', ')}` : '';
  return (
    `graded ${graded} submission(s) in ${formatSeconds(wallMs / 1000)} (${perMinute.toFixed(1)}/min); ` +
    `${summary.average.toFixed(1)} kernels at once on average (up to ${summary.max}, ` +
    `${summary.mode === 'auto' ? 'adaptive' : 'pinned'}); not more because ${summary.why}${where}`
  );
}
