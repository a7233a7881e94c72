/** `threadline autograde ASSIGNMENT`: `nbgrader autograde` for an nbgrader course, into nbgrader's gradebook. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from './args.js';
import { buildAssignment } from '../engine/assignment.js';
import { effectiveCpus } from '../engine/effectiveCpus.js';
import { AssignmentError, UsageError } from '../engine/errors.js';
import { Gradebook } from '../engine/gradebook.js';
import { gradeSubmissions, sha256 } from '../engine/gradeRun.js';
import { LocalKernelFactory } from '../engine/localKernelFactory.js';
import { planGrading } from '../engine/matching.js';
import { DEFAULT_MAX_NOTEBOOK_BYTES, readNotebook, writeNotebook } from '../engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../engine/runner/runOptions.js';
import { DEFAULT_LIMITS } from '../sandbox/limits.js';
import { autogradedNotebook } from '../nbgrader/autogradedNotebook.js';
import { NbgraderBridge, nbgraderPython, type SavedNotebook } from '../nbgrader/nbgraderBridge.js';
import { markerProblems } from '../nbgrader/nbgraderSettings.js';
import { nbgraderScores } from '../nbgrader/nbgraderScores.js';
import { Progress } from './progress.js';

export const autogradeHelp = `\
usage: threadline autograde ASSIGNMENT [--student ID]... [--course-dir DIR] [--force] [options]

Autogrades an nbgrader course the way \`nbgrader autograde ASSIGNMENT\` does, with Threadline's
kernel pool and sandbox: every notebook of every student in submitted/<student>/ASSIGNMENT/ is
graded, autograded/<student>/ASSIGNMENT/ gets the graded notebooks (and the submission's other
files, with the source folder's over them), and the scores go into nbgrader's gradebook, so that
\`nbgrader formgrader\`, manual grading, \`nbgrader generate_feedback\` and \`nbgrader export\` work
unchanged afterwards.

nbgrader itself is needed (a Python tool: pip install nbgrader): its own code reads the
configuration (nbgrader_config.py in the course directory and Jupyter's config paths, as
nbgrader does), prepares the folders, creates students and submissions with their timestamps,
writes the gradebook (nbgrader.api) and applies its late-submission plugin. Threadline runs the
notebooks. Read from the configuration: CourseDirectory (root, source/submitted/autograded
directories, db_url, student_id_exclude, ignore), Execute.timeout (per cell), the solution and
hidden-test markers (checked), LateSubmissionPlugin / AssignLatePenalties.

As nbgrader: a student already autograded is skipped unless --force (or the submission's
timestamp.txt is newer); students missing a notebook get 0 for it; a student whose notebook cannot
be graded (not a notebook) is reported and its autograded folder removed.
Grades equal nbgrader's. Where Threadline is deliberately safer it says so in a gradebook comment
(on the answer cell, or, for a test cell, on the answer before it, which formgrader shows):
a dead kernel, a fork bomb or memory exhaustion costs only its cell (nbgrader stops grading the
notebook), a whole notebook has a time limit too, and a deleted test cell is restored and graded.

Not supported (refused with a message, use nbgrader autograde for those): custom solution or
hidden-test markers, Autograde.exclude_overwriting for the assignment,
Autograde.sanitize_preprocessors/autograde_preprocessors changed, --no-execute.

Flags follow nbgrader's (ASSIGNMENT, --student, --force/-f, --course-dir), except:
--student takes an exact id and may be given more than once (nbgrader: one glob pattern), so that
several chosen students share one kernel pool; --notebook, --db and --Class.trait=value are not
taken: put them in nbgrader_config.py, which both tools read.

options:
  --student ID            grade only this student (repeatable)
  --course-dir DIR        the course directory (default: as nbgrader, the current folder)
  -f, --force             grade again students already autograded (their autograded folder is replaced)
  --jobs N                kernels at once (default: effective cores = ${effectiveCpus()})
  --nbgrader-python PATH  the Python nbgrader is installed in (default: THREADLINE_NBGRADER_PYTHON,
                          else the interpreter of \`nbgrader\` on PATH, else python3)
  --no-limits             start kernels without OS limits (default: ${DEFAULT_LIMITS.memoryMb} MB,
                          ${DEFAULT_LIMITS.maxProcesses} processes, ${DEFAULT_LIMITS.cpuSeconds} CPU s per kernel)
  --quiet                 no progress output
  -h, --help              show this help

exit codes: 0 every submission autograded, 1 some submission could not be graded (as nbgrader) or
the configuration asks for what is not supported; and, where nbgrader also says 1, Threadline's
own: 2 wrong usage, 3 the grader itself failed (so a script can tell a bad submission from a
broken setup)`;

export async function autogradeCommand(argv: string[]): Promise<number> {
  const args = parseArgs('autograde', argv, {
    student: { type: 'string', multiple: true },
    'course-dir': { type: 'string' },
    force: { type: 'boolean', short: 'f' },
    jobs: { type: 'number', short: 'j' },
    'nbgrader-python': { type: 'string' },
    'no-limits': { type: 'boolean' },
    quiet: { type: 'boolean' }
  });
  if (args.help) {
    console.log(autogradeHelp);
    return 0;
  }
  const f = args.flags;
  if (args.positionals.length !== 1)
    throw new UsageError('give one ASSIGNMENT (its folder name under source/)', 'autograde');
  if (f.jobs !== undefined && !Number.isInteger(f.jobs))
    throw new UsageError('--jobs needs a whole number', 'autograde');
  const assignmentId = args.positionals[0]!;
  const quiet = Boolean(f.quiet);
  const courseDir = f['course-dir'] === undefined ? undefined : path.resolve(String(f['course-dir']));
  if (courseDir && !fs.existsSync(courseDir))
    throw new UsageError(`--course-dir ${courseDir}: no such folder`, 'autograde');

  const bridge = new NbgraderBridge(
    nbgraderPython(f['nbgrader-python'] as string | undefined),
    { assignment: assignmentId, courseDir, force: Boolean(f.force) },
    line => console.error(line)
  );
  const settings = bridge.settings();
  const config = path.join(settings.courseDir, 'nbgrader_config.py');
  const refused = [...settings.unsupported, ...markerProblems(settings.markers)];
  if (refused.length)
    throw new AssignmentError(
      config,
      `threadline autograde does not support ${refused.join('; ')}: use \`nbgrader autograde ${assignmentId}\``
    );
  const prepared = bridge.prepare((f.student as string[] | undefined) ?? []);
  if (prepared.error) {
    console.error(`threadline autograde: ${prepared.error}`);
    return 1;
  }
  for (const student of prepared.skipped)
    if (!quiet) console.error(`skipping ${student}: already autograded (use --force to grade again)`);
  const failed = new Map(prepared.failed.map(({ student, reason }) => [student, reason]));

  const limits = f['no-limits'] ? undefined : DEFAULT_LIMITS;
  const hidden = [
    settings.sourceDir,
    settings.submittedDir,
    settings.autogradedDir,
    settings.releaseDir,
    settings.feedbackDir,
    ...(settings.dbFile ? ['', '-wal', '-shm', '-journal'].map(suffix => path.resolve(settings.dbFile!) + suffix) : [])
  ];
  const factory = new LocalKernelFactory(limits, {}, false, hidden);
  const jobs = Number(f.jobs ?? effectiveCpus());
  const saved = new Map<string, SavedNotebook[]>();
  const totals = new Map<string, { score: number; max: number; manual: number; status: string[] }>();

  const names = [...new Set(prepared.submissions.flatMap(s => s.notebooks.map(nb => nb.name)))].sort();
  const maxOf = new Map<string, number>();
  let graderFailed = false;
  for (const name of names) {
    const entries = prepared.submissions.flatMap(s =>
      s.notebooks.filter(nb => nb.name === name).map(nb => ({ submission: s, notebook: nb }))
    );
    const sourcePath = entries[0]!.notebook.source;
    const assignment = buildAssignment(readNotebook(sourcePath), sourcePath);
    maxOf.set(name, assignment.maxScore);
    const progress = new Progress(entries.length, `grading ${assignmentId}/${name}`, process.stderr, !quiet);
    const isolation = factory.isolationProblem(assignment.kernelspec?.name ?? 'python3');
    if (isolation && !quiet)
      console.error(`warning: kernels are not isolated from this machine (${isolation}); see threadline grade --help`);
    const gradebook = new Gradebook(':memory:');
    const outcomes = await (async () => {
      try {
        return await gradeSubmissions(
          assignment,
          sha256(fs.readFileSync(sourcePath)),
          entries.map(({ submission, notebook }) => ({
            student: submission.student,
            path: notebook.submitted,
            overlay: submission.autogradedDir
          })),
          factory,
          gradebook,
          {
            ...DEFAULT_RUN_OPTIONS,
            // Execute.timeout None: no per-cell limit; the notebook's own limit still holds
            cellTimeoutMs: settings.timeout === null ? DEFAULT_RUN_OPTIONS.notebookTimeoutMs : settings.timeout * 1000,
            protectedPaths: [settings.sourceDir, ...(settings.dbFile ? [path.resolve(settings.dbFile)] : [])],
            jobs,
            regrade: true,
            maxNotebookBytes: DEFAULT_MAX_NOTEBOOK_BYTES,
            onDone: record => progress.tick(`${record.student}: ${record.status}`)
          }
        );
      } finally {
        progress.finish();
        gradebook.close();
      }
    })();
    for (const [index, { record }] of outcomes.entries()) {
      const { notebook } = entries[index]!;
      if (record.status === 'invalid-notebook' || record.status === 'error') {
        graderFailed ||= record.status === 'error';
        failed.set(record.student, `${name}.ipynb: ${record.reason}`);
        continue;
      }
      const submitted = readNotebook(notebook.submitted);
      const plan = planGrading(assignment, submitted);
      writeNotebook(notebook.autograded, autogradedNotebook(assignment, submitted, plan, record.runs));
      const { scores, notes } = nbgraderScores(plan, record);
      saved.set(record.student, [
        ...(saved.get(record.student) ?? []),
        { name, autograded: notebook.autograded, scores, notes }
      ]);
      const total = totals.get(record.student) ?? { score: 0, max: 0, manual: 0, status: [] };
      for (const grade of record.grades) {
        const score = scores[grade.gradeId];
        total.max += grade.maxScore;
        if (score === null) total.manual += 1;
        else total.score += score ?? 0;
      }
      if (record.status !== 'ok') total.status.push(`${name}: ${record.status} (${record.reason})`);
      totals.set(record.student, total);
    }
  }

  for (const student of failed.keys()) {
    saved.delete(student);
    // as nbgrader: a submission that failed leaves no autograded folder behind
    const dest = prepared.submissions.find(s => s.student === student)?.autogradedDir;
    if (dest) fs.rmSync(dest, { recursive: true, force: true });
  }
  if (saved.size) bridge.save({ submissions: [...saved].map(([student, notebooks]) => ({ student, notebooks })) });

  for (const [student, total] of [...totals].filter(([student]) => saved.has(student))) {
    // as nbgrader: a notebook the student did not submit scores 0 (nbgrader's init_assignment wrote that)
    const submitted = new Set(saved.get(student)!.map(nb => nb.name));
    for (const [name, max] of maxOf)
      if (!submitted.has(name)) {
        total.max += max;
        total.status.push(`${name}: not submitted (0 points)`);
      }
    console.log(
      `${student}\t${total.score}/${total.max}` +
        `${total.manual ? `\t${total.manual} cell(s) to grade by hand` : ''}` +
        `${total.status.length ? `\t${total.status.join('; ')}` : ''}`
    );
  }
  for (const [student, reason] of failed) console.error(`threadline autograde: ${student} not graded: ${reason}`);
  if (graderFailed) return 3;
  return failed.size === 0 ? 0 : 1;
}
