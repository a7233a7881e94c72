/** Matching submissions to the assignment, scoring results and finding submissions — no kernels. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecuteResult } from '../../../src/kernel/kernelClient.js';
import { buildAssignment } from '../../../src/grader/engine/assignment.js';
import { planAsIs, planGrading } from '../../../src/grader/engine/matching.js';
import { readNotebook } from '../../../src/grader/engine/notebook.js';
import { parsePythonFloat, scoreTestCell } from '../../../src/grader/engine/scoring.js';
import { findSubmissions, studentOf } from '../../../src/grader/engine/submissions.js';
import { cellIndex, setSource, sourcePath, studentVersion, submission, tempDir } from '../helpers.js';

const assignment = buildAssignment(readNotebook(sourcePath), sourcePath);
const planIds = (nb = submission()) =>
  planGrading(assignment, nb).cells.map(cell => cell.gradeId ?? `(${cell.cellType})`);

describe('planGrading', () => {
  it('restores locked cells with their hidden tests, keeps the student answers', () => {
    const plan = planGrading(
      assignment,
      submission(nb => setSource(nb, 'test_double', 'pass'))
    );
    const test = plan.cells.find(cell => cell.gradeId === 'test_double')!;
    expect(test.source).toContain('double(-3)');
    expect(test.visibleSource).not.toContain('double(-3)');
    expect(plan.cells.find(cell => cell.gradeId === 'double')!.source).toBe('def double(x):\n    return 2 * x');
    expect(plan.notes.get('test_double')).toEqual(['the locked cell was edited; the original was restored']);
  });

  it('runs the submission in its own order, noting graded cells moved above what they follow', () => {
    const reordered = submission(nb => {
      const [answer] = nb.cells.splice(cellIndex(nb, 'double'), 1);
      nb.cells.unshift(answer!);
      const [test] = nb.cells.splice(cellIndex(nb, 'test_gather'), 1);
      nb.cells.splice(cellIndex(nb, 'gather_squares'), 0, test!);
    });
    const plan = planGrading(assignment, reordered);
    expect(plan.cells.map(cell => cell.submissionIndex)).toEqual(reordered.cells.map((_, i) => i));
    // the cells the student left in place stay there: nothing is dragged along with a moved cell
    expect(plan.cells[1]!.cellType).toBe('markdown');
    const moved = [...plan.notes]
      .filter(([, texts]) => texts.some(text => /reordered.*submission's order/.test(text)))
      .map(([id]) => id);
    expect(moved).toHaveLength(2);
    expect(['double', 'imports']).toContain(moved[0]);
    expect(['test_gather', 'gather_squares']).toContain(moved[1]);
  });

  it('recognises locked cells that lost their metadata by their content, where they stand', () => {
    const stripped = submission(nb => {
      nb.cells.forEach(cell => delete cell.metadata.nbgrader);
      setSource(nb, 'test_count', 'print("my own version of the test")');
    });
    const plan = planGrading(assignment, stripped);
    const test = plan.cells.find(cell => cell.gradeId === 'test_double')!;
    expect(test.submissionIndex).toBe(cellIndex(stripped, 'test_double'));
    expect(test.source).toContain('double(-3)');
    expect(plan.notes.get('test_double')?.[0]).toMatch(/lost its nbgrader metadata/);
    // an edited copy is not recognised: the test comes back after the nearest tracked cell before it
    const ids = plan.cells.map(cell => cell.gradeId ?? cell.source.slice(0, 12));
    expect(plan.cells.find(cell => cell.gradeId === 'test_count')!.submissionIndex).toBeNull();
    // (test_gather's segment: it, then the student's count_words and edited test, then the restored test)
    expect(ids.indexOf('test_count')).toBe(ids.indexOf('test_unique') - 1);
    expect(ids.indexOf('test_count')).toBeGreaterThan(ids.indexOf('print("my ow'));
  });

  it("recognises the instructor's own copy of a test, hidden tests included, without its metadata", () => {
    const copied = submission(nb => {
      setSource(nb, 'test_double', assignment.byId.get('test_double')!.source);
      delete nb.cells[cellIndex(nb, 'test_double')]!.metadata.nbgrader;
    });
    const test = planGrading(assignment, copied).cells.find(cell => cell.gradeId === 'test_double')!;
    expect(test.submissionIndex).toBe(cellIndex(copied, 'test_double'));
  });

  it('says so when a cell plays another role than in the assignment (a release from another version)', () => {
    const older = submission(nb => {
      nb.cells[cellIndex(nb, 'test_double')]!.metadata.nbgrader = {
        grade: false,
        solution: true,
        locked: false,
        grade_id: 'test_double',
        schema_version: 3
      };
      setSource(nb, 'test_double', 'answer = 42');
    });
    const notes = planGrading(assignment, older).notes.get('test_double') ?? [];
    expect(notes).toEqual([
      expect.stringMatching(
        /is an answer cell in this submission but a test cell in the assignment .*graded as a test cell/
      )
    ]);
  });

  it('names a locked cell that holds the hidden tests, instead of calling it edited', () => {
    const fromSource = submission(nb => setSource(nb, 'test_double', assignment.byId.get('test_double')!.source));
    expect(planGrading(assignment, fromSource).notes.get('test_double')).toEqual([
      expect.stringMatching(/hidden tests: was the instructor's version submitted/)
    ]);
  });

  it("runs the assignment's kernel, never one the submission names", () => {
    const bare = readNotebook(sourcePath);
    delete bare.metadata.kernelspec;
    const chosen = submission(nb => {
      nb.metadata.kernelspec = { name: 'no-such-kernel', display_name: 'mine' };
    });
    expect(planGrading(buildAssignment(bare, sourcePath), chosen).kernelName).toBe('threadline');
    expect(planGrading(assignment, chosen).kernelName).toBe(assignment.kernelspec!.name);
  });

  it('is the identity on an untouched submission', () => {
    const nb = submission();
    expect(planGrading(assignment, nb).cells.map(cell => cell.submissionIndex)).toEqual(nb.cells.map((_, i) => i));
    expect(planIds().filter(id => !id.startsWith('('))).toEqual([
      'imports',
      'double',
      'test_double',
      'gather_squares',
      'test_gather',
      'count_words',
      'test_count',
      'unique_words',
      'test_unique',
      'explain'
    ]);
  });

  it('puts deleted locked cells back, and reports deleted answers', () => {
    const plan = planGrading(
      assignment,
      submission(nb => {
        nb.cells.splice(cellIndex(nb, 'test_count'), 1);
        nb.cells.splice(cellIndex(nb, 'unique_words'), 1);
      })
    );
    const ids = plan.cells.map(cell => cell.gradeId);
    expect(ids.indexOf('test_count')).toBe(ids.indexOf('count_words') + 1);
    expect(plan.cells.find(cell => cell.gradeId === 'test_count')!.submissionIndex).toBeNull();
    expect(plan.notes.get('unique_words')?.[0]).toMatch(/deleted/);
  });

  it('keeps the last copy of a duplicated grade_id and ignores unknown ids', () => {
    const plan = planGrading(
      assignment,
      submission(nb => {
        const i = cellIndex(nb, 'double');
        nb.cells.splice(i + 1, 0, { ...structuredClone(nb.cells[i]!), source: 'def double(x):\n    return x' });
        nb.cells[0]!.metadata.nbgrader = { grade: true, grade_id: 'bonus', points: 100 };
      })
    );
    const doubles = plan.cells.filter(cell => cell.source.startsWith('def double'));
    expect(doubles.map(cell => cell.gradeId)).toEqual([undefined, 'double']);
    expect(doubles[1]!.source).toContain('return x');
    expect(plan.gradedCells.map(cell => cell.gradeId)).not.toContain('bonus');
    expect(plan.notes.get('bonus')?.[0]).toMatch(/does not have/);
  });

  it('turns a test cell changed to markdown back into code', () => {
    const plan = planGrading(
      assignment,
      submission(nb => {
        nb.cells[cellIndex(nb, 'test_double')]!.cell_type = 'markdown';
      })
    );
    expect(plan.cells.find(cell => cell.gradeId === 'test_double')!.cellType).toBe('code');
  });

  it('validate runs a notebook as it is, graded by its own metadata', () => {
    const plan = planAsIs(studentVersion());
    expect(plan.gradedCells.map(cell => [cell.gradeId, cell.points])).toEqual([
      ['test_double', 1],
      ['test_gather', 2],
      ['test_count', 3],
      ['test_unique', 1],
      ['explain', 1]
    ]);
    expect(plan.kernelName).toBe('threadline');
  });
});

describe('scoring', () => {
  const result = (over: Partial<ExecuteResult>): ExecuteResult => ({
    status: 'ok',
    executionCount: 1,
    outputs: [],
    incomplete: false,
    droppedBytes: 0,
    elapsedMs: 1,
    ...over
  });
  const value = (text: string) =>
    result({
      outputs: [{ output_type: 'execute_result', data: { 'text/plain': text }, metadata: {}, execution_count: 1 }]
    });

  it('gives the points when no error, partial credit for a number in [0, points], nothing for errors', () => {
    expect(scoreTestCell('t', 3, result({})).score).toBe(3);
    expect(scoreTestCell('t', 3, value('1.5'))).toMatchObject({ score: 1.5, status: 'partial' });
    expect(scoreTestCell('t', 3, value('0'))).toMatchObject({ score: 0, status: 'failed' });
    expect(scoreTestCell('t', 3, value('True')).score).toBe(3);
    expect(scoreTestCell('t', 3, value('-1')).score).toBe(3);
    expect(scoreTestCell('t', 3, value('7')).score).toBe(3);
    const failed = scoreTestCell(
      't',
      3,
      result({ status: 'error', error: { ename: 'AssertionError', evalue: 'nope', traceback: [] } })
    );
    expect(failed).toMatchObject({ score: 0, status: 'failed', message: 'AssertionError: nope' });
    expect(scoreTestCell('t', 3, result({ status: 'timeout' })).status).toBe('timeout');
    expect(
      scoreTestCell('t', 3, result({ status: 'error', error: { ename: 'MemoryError', evalue: '', traceback: [] } }))
        .status
    ).toBe('memory-limit');
  });

  it('scores nothing when the cell shows a result that is not its own (another count, or a second one)', () => {
    const shown = (...counts: number[]) =>
      result({
        outputs: counts.map(count => ({
          output_type: 'execute_result' as const,
          data: { 'text/plain': '3' },
          metadata: {},
          execution_count: count
        }))
      });
    expect(scoreTestCell('t', 3, shown(1)).score).toBe(3);
    expect(scoreTestCell('t', 3, shown(7))).toMatchObject({
      score: 0,
      status: 'failed',
      message: expect.stringMatching(/not only its own/)
    });
    expect(scoreTestCell('t', 3, shown(1, 1)).score).toBe(0);
  });

  it('does not take points for warnings on stderr', () => {
    expect(
      scoreTestCell(
        't',
        2,
        result({ outputs: [{ output_type: 'stream', name: 'stderr', text: 'DeprecationWarning: old\n' }] })
      ).score
    ).toBe(2);
  });

  it('parses numbers the way Python float() does', () => {
    expect(parsePythonFloat(' 2 ')).toBe(2);
    expect(parsePythonFloat('1_000.5')).toBe(1000.5);
    expect(parsePythonFloat('1e-3')).toBe(0.001);
    expect(parsePythonFloat("'1'")).toBeUndefined();
    expect(parsePythonFloat('[1]')).toBeUndefined();
  });
});

describe('finding submissions', () => {
  it('reads nbgrader layout, per-student folders and <student>.ipynb files', () => {
    const dir = tempDir('tl-find-');
    const write = (rel: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), '{}');
    };
    write('alice/ps1/tiny.ipynb');
    write('bob/tiny.ipynb');
    write('carol.ipynb');
    write('dave/ps1/other.ipynb');
    expect(findSubmissions(dir, 'tiny.ipynb').map(s => s.student)).toEqual(['alice', 'bob', 'carol']);
    expect(studentOf(path.join(dir, 'alice/ps1/tiny.ipynb'), 'tiny.ipynb', 'ps1')).toBe('alice');
    expect(studentOf(path.join(dir, 'bob/tiny.ipynb'), 'tiny.ipynb', 'ps1')).toBe('bob');
    expect(studentOf(path.join(dir, 'carol.ipynb'), 'tiny.ipynb')).toBe('carol');
    // two assignments with a notebook of the same name: the source's folder says which one
    write('alice/ps2/tiny.ipynb');
    expect(() => findSubmissions(dir, 'tiny.ipynb')).toThrow(/two submissions/);
    expect(findSubmissions(dir, 'tiny.ipynb', 'ps2').find(s => s.student === 'alice')!.path).toBe(
      path.join(dir, 'alice/ps2/tiny.ipynb')
    );
    expect(findSubmissions(dir, 'tiny.ipynb', 'ps1').map(s => s.student)).toEqual(['alice', 'bob', 'carol']);
    write('carol/tiny.ipynb');
    expect(() => findSubmissions(dir, 'tiny.ipynb', 'ps1')).toThrow(/two submissions/);
  });
});
