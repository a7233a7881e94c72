/**
 * Output floods: a cell that prints 200 MB is graded in well under its timeout, with its grade
 * unaffected, its output cut where the kernel's cap says (per cell and per notebook) and the
 * cut said in the output; a kernel that gets around that cap (raw messages on its iopub socket)
 * costs the grader bounded memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAssignment } from '../../src/grader/engine/assignment.js';
import { Gradebook, type SubmissionRecord } from '../../src/grader/engine/gradebook.js';
import { gradeSubmissions, sha256 } from '../../src/grader/engine/gradeRun.js';
import { LocalKernelFactory } from '../../src/grader/engine/localKernelFactory.js';
import { readNotebook, type Notebook } from '../../src/grader/engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../../src/grader/engine/runner/runOptions.js';
import { findSubmissions } from '../../src/grader/engine/submissions.js';
import { DEFAULT_LIMITS } from '../../src/grader/sandbox/limits.js';
import { courseDir, setSource, sourcePath, submission, tempDir, writeSubmissions } from './helpers.js';

const CELL_CAP = 100_000;
const NOTEBOOK_CAP = 250_000;
const withDouble = (code: string) => `${code}\ndef double(x):\n    return 2 * x`;

const cases: Record<string, Notebook> = {
  print_200mb: submission(nb => setSource(nb, 'double', withDouble("print('x' * 200_000_000)"))),
  // the notebook's cap is spent by the first cells; the partial credit that follows still counts
  notebook_cap: submission(nb => {
    setSource(nb, 'double', withDouble("print('a' * 90_000)"));
    setSource(
      nb,
      'gather_squares',
      "print('b' * 90_000)\nasync def gather_squares(n):\n    return [i * i for i in range(n)]"
    );
    setSource(nb, 'count_words', "print('c' * 90_000)\ndef count_words(text):\n    return len(text.split(' '))");
    setSource(nb, 'unique_words', "print('d' * 90_000)\ndef unique_words(text):\n    return set(text.split())");
  }),
  // the flood happens inside a test, through the student's function
  floods_in_test: submission(nb =>
    setSource(
      nb,
      'double',
      "def double(x):\n    print('z' * 50_000_000)\n    display({'y': 'w' * 5_000_000})\n    return 2 * x"
    )
  ),
  // around the kernel's cap: 2 s of 15 MB frames straight onto the iopub socket, unsigned
  raw_flood: submission(nb =>
    setSource(
      nb,
      'double',
      withDouble(
        [
          'import time',
          'frame = b"x" * 15_000_000',
          'socket = get_ipython().kernel.iopub_socket',
          'end = time.time() + 2',
          'while time.time() < end:',
          '    socket.send_multipart([b"stream", b"<IDS|MSG>", b"0", b"{}", b"{}", b"{}", frame])'
        ].join('\n')
      )
    )
  )
};

/** Text of a cell's stream outputs. */
function cellText(record: SubmissionRecord, gradeId: string): string {
  const run = record.runs.find(r => r.gradeId === gradeId)!;
  return run.outputs.map(o => ('text' in o ? String(o.text) : JSON.stringify(o))).join('');
}

describe('output floods', () => {
  const results = new Map<string, SubmissionRecord>();
  let peakRss = 0;
  let baseRss = 0;
  beforeAll(async () => {
    const dir = tempDir('tl-flood-');
    writeSubmissions(dir, cases);
    const db = new Gradebook(path.join(dir, 'gradebook.sqlite'));
    baseRss = process.memoryUsage().rss;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
    try {
      const outcomes = await gradeSubmissions(
        buildAssignment(readNotebook(sourcePath), sourcePath),
        sha256(fs.readFileSync(sourcePath)),
        findSubmissions(dir, 'tiny.ipynb'),
        new LocalKernelFactory(DEFAULT_LIMITS, {}, false, [sourcePath, dir]),
        db,
        {
          ...DEFAULT_RUN_OPTIONS,
          // the timeout of the issue this answers: 200 MB used to run into it
          cellTimeoutMs: 5_000,
          maxOutputBytes: CELL_CAP,
          maxNotebookOutputBytes: NOTEBOOK_CAP,
          protectedPaths: [sourcePath],
          jobs: 2,
          regrade: false,
          cwd: courseDir,
          maxNotebookBytes: 1048576
        }
      );
      for (const { record } of outcomes) results.set(record.student, record);
    } finally {
      clearInterval(timer);
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('grades a 200 MB print inside the timeout, grade unaffected, the cut said, the record small', () => {
    const record = results.get('print_200mb')!;
    expect([record.score, record.status, record.reason]).toEqual([7, 'ok', '']);
    const text = cellText(record, 'double');
    expect(text).toMatch(/^x+\n\[output truncated: the cell's output limit of 100000 characters was reached/);
    expect(text.length).toBeLessThanOrEqual(CELL_CAP);
    expect(JSON.stringify(record.runs).length).toBeLessThan(CELL_CAP + 20_000);
  });

  it("caps the notebook's output, and partial credit after the cap still counts", () => {
    const record = results.get('notebook_cap')!;
    expect([record.score, record.status]).toEqual([5, 'ok']);
    expect(record.grades.find(g => g.gradeId === 'test_count')?.score).toBe(1);
    const kept = ['double', 'gather_squares', 'count_words', 'unique_words'].map(id => cellText(record, id));
    expect(kept[0]!.length + kept[1]!.length).toBe(180_002);
    expect(kept[2]).toMatch(/\[output truncated: the notebook's output limit of 250000 characters was reached/);
    expect(kept[3]).toMatch(
      /^\n\[output truncated: the notebook's output limit of 250000 characters was reached[^\n]*\n$/
    );
  });

  it('caps a flood that happens inside a test cell, which still passes', () => {
    const record = results.get('floods_in_test')!;
    expect([record.score, record.status]).toEqual([7, 'ok']);
    expect(cellText(record, 'test_double')).toMatch(/\[output truncated: the cell's output limit/);
    expect(JSON.stringify(record.runs).length).toBeLessThan(CELL_CAP + 20_000);
  });

  it('keeps its own memory bounded when a kernel floods around the cap, and grades it', () => {
    const record = results.get('raw_flood')!;
    // the flood delays its own cell (its messages queue in the kernel); every later test is graded
    const later = record.grades.filter(g => g.gradeId !== 'test_double').map(g => [g.gradeId, g.score, g.status]);
    expect(later).toEqual([
      ['test_gather', 2, 'passed'],
      ['test_count', 3, 'passed'],
      ['test_unique', 1, 'passed'],
      ['explain', 0, 'failed']
    ]);
    // at most 16 queued messages of at most 16 MB: far below what was sent (2 s of 15 MB frames)
    console.log(`grader peak RSS growth while grading the floods: ${Math.round((peakRss - baseRss) / 1048576)} MB`);
    expect(peakRss - baseRss).toBeLessThan(768 * 1048576);
  });
});
