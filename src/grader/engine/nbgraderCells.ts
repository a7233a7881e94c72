/**
 * nbgrader v3 cell metadata: which cells are graded, solutions or locked, and their checksums,
 * computed exactly as nbgrader's utils.compute_checksum so existing nbgrader assignments verify.
 */
import { createHash } from 'node:crypto';
import { sourceOf, type Cell } from './notebook.js';

export const SCHEMA_VERSION = 3;

export function isGrade(cell: Cell): boolean {
  return Boolean(cell.metadata.nbgrader?.grade);
}

export function isSolution(cell: Cell): boolean {
  return Boolean(cell.metadata.nbgrader?.solution);
}

export function isTask(cell: Cell): boolean {
  return Boolean(cell.metadata.nbgrader?.task);
}

/** nbgrader's is_locked: solution cells never, grade cells always, others when `locked` is set. */
export function isLocked(cell: Cell): boolean {
  const nb = cell.metadata.nbgrader;
  if (!nb) return false;
  if (nb.solution) return false;
  if (nb.grade) return true;
  return Boolean(nb.locked);
}

/** True for the cells nbgrader tracks by grade_id (grade, solution, locked or task cells). */
export function isTracked(cell: Cell): boolean {
  return isGrade(cell) || isSolution(cell) || isLocked(cell) || isTask(cell);
}

export function gradeIdOf(cell: Cell): string | undefined {
  const id = cell.metadata.nbgrader?.grade_id;
  return typeof id === 'string' ? id : undefined;
}

export function pointsOf(cell: Cell): number {
  const points = Number(cell.metadata.nbgrader?.points ?? 0);
  return Number.isFinite(points) ? points : 0;
}

/** Python's repr of a float (`str(float(x))`): 1 → "1.0", 0.5 → "0.5", 1e-7 → "1e-07", 1e16 → "1e+16". */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 16) {
    // shortest round-trip digits, Python's exponent style (sign and at least two digits)
    const [mantissa, exp] = value.toExponential().split('e');
    const n = Number(exp);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Python's str() of a metadata value as nbgrader feeds it to the checksum (True/False/None, numbers, strings). */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === undefined || value === null) return 'None';
  return String(value);
}

/** nbgrader's compute_checksum: md5 of source, cell type, grade/solution/locked flags, grade_id and points. */
export function computeChecksum(cell: Cell): string {
  const nb = cell.metadata.nbgrader ?? {};
  const md5 = createHash('md5');
  md5.update(sourceOf(cell), 'utf8');
  md5.update(cell.cell_type, 'utf8');
  md5.update(pythonStr(nb.grade ?? false), 'utf8');
  md5.update(pythonStr(nb.solution ?? false), 'utf8');
  // is_locked returns the raw `locked` value for cells that are neither solution nor grade cells
  md5.update(pythonStr(nb.solution ? false : nb.grade ? true : (nb.locked ?? false)), 'utf8');
  md5.update(String(nb.grade_id ?? ''), 'utf8');
  if (nb.grade) md5.update(pythonFloatRepr(Number(nb.points)), 'utf8');
  return md5.digest('hex');
}
