/**
 * A timing test that failed while the CPU was saturated is graded again in a fresh kernel, and the
 * record says so; without saturation the first verdict stands. Real kernels; the saturation is set
 * by the threshold (always / never), not by loading the machine, so the test cannot flip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAssignment } from '../../../src/grader/engine/assignment.js';
import { Concurrency, defaultSettings } from '../../../src/grader/engine/concurrency.js';
import { Gradebook } from '../../../src/grader/engine/gradebook.js';
import { gradeSubmissions, sha256 } from '../../../src/grader/engine/gradeRun.js';
import { LocalKernelFactory } from '../../../src/grader/engine/localKernelFactory.js';
import { readNotebook } from '../../../src/grader/engine/notebook.js';
import { DEFAULT_RUN_OPTIONS } from '../../../src/grader/engine/runner/runOptions.js';
import { findSubmissions } from '../../../src/grader/engine/submissions.js';
import { courseDir, sourcePath, submission, tempDir, writeSubmissions } from '../helpers.js';

/** The fixture's source with test_unique replaced by a clock-reading test that fails on its first run only. */
function timingSource(marker: string) {
  const source = readNotebook(sourcePath);
  const cell = source.cells.find(c => c.id === 'test_unique')!;
  cell.source = [
    'import os, time',
    'start = time.perf_counter()',
    `first = not os.path.exists(${JSON.stringify(marker)})`,
    `open(${JSON.stringify(marker)}, "a").close()`,
    'elapsed = time.perf_counter() - start',
    'assert not first and elapsed < 60, f"took {elapsed:.2f} s"'
  ].join('\n');
  return buildAssignment(source, sourcePath);
}

async function grade(saturatedDelay: number) {
  const dir = tempDir('tl-speed-rerun-');
  const marker = path.join(dir, 'ran-once');
  writeSubmissions(path.join(dir, 'subs'), { alice: submission() });
  const db = new Gradebook(path.join(dir, 'gradebook.sqlite'));
  try {
    const [outcome] = await gradeSubmissions(
      timingSource(marker),
      sha256(fs.readFileSync(sourcePath)),
      findSubmissions(path.join(dir, 'subs'), 'tiny.ipynb'),
      new LocalKernelFactory(undefined),
      db,
      {
        ...DEFAULT_RUN_OPTIONS,
        jobs: 1,
        concurrency: new Concurrency('fixed', 1, { ...defaultSettings(2), saturatedDelay }),
        regrade: true,
        cwd: courseDir,
        maxNotebookBytes: 1048576
      }
    );
    return outcome!.record;
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('timing tests under a saturated CPU', () => {
  it('are graded again in a fresh kernel, and the record says so', async () => {
    const record = await grade(-1);
    expect(record.grades.find(g => g.gradeId === 'test_unique')).toMatchObject({ score: 1, status: 'passed' });
    expect(record.score).toBe(7);
    expect(record.status).toBe('ok');
    expect(record.reason).toMatch(/^graded twice: test_unique failed while the CPU was saturated/);
  }, 120_000);

  it('keep their first verdict when the CPU was not saturated', async () => {
    const record = await grade(Number.MAX_VALUE);
    expect(record.grades.find(g => g.gradeId === 'test_unique')).toMatchObject({ score: 0, status: 'failed' });
    expect(record.reason).toBe('');
  }, 120_000);
});
