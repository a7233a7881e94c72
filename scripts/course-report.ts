// `npm run course:report`: every course notebook checked through the grader's CLI on every Python the
// course supports here (.venv's, and each other CPython 3.12+ found by scripts/pythons.mjs, in the same
// .venv-py3.X that `npm test` runs the probe in), two kernels at a time (notebooks whose tests measure busy
// cores run alone). Per Python and notebook: exercises, points, probe-graded exercises, seconds to execute
// with solutions, and pass/fail of: the student version is exactly the release of its source; `threadline
// grade` gives the source full marks and the student version 0, with identical grades over 3 consecutive
// runs; notebooks that start processes also score full marks under fork, forkserver and spawn.
// Last line: COURSE {json}: the totals, `pythons` checked (and `skipped_pythons`, with the reason),
// `stable_runs` (of the 3 runs, how many gave every exercise of every notebook full marks, on the worst
// Python), `flaky` (exercises whose solution lost points in some runs only), `hours` (the notebooks'
// estimates), and `by_python`.
import {
  type CommandRun,
  type CourseNotebook,
  type CoursePython,
  type GradeRun,
  type StartMethod,
  START_METHODS,
  coursePythons,
  describeGrade,
  discoverCourse,
  gradeNotebook,
  mapScheduled,
  releaseMatches
} from './courseChecks.js';

const REPEATS = 3;
/** The course's default start method (course.start_method()); the repeated runs use it. */
const DEFAULT_METHOD: StartMethod = 'forkserver';

type Job =
  | { notebook: CourseNotebook; kind: 'release' }
  | { notebook: CourseNotebook; kind: 'grade'; python: CoursePython; repeat: number }
  | { notebook: CourseNotebook; kind: 'method'; python: CoursePython; startMethod: StartMethod };

interface Outcome {
  job: Job;
  run?: CommandRun | GradeRun;
  error?: Error;
}

const course = discoverCourse();
if (course.length === 0) {
  console.log('no notebooks in notebooks/source');
  console.log(
    `COURSE ${JSON.stringify({ notebooks: 0, exercises: 0, concurrency_graded: 0, max_seconds: 0, all_valid: false })}`
  );
  process.exit(1);
}

const { pythons, skipped, broken } = coursePythons(message => process.stderr.write(`${message}\n`));
for (const [version, why] of Object.entries(skipped)) process.stderr.write(`Python ${version}: ${why}\n`);

const jobs: Job[] = course.flatMap(notebook => [
  { notebook, kind: 'release' } as Job,
  ...pythons.flatMap(python => [
    ...Array.from({ length: REPEATS }, (_, repeat): Job => ({ notebook, kind: 'grade', python, repeat })),
    ...(notebook.usesProcesses
      ? START_METHODS.filter(method => method !== DEFAULT_METHOD).map((startMethod): Job => ({
          notebook,
          kind: 'method',
          python,
          startMethod
        }))
      : [])
  ])
]);

let finished = 0;
// Notebooks that measure busy cores are graded alone; everything else two kernels at a time.
const outcomes = await mapScheduled(
  jobs,
  2,
  job => job.kind !== 'release' && job.notebook.needsAllCores,
  async (job): Promise<Outcome> => {
    try {
      if (job.kind === 'release') return { job, run: await releaseMatches(job.notebook.source) };
      if (job.kind === 'grade')
        return { job, run: await gradeNotebook(job.notebook, { startMethod: DEFAULT_METHOD, python: job.python }) };
      return {
        job,
        run: await gradeNotebook(job.notebook, { startMethod: job.startMethod, solutionOnly: true, python: job.python })
      };
    } catch (error) {
      return { job, error: error as Error };
    } finally {
      finished++;
      const label =
        job.kind === 'grade'
          ? `Python ${job.python.version} grade run ${job.repeat + 1}`
          : job.kind === 'method'
            ? `Python ${job.python.version} grade (${job.startMethod})`
            : 'release --check';
      process.stderr.write(`[${finished}/${jobs.length}] ${job.notebook.name} ${label}\n`);
    }
  }
);

const isGradeRun = (run: CommandRun | GradeRun | undefined): run is GradeRun => run !== undefined && 'results' in run;
const fullMarks = (run: GradeRun, notebook: CourseNotebook): boolean => {
  const solution = run.results.solution;
  return solution?.status === 'ok' && solution.score === notebook.points && notebook.points > 0;
};
const blankScoresZero = (run: GradeRun, notebook: CourseNotebook): boolean => {
  const blank = run.results.blank;
  return blank?.status === 'ok' && blank.score === 0 && blank.maxScore === notebook.points;
};
const grades = (run: GradeRun): string =>
  JSON.stringify(
    ['solution', 'blank'].map(name =>
      Object.entries(run.results[name]?.grades ?? {}).map(([id, grade]) => [id, grade.score])
    )
  );

interface Row {
  notebook: CourseNotebook;
  python: CoursePython;
  seconds: number;
  checks: Record<string, boolean | null>;
  problems: string[];
  /** Per solution run, the grade ids that lost points. */
  lostPerRun: string[][];
}

