// `npm run course:report`: every course notebook checked through the grader's CLI, two at a time.
// Per notebook: exercises, points, probe-graded exercises, seconds to execute with solutions, and
// pass/fail of: student version == release of the source, source scores full marks, student version
// scores 0 without crashing, grades identical across 3 consecutive runs, and (notebooks that start
// processes) full marks under fork, forkserver and spawn. Last line: COURSE {json}.
import {
  type CommandRun,
  type CourseNotebook,
  type StartMethod,
  type ValidateRun,
  START_METHODS,
  describeFailures,
  discoverCourse,
  mapLimit,
  releaseMatches,
  validateNotebook
} from './courseChecks.js';

const REPEATS = 3;

type Job =
  | { notebook: CourseNotebook; kind: 'release' }
  | { notebook: CourseNotebook; kind: 'source'; repeat: number; startMethod?: StartMethod }
  | { notebook: CourseNotebook; kind: 'student' };

interface Outcome {
  job: Job;
  run?: CommandRun | ValidateRun;
  error?: Error;
}

const course = discoverCourse();
if (course.length === 0) {
  console.log('no notebooks in notebooks/source');
  console.log(`COURSE ${JSON.stringify({ notebooks: 0, exercises: 0, concurrency_graded: 0, max_seconds: 0, all_valid: false })}`);
  process.exit(1);
}

const jobs: Job[] = course.flatMap(notebook => {
  // The repeated runs use the course's default start method (forkserver) explicitly for process notebooks.
  const defaultMethod: StartMethod | undefined = notebook.usesProcesses ? 'forkserver' : undefined;
  const list: Job[] = [{ notebook, kind: 'release' }, { notebook, kind: 'student' }];
  for (let repeat = 0; repeat < REPEATS; repeat++) list.push({ notebook, kind: 'source', repeat, startMethod: defaultMethod });
  if (notebook.usesProcesses) {
    for (const method of START_METHODS.filter(m => m !== defaultMethod)) {
      list.push({ notebook, kind: 'source', repeat: -1, startMethod: method });
    }
  }
  return list;
});

let finished = 0;
const outcomes = await mapLimit(jobs, 2, async (job): Promise<Outcome> => {
  try {
    const run =
      job.kind === 'release'
        ? await releaseMatches(job.notebook.source)
        : job.kind === 'student'
          ? await validateNotebook(job.notebook.student, { expectFail: true })
          : await validateNotebook(job.notebook.source, { startMethod: job.startMethod });
    return { job, run };
  } catch (error) {
    return { job, error: error as Error };
  } finally {
    finished++;
    const label = job.kind === 'source' ? `source${job.startMethod ? ` (${job.startMethod})` : ''}` : job.kind;
    process.stderr.write(`[${finished}/${jobs.length}] ${job.notebook.name} ${label}\n`);
  }
});

const isValidateRun = (run: CommandRun | ValidateRun | undefined): run is ValidateRun =>
  run !== undefined && 'result' in run;
const fullMarks = (run: ValidateRun, notebook: CourseNotebook): boolean =>
  run.exitCode === 0 && run.result.status === 'ok' && run.result.score === notebook.points && notebook.points > 0;
const grades = (run: ValidateRun): string => JSON.stringify(run.result.exercises.map(e => [e.gradeId, e.score]));

interface Row {
  notebook: CourseNotebook;
  seconds: number;
  checks: Record<string, boolean | null>;
  problems: string[];
}

const rows: Row[] = course.map(notebook => {
  const mine = outcomes.filter(outcome => outcome.job.notebook === notebook);
  const problems = mine.filter(o => o.error).map(o => `${o.job.kind}: ${o.error?.message}`);
  const release = mine.find(o => o.job.kind === 'release')?.run;
  const student = mine.find(o => o.job.kind === 'student')?.run;
  const repeats = mine
    .filter(o => o.job.kind === 'source' && o.job.repeat >= 0)
    .map(o => o.run)
    .filter(isValidateRun);
  const methodRuns = mine.filter(o => o.job.kind === 'source' && o.job.repeat < 0);

  const releaseOk = release?.exitCode === 0;
  if (release && !releaseOk) problems.push(`release --check: ${(release.stdout + release.stderr).trim().slice(0, 300)}`);
  const solutionsOk = repeats.length > 0 && fullMarks(repeats[0], notebook);
  if (repeats[0] && !solutionsOk) problems.push(`solutions: ${describeFailures(repeats[0])}`);
  const studentOk =
    isValidateRun(student) && student.exitCode === 0 && student.result.status === 'ok' && student.result.score === 0;
  if (isValidateRun(student) && !studentOk) problems.push(`student: ${describeFailures(student)}`);
  const identical = repeats.length === REPEATS && repeats.every(run => grades(run) === grades(repeats[0]));
  if (repeats.length === REPEATS && !identical) problems.push(`grades differ between runs: ${repeats.map(grades).join(' | ')}`);

  let methodsOk: boolean | null = null;
  if (notebook.usesProcesses) {
    const defaultOk = repeats.length === REPEATS && repeats.every(run => fullMarks(run, notebook));
    const othersOk = methodRuns.every(o => isValidateRun(o.run) && fullMarks(o.run, notebook));
    methodsOk = defaultOk && othersOk && methodRuns.length === START_METHODS.length - 1;
    for (const o of methodRuns) {
      if (o.job.kind === 'source' && isValidateRun(o.run) && !fullMarks(o.run, notebook)) {
        problems.push(`${o.job.startMethod}: ${describeFailures(o.run)}`);
      }
    }
  }
  const seconds = Math.max(0, ...repeats.map(run => run.seconds));
  return {
    notebook,
    seconds,
    checks: { release: releaseOk, solutions: solutionsOk, student: studentOk, repeatable: identical, start_methods: methodsOk },
    problems
  };
});

const mark = (value: boolean | null): string => (value === null ? 'n/a' : value ? 'pass' : 'FAIL');
const header = ['notebook', 'exercises', 'points', 'probe-graded', 'seconds', 'release', 'solutions', 'student=0', '3-runs-equal', 'fork/forkserver/spawn'];
const table = [
  header,
  ...rows.map(row => [
    row.notebook.name,
    String(row.notebook.exercises),
    String(row.notebook.points),
    String(row.notebook.concurrencyGraded),
    row.seconds.toFixed(1),
    mark(row.checks.release),
    mark(row.checks.solutions),
    mark(row.checks.student),
    mark(row.checks.repeatable),
    mark(row.checks.start_methods)
  ])
];
const widths = header.map((_, column) => Math.max(...table.map(line => line[column].length)));
for (const line of table) console.log(line.map((cell, column) => cell.padEnd(widths[column])).join('  '));
for (const row of rows) for (const problem of row.problems) console.log(`  ${row.notebook.name}: ${problem}`);

const allValid = rows.every(row => Object.values(row.checks).every(check => check !== false) && row.problems.length === 0);
const summary = {
  notebooks: rows.length,
  exercises: rows.reduce((sum, row) => sum + row.notebook.exercises, 0),
  concurrency_graded: rows.reduce((sum, row) => sum + row.notebook.concurrencyGraded, 0),
  max_seconds: Number(Math.max(...rows.map(row => row.seconds)).toFixed(1)),
  all_valid: allValid
};
console.log(`COURSE ${JSON.stringify(summary)}`);
process.exit(allValid ? 0 : 1);
