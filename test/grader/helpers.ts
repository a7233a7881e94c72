/** Test helpers: submissions made from the fixture's student version, and the correct answers. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
