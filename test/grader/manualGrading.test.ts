/**
 * An nbgrader assignment as other instructors write them: an old notebook (nbformat 4.0, kernel
 * "python"), answers graded by hand (a written answer, a code answer with points) and a task cell.
 * Graded as nbgrader's autograde does: hand-graded answers wait for a person, unless they are
 * left as released ("no response", 0 points); task cells count in the total.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Notebook } from '../../src/grader/engine/notebook.js';
import { tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function threadline(args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['--import', tsx, path.join(root, 'src', 'grader', 'commands', 'cli.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 180_000 }
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const meta = (extra: Record<string, unknown>) => ({
  nbgrader: { schema_version: 3, grade: false, solution: false, locked: false, ...extra }
});
const code = (source: string, nbgrader: Record<string, unknown>) => ({
  cell_type: 'code',
  execution_count: null,
  metadata: meta(nbgrader),
  outputs: [],
  source
});
const markdown = (source: string, nbgrader: Record<string, unknown>) => ({
  cell_type: 'markdown',
  metadata: meta(nbgrader),
  source
});

const SOURCE = {
  nbformat: 4,
  nbformat_minor: 0,
  metadata: { kernelspec: { display_name: 'Python', language: 'python', name: 'python' } },
  cells: [
    code('def area(r):\n    ### BEGIN SOLUTION\n    return 3.14159 * r * r\n    ### END SOLUTION', {
      grade_id: 'area',
      solution: true
    }),
    code('assert round(area(1), 2) == 3.14', { grade_id: 'area_test', grade: true, points: 1 }),
    markdown('The area grows with the square of the radius.', {
      grade_id: 'why',
      grade: true,
      solution: true,
      points: 2
    }),
    code('### BEGIN SOLUTION\nprint(area(2))\n### END SOLUTION', {
      grade_id: 'use_area',
      grade: true,
      solution: true,
      points: 3
    }),
    markdown('## Task\nCompare the areas of three circles and explain what you see.', {
      grade_id: 'compare_task',
      task: true,
      locked: true,
      points: 4
    })
  ]
};

type Result = {
  student: string;
  status: string;
  score: number;
  maxScore: number;
  grades: Record<string, { score: number; status: string; message: string }>;
};

describe('an nbgrader assignment with hand-graded answers and a task', () => {
  it('scores like nbgrader autograde: answers wait for a person, unchanged ones are no response, tasks count', () => {
    const dir = tempDir('tl-manual-');
    const source = path.join(dir, 'source', 'circles.ipynb');
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, JSON.stringify(SOURCE));
    const release = threadline(['release', source, '-o', path.join(dir, 'release')]);
    expect(release.code, release.stderr).toBe(0);
    const student = JSON.parse(fs.readFileSync(path.join(dir, 'release', 'circles.ipynb'), 'utf8')) as Notebook;
    const answered = structuredClone(student);
    answered.cells[0]!.source = 'def area(r):\n    return 3.14159 * r * r';
    answered.cells[2]!.source = 'It goes with r squared.';
    answered.cells[3]!.source = 'print(area(3))';
    writeSubmissions(path.join(dir, 'subs'), { answered, blank: student });

    const graded = threadline([
      'grade',
      '--source',
      source,
      '--submissions',
      path.join(dir, 'subs'),
      '--db',
      path.join(dir, 'gb.sqlite'),
      '--json',
      '--quiet'
    ]);
    expect(graded.stdout, graded.stderr).toMatch(/^\[/);
    const results = Object.fromEntries((JSON.parse(graded.stdout) as Result[]).map(r => [r.student, r]));
    const summary = (r: Result) =>
      Object.fromEntries(Object.entries(r.grades).map(([id, g]) => [id, [g.score, g.status]]));

    expect(results.answered!.maxScore).toBe(10); // the task's 4 points count, as in nbgrader
    expect(results.answered!.status).toBe('ok');
    expect(summary(results.answered!)).toEqual({
      area_test: [1, 'passed'],
      why: [0, 'manual'],
      use_area: [0, 'manual'],
      compare_task: [0, 'manual']
    });
    expect(summary(results.blank!)).toEqual({
      area_test: [0, 'failed'],
      why: [0, 'failed'],
      use_area: [0, 'failed'],
      compare_task: [0, 'manual']
    });
    expect(results.blank!.grades.why!.message).toMatch(/no response/);
    expect(graded.code).toBe(0);
  }, 180_000);
});