const rowFor = (notebook: CourseNotebook, python: CoursePython): Row => {
  const mine = outcomes.filter(
    outcome => outcome.job.notebook === notebook && (outcome.job.kind === 'release' || outcome.job.python === python)
  );
  const problems = mine.filter(o => o.error).map(o => `${o.job.kind}: ${o.error?.message}`);
  const release = mine.find(o => o.job.kind === 'release')?.run;
  const repeats = mine
    .filter(o => o.job.kind === 'grade')
    .map(o => o.run)
    .filter(isGradeRun);
  const methodRuns = mine.filter(o => o.job.kind === 'method');

  const releaseOk = release?.exitCode === 0;
  if (release && !releaseOk)
    problems.push(`release --check: ${(release.stdout + release.stderr).trim().slice(0, 300)}`);
  const solutionsOk = repeats.length === REPEATS && repeats.every(run => fullMarks(run, notebook));
  for (const run of repeats)
    if (!fullMarks(run, notebook)) problems.push(`solution: ${describeGrade(run.results.solution)}`);
  const studentOk = repeats.length === REPEATS && repeats.every(run => blankScoresZero(run, notebook));
  for (const run of repeats)
    if (!blankScoresZero(run, notebook)) problems.push(`student version: ${describeGrade(run.results.blank)}`);
  const identical = repeats.length === REPEATS && repeats.every(run => grades(run) === grades(repeats[0]));
  if (repeats.length === REPEATS && !identical)
    problems.push(`grades differ between runs: ${repeats.map(grades).join(' | ')}`);

  let methodsOk: boolean | null = null;
  if (notebook.usesProcesses) {
    methodsOk = solutionsOk && methodRuns.length === START_METHODS.length - 1;
    for (const o of methodRuns) {
      if (o.job.kind !== 'method' || !isGradeRun(o.run)) continue;
      if (!fullMarks(o.run, notebook)) {
        methodsOk = false;
        problems.push(`${o.job.startMethod}: ${describeGrade(o.run.results.solution)}`);
      }
    }
    if (methodRuns.some(o => o.error)) methodsOk = false;
  }
  const seconds = Math.max(0, ...repeats.map(run => (run.results.solution?.elapsedMs ?? 0) / 1000));
  const lostPerRun = Array.from({ length: REPEATS }, (_, index) => {
    const run = repeats[index];
    const solution = run?.results.solution;
    if (!solution || solution.status !== 'ok') return ['(the notebook did not run)'];
    return Object.entries(solution.grades)
      .filter(([, grade]) => grade.score !== grade.maxScore)
      .map(([id]) => id);
  });
  return {
    notebook,
    python,
    seconds,
    checks: {
      release: releaseOk,
      solutions: solutionsOk,
      student: studentOk,
      repeatable: identical,
      start_methods: methodsOk
    },
    problems,
    lostPerRun
  };
};

const mark = (value: boolean | null): string => (value === null ? 'n/a' : value ? 'pass' : 'FAIL');
const header = [
  'notebook',
  'exercises',
  'points',
  'probe-graded',
  'hours',
  'seconds',
  'release',
  'solutions=full',
  'student=0',
  '3-runs-equal',
  'fork/forkserver/spawn'
];
const valid = (row: Row): boolean =>
  Object.values(row.checks).every(check => check !== false) && row.problems.length === 0;

interface PythonSummary {
  all_valid: boolean;
  max_seconds: number;
  stable_runs: number;
  flaky: string[];
}
const byPython: Record<string, PythonSummary> = {};
const flaky: string[] = [];
for (const python of pythons) {
  const rows = course.map(notebook => rowFor(notebook, python));
  console.log(`\nPython ${python.version} (${python.venv})`);
  const table = [
    header,
    ...rows.map(row => [
      row.notebook.name,
      String(row.notebook.exercises),
      String(row.notebook.points),
      String(row.notebook.concurrencyGraded),
      row.notebook.hours === null ? '-' : String(row.notebook.hours),
      row.seconds.toFixed(1),
      mark(row.checks.release),
      mark(row.checks.solutions),
      mark(row.checks.student),
      mark(row.checks.repeatable),
      mark(row.checks.start_methods)
    ])
  ];
  const widths = header.map((_, column) => Math.max(...table.map(line => line[column].length)));
  for (const line of table)
    console.log(
      line
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd()
    );
  for (const row of rows) for (const problem of row.problems) console.log(`  ${row.notebook.name}: ${problem}`);

  // an exercise that lost points in some runs of its reference solution but not in all
  const mineFlaky = rows.flatMap(row => {
    const ids = new Set(row.lostPerRun.flat());
    return [...ids]
      .filter(id => row.lostPerRun.some(lost => !lost.includes(id)))
      .map(id => `${python.version} ${row.notebook.name} ${id}`);
  });
  flaky.push(...mineFlaky);
  byPython[python.version] = {
    all_valid: rows.every(valid),
    max_seconds: Number(Math.max(...rows.map(row => row.seconds)).toFixed(1)),
    stable_runs: Array.from({ length: REPEATS }, (_, index) => index).filter(index =>
      rows.every(row => row.lostPerRun[index].length === 0)
    ).length,
    flaky: mineFlaky
  };
}
for (const [version, why] of Object.entries(skipped)) console.log(`Python ${version}: ${why}`);
for (const [version, why] of Object.entries(broken)) console.log(`Python ${version}: FAIL, ${why}`);

const summaries = Object.values(byPython);
const allValid = Object.keys(broken).length === 0 && summaries.every(summary => summary.all_valid);
const summary = {
  notebooks: course.length,
  exercises: course.reduce((sum, notebook) => sum + notebook.exercises, 0),
  concurrency_graded: course.reduce((sum, notebook) => sum + notebook.concurrencyGraded, 0),
  hours: course.reduce((sum, notebook) => sum + (notebook.hours ?? 0), 0),
  max_seconds: Math.max(...summaries.map(s => s.max_seconds)),
  all_valid: allValid,
  pythons: pythons.map(python => python.version),
  skipped_pythons: { ...skipped, ...broken },
  stable_runs: Math.min(...summaries.map(s => s.stable_runs)),
  flaky,
  by_python: byPython
};
console.log(`COURSE ${JSON.stringify(summary)}`);
process.exit(allValid ? 0 : 1);
