/**
 * `threadline autograde` as a drop-in for `nbgrader autograde` (nbgrader 0.9.6 from PyPI, pinned):
 * the same course, released by nbgrader, is autograded by nbgrader in one copy and by Threadline
 * in another; nbgrader's gradebooks must hold the same scores, flags, comments and late penalties,
 * and nbgrader's own generate_feedback and export must work on Threadline's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import {
  answered,
  dumpGradebook,
  makeCourse,
  nbgrader,
  released,
  root,
  run,
  submit,
  type GradebookDump
} from './nbgraderCourse.js';

const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const cli = path.join(root, 'src', 'grader', 'commands', 'cli.ts');

const RIGHT = {
  squares: 'def squares(n):\n    return [i * i for i in range(n)]',
  halve: 'def halve(x):\n    return x / 2',
  explain: 'Because `/` is true division.',
  add: 'def add(a, b):\n    return a + b'
};

let base: string;
let ours: string;
let theirs: string;
let jupyterPath: string;
let threadlineRun: ReturnType<typeof run>;
let nbgraderRun: ReturnType<typeof run>;

const threadline = (args: string[], cwd: string) =>
  run(process.execPath, ['--import', tsx, cli, ...args], cwd, jupyterPath);

beforeAll(() => {
  base = tempDir('nbgrader-dropin-');
  const course = path.join(base, 'course');
  ({ jupyterPath } = makeCourse(course, 5));
  const both = (answers: Record<string, string>, edit?: (nb: ReturnType<typeof released>) => void) => ({
    problem1: answered(course, 'problem1', answers, edit),
    problem2: answered(course, 'problem2', answers, edit)
  });
  const setSource = (id: string, source: string) => (nb: ReturnType<typeof released>) => {
    for (const c of nb.cells) if (c.metadata.nbgrader?.grade_id === id) c.source = source;
  };
  submit(course, 'alice', both(RIGHT));
  submit(
    course,
    'bob',
    both({
      squares: 'def squares(n):\n    return []',
      halve: 'def halve(x):\n    return 0',
      add: 'def add(a, b):\n    return 0'
    })
  );
  submit(course, 'carol', both({ ...RIGHT, halve: 'def halve(x):\n    return x // 2' }));
  submit(
    course,
    'dan',
    both({ ...RIGHT, squares: 'def squares(n):\n    return [1]' }, nb => {
      setSource('test_squares', 'pass')(nb);
      setSource('test_add', 'assert True')(nb);
    })
  );
  submit(
    course,
    'erin',
    both(RIGHT, nb => {
      for (const c of nb.cells) if (c.metadata.nbgrader?.grade_id === 'squares') c.cell_type = 'markdown';
    })
  );
  submit(course, 'frank', both({ ...RIGHT, halve: 'while True:\n    pass' }));
  submit(course, 'gina', both({ ...RIGHT, squares: 'import sys\nsys.exit(1)' }));
  submit(course, 'hank', both({ ...RIGHT, squares: 'def squares(n):\n    return [0, 1, 4]' }));
  submit(course, 'ivy', { problem1: released(course, 'problem1') });
  submit(course, 'jack', both(RIGHT), '2030-01-02 12:00:00.000000 UTC');
  submit(
    course,
    'kim',
    both({ ...RIGHT, add: 'import sys\ndef add(a, b):\n    print("adding", file=sys.stderr)\n    return a + b' })
  );

  ours = path.join(base, 'ours');
  theirs = path.join(base, 'theirs');
  fs.cpSync(course, ours, { recursive: true });
  fs.cpSync(course, theirs, { recursive: true });
  nbgraderRun = run(nbgrader.nbgrader, ['autograde', 'ps1'], theirs, jupyterPath);
  threadlineRun = threadline(['autograde', 'ps1', '--jobs', '2'], ours);
}, 900_000);

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('threadline autograde on an nbgrader course', () => {
  it('writes the same scores, flags, comments and late penalties into the gradebook as nbgrader', () => {
    expect(nbgraderRun.code, nbgraderRun.stderr.slice(-3000)).toBe(0);
    expect(threadlineRun.code, threadlineRun.stderr.slice(-3000)).toBe(0);
    const expected: GradebookDump = dumpGradebook(theirs, jupyterPath);
    const actual: GradebookDump = dumpGradebook(ours, jupyterPath);
    expect(Object.keys(expected)).toHaveLength(11);
    expect(actual).toEqual(expected);
    // the cases are what they claim to be
    const grades = (student: string, nb = 'problem1') =>
      (expected[student] as { notebooks: Record<string, { grades: Record<string, [number | null, boolean]> }> })
        .notebooks[nb]!.grades;
    expect(grades('alice').test_halve).toEqual([3, false]);
    expect(grades('carol').test_halve).toEqual([1, false]);
    expect(grades('hank').test_squares).toEqual([0, false]);
    expect(grades('alice').explain).toEqual([null, true]);
    expect(grades('ivy', 'problem2').test_add).toEqual([0, false]);
  });

  it('writes autograded/<student>/ps1/ as nbgrader does', () => {
    for (const student of fs.readdirSync(path.join(theirs, 'autograded'))) {
      const theirFiles = fs.readdirSync(path.join(theirs, 'autograded', student, 'ps1')).sort();
      expect(fs.readdirSync(path.join(ours, 'autograded', student, 'ps1')).sort()).toEqual(theirFiles);
    }
    const graded = JSON.parse(fs.readFileSync(path.join(ours, 'autograded', 'alice', 'ps1', 'problem2.ipynb'), 'utf8'));
    const data = graded.cells.find(
      (c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === 'test_data'
    );
    expect(JSON.stringify(data.outputs)).toContain('data ok');
  });

  it("lets nbgrader's generate_feedback and export work on the result", () => {
    const feedback = run(nbgrader.nbgrader, ['generate_feedback', 'ps1'], ours, jupyterPath);
    expect(feedback.code, feedback.stderr.slice(-3000)).toBe(0);
    const page = fs.readFileSync(path.join(ours, 'feedback', 'carol', 'ps1', 'problem1.html'), 'utf8');
    expect(page).toContain('<a href="#test_halve">Test cell</a> (Score: 1.0 / 3.0)');
    expect(page).toContain('problem1 (Score: 3.0 / 6.0)');
    const exported = run(nbgrader.nbgrader, ['export'], ours, jupyterPath);
    expect(exported.code, exported.stderr.slice(-3000)).toBe(0);
    const csv = fs.readFileSync(path.join(ours, 'grades.csv'), 'utf8').trim().split('\n');
    const theirsExport = run(nbgrader.nbgrader, ['export'], theirs, jupyterPath);
    expect(theirsExport.code).toBe(0);
    const theirCsv = fs.readFileSync(path.join(theirs, 'grades.csv'), 'utf8').trim().split('\n');
    expect(csv).toEqual(theirCsv);
  }, 300_000);

  it('skips students already autograded, as nbgrader, and grades again with --student … --force', () => {
    const again = threadline(['autograde', 'ps1'], ours);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('skipping alice');
    const forced = threadline(['autograde', 'ps1', '--student', 'carol', '--force'], ours);
    expect(forced.code, forced.stderr).toBe(0);
    expect(
      forced.stdout
        .trim()
        .split('\n')
        .map(line => line.split('\t')[0])
    ).toEqual(['carol']);
  }, 600_000);

  it('grades the rest of a notebook after its kernel died and says so in a gradebook comment', () => {
    const nb = answered(ours, 'problem1', { ...RIGHT, halve: 'import os\nos._exit(1)' });
    submit(ours, 'crash', { problem1: nb, problem2: answered(ours, 'problem2', RIGHT) });
    const graded = threadline(['autograde', 'ps1', '--student', 'crash'], ours);
    expect(graded.code, graded.stderr).toBe(0);
    const dump = dumpGradebook(ours, jupyterPath) as Record<
      string,
      { notebooks: Record<string, { grades: Record<string, unknown>; comments: Record<string, string | null> }> }
    >;
    const problem1 = dump.crash!.notebooks.problem1!;
    expect(problem1.grades.test_squares).toEqual([2, false]); // graded after the restart
    expect(problem1.grades.test_halve).toEqual([0, false]);
    expect(problem1.comments.halve).toMatch(/^Threadline, .*kernel died.*nbgrader would have stopped/s);
  }, 600_000);

  it('refuses a course whose configuration it cannot honour, and says what to do', () => {
    const odd = path.join(base, 'odd');
    fs.cpSync(path.join(base, 'course'), odd, { recursive: true });
    fs.appendFileSync(
      path.join(odd, 'nbgrader_config.py'),
      'c.ClearSolutions.begin_solution_delimeter = "BEGIN ANSWER"\n'
    );
    const help = threadline(['autograde', '--help'], odd);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: threadline autograde ASSIGNMENT');
    const refused = threadline(['autograde', 'ps1'], odd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ClearSolutions.begin_solution_delimeter');
    expect(refused.stderr).toContain('nbgrader autograde ps1');
    expect(fs.existsSync(path.join(odd, 'autograded'))).toBe(false);
  }, 300_000);
});
