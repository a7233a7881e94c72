// The toolbar's Student preview must show exactly what `threadline release` writes: both use
// src/protocol/assignment.ts, and this holds them to it on every course notebook.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MarkerError } from '../../../src/protocol/assignment.js';
import { isInstructorSource, studentVersion } from '../../../src/lab/grading/studentVersion.js';

const notebooks = path.resolve(__dirname, '..', '..', '..', 'notebooks');
const sources = fs.readdirSync(path.join(notebooks, 'source')).filter(name => name.endsWith('.ipynb'));

type RawCell = { cell_type: string; source: string | string[]; metadata: unknown };
const cellsOf = (file: string) =>
  (JSON.parse(fs.readFileSync(file, 'utf8')).cells as RawCell[]).map(cell => ({
    cellType: cell.cell_type,
    source: Array.isArray(cell.source) ? cell.source.join('') : cell.source,
    metadata: cell.metadata
  }));

describe('student preview', () => {
  it.each(sources)('%s: preview equals the released student version', name => {
    const source = cellsOf(path.join(notebooks, 'source', name));
    const released = cellsOf(path.join(notebooks, name));
    expect(isInstructorSource(source.map(cell => cell.source))).toBe(true);
    expect(isInstructorSource(released.map(cell => cell.source))).toBe(false);
    expect(studentVersion(source).map(cell => cell.source)).toEqual(released.map(cell => cell.source));
  });

  it('refuses unpaired markers with a message that names them', () => {
    const source = 'def f():\n    ### BEGIN SOLUTION\n    return 1\n';
    const cells = [{ cellType: 'code', source, metadata: { nbgrader: { solution: true } } }];
    expect(() => studentVersion(cells)).toThrow(MarkerError);
    expect(() => studentVersion(cells)).toThrow(/END SOLUTION/);
  });
});
