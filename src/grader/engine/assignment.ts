/**
 * An assignment built from an instructor source notebook, the way `nbgrader generate_assignment`
 * builds it: the student version (release) and the record of every graded, solution and locked
 * cell (what nbgrader keeps in its database) that grading restores submissions from.
 *
 * Order of steps as nbgrader: LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
 * ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { AssignmentError } from './errors.js';
import {
  BEGIN_HIDDEN_TESTS,
  BEGIN_MARK_SCHEME,
  BEGIN_SOLUTION,
  CODE_STUBS,
  END_HIDDEN_TESTS,
  END_MARK_SCHEME,
  END_SOLUTION,
  MarkerError,
  replaceRegions,
  TEXT_STUB
} from '../../protocol/assignment.js';
import {
  computeChecksum,
  gradeIdOf,
  isGrade,
  isLocked,
  isSolution,
  isTask,
  isTracked,
  pointsOf,
  SCHEMA_VERSION
} from './nbgraderCells.js';
import { sourceOf, type Cell, type Notebook } from './notebook.js';

/** A tracked cell as recorded at release time (nbgrader's SourceCell + GradeCell). */
export interface SourceCell {
  gradeId: string;
  index: number;
  cellType: Cell['cell_type'];
  grade: boolean;
  solution: boolean;
  locked: boolean;
  task: boolean;
  points: number;
  /** source after solutions were cleared, hidden tests still in: what grading runs for locked cells */
  source: string;
  /** nbgrader checksum of that source (what nbgrader's database holds) */
  checksum: string;
  /** checksum of the released (student) cell */
  releasedChecksum: string;
  /** true when the cell has hidden tests (its released source differs from `source`) */
  hasHiddenTests: boolean;
}

/** Cells with points and a row per submission: graded cells, and task cells (graded by hand). */
export function isScored(cell: SourceCell): boolean {
  return cell.grade || cell.task;
}

export interface Assignment {
  /** notebook name without .ipynb, nbgrader's notebook id */
  name: string;
  sourcePath: string;
  release: Notebook;
  cells: SourceCell[];
  byId: Map<string, SourceCell>;
  kernelspec: Notebook['metadata']['kernelspec'];
  language: string;
  maxScore: number;
}

const ID_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** nbgrader's CheckCellMetadata (MetadataValidator) rules that matter for grading. */
function checkMetadata(nb: Notebook, where: string): void {
  const seen = new Set<string>();
  nb.cells.forEach((cell, index) => {
    const meta = cell.metadata.nbgrader;
    if (!meta) return;
    const label = `cell ${index + 1}`;
    if (!isTracked(cell)) return;
    const id = gradeIdOf(cell);
    const version = meta.schema_version;
    if (version !== undefined && version !== SCHEMA_VERSION) {
      throw new AssignmentError(
        where,
        `cell "${id ?? index + 1}" has nbgrader schema_version ${String(version)}` +
          (Number(version) > SCHEMA_VERSION
            ? `, newer than the supported ${SCHEMA_VERSION}: it was made by a newer nbgrader than threadline knows`
            : `; run \`nbgrader update\` on it first (version ${SCHEMA_VERSION} is supported)`)
      );
    }
    if (!id)
      throw new AssignmentError(
        where,
        `${label} is a graded/solution/locked cell without a "grade_id"; give it a unique id in the nbgrader metadata`
      );
    if (seen.has(id))
      throw new AssignmentError(where, `grade_id "${id}" is used by more than one cell; grade ids must be unique`);
    seen.add(id);
    if (isGrade(cell)) {
      const points = Number(meta.points);
      if (meta.points === undefined || meta.points === null || !Number.isFinite(points) || points < 0) {
        throw new AssignmentError(
          where,
          `grade cell "${id}" has no valid "points" (got ${JSON.stringify(meta.points)}); set a number ≥ 0`
        );
      }
      if (cell.cell_type !== 'code' && !isSolution(cell)) {
        throw new AssignmentError(
          where,
          `markdown grade cell "${id}" is not marked as a solution cell; only code cells can be autograded tests`
        );
      }
    }
    if (!isTask(cell) && cell.cell_type === 'markdown' && isSolution(cell) && !isGrade(cell)) {
      throw new AssignmentError(
        where,
        `markdown solution cell "${id}" is not marked as a grade cell; ` +
          'written answers need points (nbgrader "Manually graded answer")'
      );
    }
    if (isTask(cell) && cell.cell_type !== 'markdown')
      throw new AssignmentError(where, `task cell "${id}" must be a markdown cell`);
  });
}

function regions(cell: Cell, index: number, where: string, begin: string, end: string, stub?: string): boolean {
  try {
    const result = replaceRegions(sourceOf(cell), begin, end, stub);
    cell.source = result.source;
    return result.found;
  } catch (error) {
    if (error instanceof MarkerError)
      throw new AssignmentError(where, `cell ${index + 1} (${gradeIdOf(cell) ?? 'no grade_id'}): ${error.message}`);
    throw error;
  }
}

