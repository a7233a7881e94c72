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
import type { GradingPlan } from '../../../src/grader/engine/matching.js';
import { readNotebook } from '../../../src/grader/engine/notebook.js';
import type { NotebookRun } from '../../../src/grader/engine/runner/runResult.js';
import { timingFailures } from '../../../src/grader/engine/timingRerun.js';
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

describe('timingFailures', () => {
  it('names failed tests that read a clock or check the loop, not missing answers or untimed tests', () => {
    const cell = (gradeId: string, source: string) => ({ gradeId, source }) as GradingPlan['cells'][number];
    const plan = {
      cells: [
        cell('clock', 'start = time.perf_counter()\nassert time.perf_counter() - start < 0.75'),
        cell('loop', 't.assert_loop_not_blocked()'),
        cell('stub', 'elapsed = measure(f)'),
        cell('plain', 'assert f(2) == 4')
      ]
    } as GradingPlan;
    const failed = (gradeId: string, message: string) => ({
      gradeId,
      score: 0,
      maxScore: 1,
      status: 'failed',
      message
    });
    const run = {
      cells: [
        failed('clock', 'AssertionError: took 0.91 s'),
        failed('loop', 'AssertionError: the loop was blocked for 120 ms'),
        failed('stub', 'NotImplementedError: '),
        failed('plain', 'AssertionError: ')
      ]
    } as NotebookRun;
    expect(timingFailures(plan, run)).toEqual(['clock', 'loop']);
  });
});
