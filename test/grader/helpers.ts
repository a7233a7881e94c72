/** Test helpers: submissions made from the fixture's student version, and the correct answers. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SubmissionRecord } from '../../src/grader/engine/gradebook.js';
import type { Notebook } from '../../src/grader/engine/notebook.js';

export const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
export const courseDir = path.join(fixtures, 'course');
export const sourcePath = path.join(courseDir, 'source', 'tiny.ipynb');
export const studentPath = path.join(courseDir, 'tiny.ipynb');

export const CORRECT: Record<string, string> = {
  double: 'def double(x):\n    return 2 * x',
  gather_squares: 'async def gather_squares(n):\n    return [i * i for i in range(n)]',
  count_words: 'def count_words(text):\n    return len(text.split())',
  unique_words: 'def unique_words(text):\n    return set(text.split())'
};

export function studentVersion(): Notebook {
  return JSON.parse(fs.readFileSync(studentPath, 'utf8')) as Notebook;
}

/** The student version with the correct answers, then `edit` applied. */
export function submission(
  edit: (nb: Notebook) => void = () => {},
  answers: Record<string, string> = CORRECT
): Notebook {
  const nb = studentVersion();
  for (const cell of nb.cells) {
    const answer = cell.id ? answers[cell.id] : undefined;
    if (answer !== undefined) cell.source = answer;
  }
  edit(nb);
  return nb;
}

export function cellIndex(nb: Notebook, id: string): number {
  const index = nb.cells.findIndex(cell => cell.id === id);
  if (index < 0) throw new Error(`no cell ${id}`);
  return index;
}

export function setSource(nb: Notebook, id: string, source: string): void {
  nb.cells[cellIndex(nb, id)]!.source = source;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeSubmissions(dir: string, subs: Record<string, Notebook | string | Uint8Array>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [student, content] of Object.entries(subs)) {
    const file = path.join(dir, `${student}.ipynb`);
    if (typeof content === 'string' || content instanceof Uint8Array) fs.writeFileSync(file, content);
    else fs.writeFileSync(file, JSON.stringify(content, null, 1));
  }
}

/** Text of all stream outputs of a run's cells. */
export function streamText(runs: { outputs: { output_type: string; text?: string }[] }[]): string {
  return runs.flatMap(run => run.outputs.filter(o => o.output_type === 'stream').map(o => o.text ?? '')).join('');
}

/** A graded submission of assignment week1 as the gradebook stores it: grade_id → [score, max, status]. */
export function gradedRecord(student: string, scores: Record<string, [number, number, string?]>): SubmissionRecord {
  const grades = Object.entries(scores).map(([gradeId, [score, maxScore, status]]) => ({
    gradeId,
    score,
    maxScore,
    status: (status ?? (score === maxScore ? 'passed' : 'failed')) as 'passed',
    message: ''
  }));
  return {
    assignment: 'week1',
    student,
    path: `${student}.ipynb`,
    fileHash: 'f',
    sourceHash: 's',
    status: 'ok',
    reason: '',
    score: grades.reduce((sum, g) => sum + g.score, 0),
    maxScore: grades.reduce((sum, g) => sum + g.maxScore, 0),
    elapsedMs: 5,
    gradedAt: '2026-01-01T00:00:00.000Z',
    grades,
    runs: [{ gradeId: 'q1', cellType: 'code', source: 'x = 1', outputs: [], status: 'ok', hidden: false }],
    repairs: []
  };
}
