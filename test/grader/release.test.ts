import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAssignment } from '../../src/grader/engine/assignment.js';
import { InvalidNotebookError } from '../../src/grader/engine/errors.js';
import { replaceRegions } from '../../src/protocol/assignment.js';
import { computeChecksum, pythonFloatRepr } from '../../src/grader/engine/nbgraderCells.js';
import {
  parseNotebook,
  readNotebook,
  serializeNotebook,
  sourceOf,
  type Cell
} from '../../src/grader/engine/notebook.js';
import { releaseToString } from '../../src/grader/commands/release.js';

const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const sourcePath = path.join(fixtures, 'course', 'source', 'tiny.ipynb');

describe('release (nbgrader generate_assignment semantics)', () => {
  it('writes byte for byte what nbgrader 0.9.6 writes for the same source', () => {
    const ours = releaseToString(sourcePath);
    const theirs = fs.readFileSync(path.join(fixtures, 'nbgrader-0.9.6', 'tiny.ipynb'), 'utf8');
    expect(ours).toBe(theirs);
  });

  it('keeps the fixture student version equal to the release of its source', () => {
    expect(fs.readFileSync(path.join(fixtures, 'course', 'tiny.ipynb'), 'utf8')).toBe(releaseToString(sourcePath));
  });

  it('records the same source-cell checksums as nbgrader (hidden tests included)', () => {
    const assignment = buildAssignment(readNotebook(sourcePath), sourcePath);
    const expected = JSON.parse(
      fs.readFileSync(path.join(fixtures, 'nbgrader-0.9.6', 'tiny-source-checksums.json'), 'utf8')
    ) as Record<string, string>;
    expect(Object.fromEntries(assignment.cells.map(cell => [cell.gradeId, cell.checksum]))).toEqual(expected);
  });

  it('replaces solutions with an indented stub that stays valid inside async def', () => {
    const release = buildAssignment(readNotebook(sourcePath), sourcePath).release;
    const gather = release.cells.find(cell => cell.id === 'gather_squares')!;
    expect(sourceOf(gather)).toBe(
      'async def gather_squares(n):\n' +
        '    """Square 0..n-1 concurrently with asyncio.gather."""\n' +
        '    # YOUR CODE HERE\n' +
        '    raise NotImplementedError()'
    );
    expect(sourceOf(release.cells.find(cell => cell.id === 'explain')!)).toBe('YOUR ANSWER HERE');
  });

  it('removes hidden tests, clears outputs and locks grade cells', () => {
    const source = readNotebook(sourcePath);
    source.cells[3]!.outputs = [{ output_type: 'stream', name: 'stdout', text: 'old' }];
    source.cells[3]!.execution_count = 4;
    const release = buildAssignment(source, sourcePath).release;
    const text = serializeNotebook(release);
    expect(text).not.toContain('HIDDEN TESTS');
    expect(text).not.toContain('double(-3)');
    expect(text).not.toContain('BEGIN SOLUTION');
    const test = release.cells[3]!;
    expect(test.outputs).toEqual([]);
    expect(test.execution_count).toBeNull();
    expect(test.metadata).toMatchObject({ deletable: false, editable: false });
    for (const cell of release.cells) {
      if (cell.metadata.nbgrader?.checksum) expect(computeChecksum(cell)).toBe(cell.metadata.nbgrader.checksum);
    }
  });

  it('is deterministic and gives every cell an id', () => {
    const nb = readNotebook(sourcePath);
    for (const cell of nb.cells) delete cell.id;
    nb.nbformat_minor = 4;
    const a = serializeNotebook(buildAssignment(nb, sourcePath).release);
    const b = serializeNotebook(buildAssignment(structuredClone(nb), sourcePath).release);
    expect(a).toBe(b);
    const ids = buildAssignment(nb, sourcePath).release.cells.map(cell => cell.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(id => typeof id === 'string' && /^[a-zA-Z0-9-_]{1,64}$/.test(id))).toBe(true);
  });

  it('rejects unterminated or nested markers and solutions outside solution cells', () => {
    expect(() => replaceRegions('a\n### BEGIN SOLUTION\nb', 'BEGIN SOLUTION', 'END SOLUTION', 'x')).toThrow(
      /no matching/
    );
    expect(() =>
      replaceRegions('### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION', 'BEGIN SOLUTION', 'END SOLUTION', 'x')
    ).toThrow(/nested/);
    const nb = readNotebook(sourcePath);
    nb.cells[0]!.source = '### BEGIN SOLUTION\nsecret\n### END SOLUTION';
    expect(() => buildAssignment(nb, sourcePath)).toThrow(/not a solution cell/);
    const dup = readNotebook(sourcePath);
    dup.cells[2]!.metadata.nbgrader!.grade_id = 'test_double';
    expect(() => buildAssignment(dup, sourcePath)).toThrow(/more than one cell/);
    // nbgrader's AUTOTEST directives are comments to Python: a test made of them would pass for anyone
    const autotest = readNotebook(sourcePath);
    const test = autotest.cells.find(cell => cell.metadata.nbgrader?.grade && !cell.metadata.nbgrader.solution)!;
    test.source = '### AUTOTEST double(2); double(-1)';
    expect(() => buildAssignment(autotest, sourcePath)).toThrow(
      /AUTOTEST.*write those checks out as assert statements/
    );
    // metadata from an older or a newer nbgrader: say which, and what to do
    const versioned = (version: number) => {
      const nb = readNotebook(sourcePath);
      for (const cell of nb.cells) if (cell.metadata.nbgrader) cell.metadata.nbgrader.schema_version = version;
      return () => buildAssignment(nb, sourcePath);
    };
    expect(versioned(1)).toThrow(/schema_version 1; run `nbgrader update`/);
    expect(versioned(10)).toThrow(/schema_version 10, newer than the supported 3/);
  });

  it('the CLI writes the release and --check detects a stale student version', async () => {
    const { main } = await import('../../src/grader/commands/cli.js');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-release-'));
    expect(await main(['release', sourcePath, '-o', out])).toBe(0);
    expect(fs.readFileSync(path.join(out, 'tiny.ipynb'), 'utf8')).toBe(releaseToString(sourcePath));
    expect(await main(['release', sourcePath, '-o', out, '--check'])).toBe(0);
    fs.appendFileSync(path.join(out, 'tiny.ipynb'), ' ');
    expect(await main(['release', sourcePath, '-o', out, '--check'])).toBe(1);
    expect(await main(['release', sourcePath])).toBe(2);
    expect(await main(['release', '--bogus'])).toBe(2);
  });
});