/** Deterministic nbformat 4.5 cell ids: kept when present, else derived from grade_id or position. */
function assignCellIds(nb: Notebook, name: string): void {
  const used = new Set(
    nb.cells.map(cell => cell.id).filter((id): id is string => typeof id === 'string' && ID_PATTERN.test(id))
  );
  nb.cells.forEach((cell, index) => {
    if (typeof cell.id === 'string' && ID_PATTERN.test(cell.id)) return;
    const gradeId = gradeIdOf(cell);
    let id = gradeId && ID_PATTERN.test(gradeId) && !used.has(gradeId) ? gradeId : '';
    if (!id) id = createHash('sha1').update(`${name}\0${index}`).digest('hex').slice(0, 12);
    while (used.has(id)) id = createHash('sha1').update(id).digest('hex').slice(0, 12);
    used.add(id);
    cell.id = id;
  });
  if (nb.nbformat_minor < 5) nb.nbformat_minor = 5;
}

export function buildAssignment(source: Notebook, sourcePath: string): Assignment {
  const where = sourcePath;
  const name = path.basename(sourcePath).replace(/\.ipynb$/i, '');
  const nb = clone(source);
  const language = String(
    nb.metadata.kernelspec?.language ?? (nb.metadata.language_info as { name?: string } | undefined)?.name ?? 'python'
  );
  const stub = CODE_STUBS[language];
  if (stub === undefined)
    throw new AssignmentError(
      where,
      `no solution stub for language "${language}"; supported: ${Object.keys(CODE_STUBS).join(', ')}`
    );
  checkMetadata(nb, where);

  nb.cells.forEach((cell, index) => {
    // nbgrader 0.9's AUTOTEST comments become asserts only through its templates; left as
    // comments they would make a test cell pass for everyone
    if (
      cell.cell_type === 'code' &&
      sourceOf(cell)
        .split('\n')
        .some(line => /^\s*#.*\bAUTOTEST\b/.test(line))
    ) {
      throw new AssignmentError(
        where,
        `cell ${index + 1} (${gradeIdOf(cell) ?? 'no grade_id'}) uses nbgrader's "### AUTOTEST" directives, ` +
          'which threadline does not expand: write those checks out as assert statements'
      );
    }
    // LockCells
    if (isSolution(cell)) cell.metadata.deletable = false;
    else if (isGrade(cell) || isLocked(cell)) {
      cell.metadata.deletable = false;
      cell.metadata.editable = false;
    }
    // ClearSolutions
    const replaced = regions(
      cell,
      index,
      where,
      BEGIN_SOLUTION,
      END_SOLUTION,
      cell.cell_type === 'code' ? stub : TEXT_STUB
    );
    if (replaced && !isSolution(cell)) {
      throw new AssignmentError(
        where,
        `cell ${index + 1} has a solution region but is not a solution cell; ` +
          'mark it "Autograded answer" (nbgrader solution: true)'
      );
    }
    if (isSolution(cell) && !replaced) cell.source = cell.cell_type === 'code' ? stub : TEXT_STUB;
    // ClearOutput
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
      delete cell.metadata.collapsed;
      delete cell.metadata.scrolled;
    }
    if (cell.metadata.nbgrader && isTracked(cell) && cell.metadata.nbgrader.schema_version === undefined) {
      cell.metadata.nbgrader.schema_version = SCHEMA_VERSION;
    }
  });

  // ComputeChecksums + SaveCells
  const cells: SourceCell[] = [];
  nb.cells.forEach(cell => {
    if (!(isGrade(cell) || isSolution(cell) || isLocked(cell))) return;
    const meta = cell.metadata.nbgrader!;
    meta.checksum = computeChecksum(cell);
    meta.cell_type = cell.cell_type;
  });
  nb.cells.forEach((cell, index) => {
    if (!isTracked(cell)) return;
    cells.push({
      gradeId: gradeIdOf(cell)!,
      index,
      cellType: cell.cell_type,
      grade: isGrade(cell),
      solution: isSolution(cell),
      locked: isLocked(cell),
      task: isTask(cell),
      points: isGrade(cell) || isTask(cell) ? pointsOf(cell) : 0,
      source: sourceOf(cell),
      checksum: String(cell.metadata.nbgrader?.checksum ?? ''),
      releasedChecksum: '',
      hasHiddenTests: false
    });
  });

  // ClearHiddenTests, ClearMarkScheme, ComputeChecksums
  nb.cells.forEach((cell, index) => {
    const removed = regions(cell, index, where, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS);
    if (removed && !isGrade(cell)) {
      throw new AssignmentError(
        where,
        `cell ${index + 1} has a hidden-tests region but is not a grade cell; mark it "Autograder tests"`
      );
    }
    const removedScheme = regions(cell, index, where, BEGIN_MARK_SCHEME, END_MARK_SCHEME);
    if (removedScheme && !isTask(cell)) {
      throw new AssignmentError(where, `cell ${index + 1} has a mark-scheme region but is not a task cell`);
    }
    if (isGrade(cell) || isSolution(cell) || isLocked(cell)) {
      const meta = cell.metadata.nbgrader!;
      meta.checksum = computeChecksum(cell);
      meta.cell_type = cell.cell_type;
    }
  });
  delete nb.metadata.celltoolbar;
  assignCellIds(nb, name);

  const byId = new Map<string, SourceCell>();
  for (const record of cells) {
    const released = nb.cells[record.index]!;
    record.releasedChecksum = String(released.metadata.nbgrader?.checksum ?? '');
    record.hasHiddenTests = sourceOf(released) !== record.source;
    byId.set(record.gradeId, record);
  }
  return {
    name,
    sourcePath,
    release: nb,
    cells,
    byId,
    kernelspec: nb.metadata.kernelspec,
    language,
    maxScore: cells.reduce((sum, cell) => sum + (isScored(cell) ? cell.points : 0), 0)
  };
}
