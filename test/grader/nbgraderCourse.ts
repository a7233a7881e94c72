/**
 * An nbgrader course built with real nbgrader (.venv-bench, pinned): an assignment of two notebooks
 * (answers, visible and hidden tests, partial credit, a written answer, a data file), released with
 * `nbgrader generate_assignment`, and a class of submissions made from the release.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nbgraderVenv } from '../../scripts/nbgraderVenv.js';
import type { Notebook } from '../../src/grader/engine/notebook.js';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const cell = (cellType: 'code' | 'markdown', source: string, nbgrader?: Record<string, unknown>) => ({
  cell_type: cellType,
  metadata: nbgrader
    ? { nbgrader: { schema_version: 3, grade: false, solution: false, locked: false, ...nbgrader } }
    : {},
  source,
  ...(cellType === 'code' ? { execution_count: null, outputs: [] } : {})
});
const answer = (id: string, source: string) => cell('code', source, { solution: true, grade_id: id });
const test = (id: string, points: number, source: string) =>
  cell('code', source, { grade: true, grade_id: id, points, locked: true });

function notebook(cells: unknown[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    cells: cells.map((c, i) => ({ ...(c as object), id: `c${i}` })) as Notebook['cells']
  };
}

export const SOURCES: Record<string, Notebook> = {
  problem1: notebook([
    cell('markdown', '# Problem 1\nWrite `squares` and `halve`.'),
    answer(
      'squares',
      'def squares(n):\n    ### BEGIN SOLUTION\n    return [i * i for i in range(n)]\n    ### END SOLUTION'
    ),
    test(
      'test_squares',
      2,
      'assert squares(3) == [0, 1, 4]\n### BEGIN HIDDEN TESTS\nassert squares(0) == [], "hidden check"\n### END HIDDEN TESTS'
    ),
    answer('halve', 'def halve(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION'),
    test('test_halve', 3, 'score = 0\nscore += 1 if halve(4) == 2 else 0\nscore += 2 if halve(1) == 0.5 else 0\nscore'),
    cell('markdown', 'Why does `halve(1)` give a float?\n\nYOUR ANSWER HERE', {
      solution: true,
      grade: true,
      grade_id: 'explain',
      points: 1
    })
  ]),
  problem2: notebook([
    answer('add', 'def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION'),
    test('test_add', 1, 'assert add(2, 3) == 5'),
    test('test_data', 1, "assert open('data.txt').read().strip() == 'hello'\nprint('data ok')")
  ])
};

export const nbgrader = nbgraderVenv();

/** Runs a program with nbgrader's venv first on PATH and the course's kernels. */
export function run(command: string, args: string[], cwd: string, jupyterPath: string) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
    env: {
      ...process.env,
      PATH: `${nbgrader.bin}${path.delimiter}${process.env.PATH ?? ''}`,
      JUPYTER_PATH: jupyterPath
    }
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A course folder with config, kernel spec (python3 on the project's .venv) and the released assignment. */
export function makeCourse(dir: string, timeoutSeconds: number): { jupyterPath: string } {
  const jupyterPath = path.join(dir, '..', 'jupyter');
  const kernelDir = path.join(jupyterPath, 'kernels', 'python3');
  fs.mkdirSync(kernelDir, { recursive: true });
  fs.writeFileSync(
    path.join(kernelDir, 'kernel.json'),
    JSON.stringify({
      argv: [path.join(root, '.venv', 'bin', 'python'), '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python 3',
      language: 'python'
    })
  );
  const source = path.join(dir, 'source', 'ps1');
  fs.mkdirSync(source, { recursive: true });
  for (const [name, nb] of Object.entries(SOURCES))
    fs.writeFileSync(path.join(source, `${name}.ipynb`), JSON.stringify(nb, null, 1));
  fs.writeFileSync(path.join(source, 'data.txt'), 'hello\n');
  fs.writeFileSync(
    path.join(dir, 'nbgrader_config.py'),
    [
      'c = get_config()',
      'c.CourseDirectory.course_id = "course101"',
      `c.Execute.timeout = ${timeoutSeconds}`,
      'c.LateSubmissionPlugin.penalty_method = "zero"',
      ''
    ].join('\n')
  );
  const due = run(
    nbgrader.nbgrader,
    ['db', 'assignment', 'add', 'ps1', '--duedate=2030-01-01 12:00:00 UTC'],
    dir,
    jupyterPath
  );
  if (due.code !== 0) throw new Error(`nbgrader db assignment add failed: ${due.stderr}`);
  const generated = run(nbgrader.nbgrader, ['generate_assignment', 'ps1'], dir, jupyterPath);
  if (generated.code !== 0) throw new Error(`nbgrader generate_assignment failed: ${generated.stderr}`);
  return { jupyterPath };
}

export function released(dir: string, name: string): Notebook {
  return JSON.parse(fs.readFileSync(path.join(dir, 'release', 'ps1', `${name}.ipynb`), 'utf8')) as Notebook;
}

/** Writes submitted/<student>/ps1/<name>.ipynb (and timestamp.txt). */
export function submit(dir: string, student: string, notebooks: Record<string, Notebook>, timestamp?: string): void {
  const folder = path.join(dir, 'submitted', student, 'ps1');
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, nb] of Object.entries(notebooks))
    fs.writeFileSync(path.join(folder, `${name}.ipynb`), JSON.stringify(nb, null, 1));
  if (timestamp) fs.writeFileSync(path.join(folder, 'timestamp.txt'), timestamp);
}

/** The release with `answers` (grade_id → source) and `edit` applied. */
export function answered(
  dir: string,
  name: string,
  answers: Record<string, string>,
  edit: (nb: Notebook) => void = () => {}
): Notebook {
  const nb = released(dir, name);
  for (const c of nb.cells) {
    const id = c.metadata.nbgrader?.grade_id;
    if (typeof id === 'string' && answers[id] !== undefined) c.source = answers[id];
  }
  edit(nb);
  return nb;
}

export type GradebookDump = Record<string, unknown>;

/** Everything autograde writes into nbgrader's gradebook, read with nbgrader's API. */
export function dumpGradebook(dir: string, jupyterPath: string): GradebookDump {
  const script = `
import json
from nbgrader.api import Gradebook
out = {}
with Gradebook("sqlite:///gradebook.db") as gb:
    for student in gb.students:
        try:
            sub = gb.find_submission("ps1", student.id)
        except Exception:
            continue
        entry = {"timestamp": str(sub.timestamp), "seconds_late": sub.total_seconds_late, "notebooks": {}}
        for nb in sub.notebooks:
            entry["notebooks"][nb.name] = {
                "late_penalty": nb.late_submission_penalty,
                "grades": {g.name: [g.auto_score, g.needs_manual_grade] for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
            }
        out[student.id] = entry
print(json.dumps(out, sort_keys=True))
`;
  const result = run(nbgrader.python, ['-c', script], dir, jupyterPath);
  if (result.code !== 0) throw new Error(`reading the gradebook failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as GradebookDump;
}