describe('checksums', () => {
  const cell = (over: Partial<Cell['metadata']['nbgrader']> = {}, source = 'x = 1'): Cell => ({
    cell_type: 'code',
    source,
    metadata: { nbgrader: { grade: true, solution: false, locked: true, grade_id: 'a', points: 2, ...over } },
    outputs: []
  });

  it('formats points like Python str(float())', () => {
    expect(pythonFloatRepr(2)).toBe('2.0');
    expect(pythonFloatRepr(0.5)).toBe('0.5');
    expect(pythonFloatRepr(1e-7)).toBe('1e-07');
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(123456.75)).toBe('123456.75');
  });

  it('changes with source, points, flags and grade_id', () => {
    const base = computeChecksum(cell());
    expect(computeChecksum(cell({}, 'x = 2'))).not.toBe(base);
    expect(computeChecksum(cell({ points: 3 }))).not.toBe(base);
    expect(computeChecksum(cell({ grade_id: 'b' }))).not.toBe(base);
    expect(computeChecksum(cell({ solution: true }))).not.toBe(base);
    expect(computeChecksum(cell({ points: 2.0 }))).toBe(base);
  });
});

describe('notebook validation', () => {
  const bad = (bytes: Uint8Array | string, pattern: RegExp, max?: number) => {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    expect(() => parseNotebook(data, 'sub.ipynb', max)).toThrow(InvalidNotebookError);
    expect(() => parseNotebook(data, 'sub.ipynb', max)).toThrow(pattern);
  };

  it('rejects files that are not nbformat 4 notebooks, with a reason', () => {
    bad('{"cells": [', /not valid JSON/);
    bad(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/);
    bad('{"nbformat": 3, "worksheets": []}', /nbformat 3 is not supported/);
    bad('[1, 2]', /not a JSON object/);
    bad('{"nbformat": 4, "metadata": {}}', /"cells"/);
    bad(
      '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}',
      /cell 1 has no source/
    );
    bad('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}', /over the/, 10);
  });

  it("checks every cell and output against nbformat's JSON Schema, saying which and why", () => {
    const nb = (cells: unknown[], extra = '') =>
      `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}${extra}, "cells": ${JSON.stringify(cells)}}`;
    const code = (outputs: unknown[], more: Record<string, unknown> = {}) => ({
      cell_type: 'code',
      id: 'a',
      metadata: {},
      source: 'x',
      execution_count: null,
      outputs,
      ...more
    });
    bad(nb([code([{ output_type: 'stream', text: 'hi' }])]), /cell 1, output 1 has no "name" field/);
    bad(nb([code([{ output_type: 'banner' }])]), /cell 1, output 1 has output_type "banner"/);
    bad(nb([code([], { execution_count: 'one' })]), /cell 1: "execution_count" must be integer/);
    bad(nb([code([], { id: 'has space' })]), /cell 1: "id" must match pattern/);
    bad(nb([{ cell_type: 'markdown', metadata: {}, source: 'a', prompt: 1 }]), /cell 1 has a field "prompt"/);
    bad(nb([], ', "worksheets": []'), /the notebook has a field "worksheets"/);
    bad(nb([{ cell_type: 'heading', metadata: {}, source: 'a' }]), /cell 1 has cell_type "heading"/);
    bad(nb([code([])], '').replace('"metadata": {}', '"metadata": []'), /the notebook: "metadata" must be object/);
    expect(() =>
      parseNotebook(new TextEncoder().encode(nb([code([{ output_type: 'stream', name: 'stdout', text: 'hi' }])])))
    ).not.toThrow();
    // a code cell a student turned into markdown keeps its outputs on disk: Jupyter and nbgrader open it
    const turned = parseNotebook(new TextEncoder().encode(nb([{ ...code([]), cell_type: 'markdown' }])));
    expect(turned.cells[0]).not.toHaveProperty('execution_count');
  });

  it('accepts sources as lists and fills missing outputs', () => {
    const nb = parseNotebook(
      new TextEncoder().encode(
        '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, ' +
          '"source": ["a\\n", "b"]}]}'
      )
    );
    expect(sourceOf(nb.cells[0]!)).toBe('a\nb');
    expect(nb.cells[0]!.outputs).toEqual([]);
  });
});
