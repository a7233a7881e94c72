/**
 * Every repair the grader makes to a submission is said, with its reason: in `grade --json` (the
 * submission and the cell), the gradebook, the CSV export and the feedback page; the grade is
 * the one the repaired notebook earns.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gradebook } from '../../src/grader/engine/gradebook.js';
import type { Notebook } from '../../src/grader/engine/notebook.js';
import { cellIndex, courseDir, setSource, sourcePath, submission, tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'src', 'grader', 'commands', 'cli.ts');
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function threadline(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

/** One submission per repair: [the notebook, the cell repaired, the kind of repair]. */
const cases: Record<string, [Notebook, string, string]> = {
  edited_test: [submission(nb => setSource(nb, 'test_double', 'pass')), 'test_double', 'edited'],
  deleted_test: [submission(nb => nb.cells.splice(cellIndex(nb, 'test_gather'), 1)), 'test_gather', 'deleted'],
  duplicated_test: [
    submission(nb =>
      nb.cells.splice(cellIndex(nb, 'count_words'), 0, structuredClone(nb.cells[cellIndex(nb, 'test_count')]!))
    ),
    'test_count',
    'duplicate'
  ],
  moved_cells: [
    submission(nb => {
      const moved = nb.cells.splice(cellIndex(nb, 'unique_words'), 2);
      nb.cells.splice(cellIndex(nb, 'count_words'), 0, ...moved);
    }),
    'test_count',
    'moved'
  ],
  markdown_test: [
    submission(nb => {
      const cell = nb.cells[cellIndex(nb, 'test_unique')]! as unknown as Record<string, unknown>;
      cell.cell_type = 'markdown';
      delete cell.outputs;
      delete cell.execution_count;
    }),
    'test_unique',
    'cell-type'
  ],
  stripped_metadata: [
    submission(nb => delete nb.cells[cellIndex(nb, 'test_double')]!.metadata.nbgrader),
    'test_double',
    'recognised'
  ]
};

interface Graded {
  student: string;
  score: number;
  repairs: { gradeId: string; kind: string; reason: string }[];
  grades: Record<string, { score: number; repairs: string[]; message: string }>;
}

describe('repairs, each with its reason', () => {
  const dir = tempDir('tl-repairs-');
  const db = path.join(dir, 'gradebook.sqlite');
  let results: Graded[] = [];
  beforeAll(async () => {
    writeSubmissions(path.join(dir, 'subs'), Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, v[0]])));
    const run = await threadline([
      ...['grade', '--source', sourcePath, '--submissions', path.join(dir, 'subs')],
      ...['--db', db, '--cwd', courseDir, '--jobs', '2', '--json', '--quiet']
    ]);
    results = JSON.parse(run.stdout || '[]') as Graded[];
    expect(results, run.stderr).toHaveLength(Object.keys(cases).length);
  }, 180_000);

  it('grades each repaired notebook as it should, and says why in --json, on the submission and the cell', () => {
    for (const result of results) {
      const [, gradeId, kind] = cases[result.student]!;
      // a tampered test is put back, so the correct answers score everything
      expect([result.student, result.score]).toEqual([result.student, 7]);
      const repair = result.repairs.find(r => r.gradeId === gradeId && r.kind === kind);
      expect(repair?.reason, `${result.student}: ${JSON.stringify(result.repairs)}`).toMatch(/\w{4}/);
      expect(result.grades[gradeId]!.repairs).toContain(repair!.reason);
      expect(result.grades[gradeId]!.message).toContain(repair!.reason);
    }
  });

  it('keeps the reasons in the gradebook, the export and the feedback', async () => {
    const gradebook = new Gradebook(db);
    const stored = Object.fromEntries(gradebook.submissions().map(r => [r.student, r.repairs]));
    gradebook.close();
    const csv = await threadline(['export', '--csv', '--db', db]);
    const feedback = await threadline(['feedback', '--db', db, '-o', path.join(dir, 'fb')]);
    expect(feedback.code, feedback.stderr).toBe(0);
    for (const result of results) {
      expect(stored[result.student]).toEqual(result.repairs);
      const total = csv.stdout.split('\n').find(line => line.startsWith(`tiny,${result.student},total,`))!;
      const html = fs.readFileSync(path.join(dir, 'fb', result.student, 'tiny.html'), 'utf8');
      const entities: Record<string, string> = { '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };
      const page = html.replace(/&(quot|#39|lt|gt|amp);/g, entity => entities[entity]!);
      expect(page).toContain('What the grader repaired');
      for (const repair of result.repairs) {
        expect(total).toContain(`repaired ${repair.gradeId}: ${repair.reason}`.replace(/"/g, '""'));
        expect(page).toContain(repair.reason);
      }
    }
  });
});
