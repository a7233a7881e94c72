/**
 * Matching a submission against its assignment (nbgrader's ClearOutput, DeduplicateIds,
 * OverwriteKernelspec and OverwriteCells, made deterministic where nbgrader is not):
 *
 * - the nbgrader metadata of every tracked cell comes from the source, never from the submission;
 * - locked and test cells are restored from the source (hidden tests included) — always, so a
 *   tampered cell cannot survive; a changed cell type is changed back;
 * - a locked cell that lost its metadata (cells pasted into a new notebook) is recognised by its
 *   released content and restored where it stands;
 * - a duplicated grade_id keeps its last copy (as nbgrader); earlier copies run as plain cells;
 *   a split solution cell thus runs all its parts;
 * - a grade_id that the source does not know loses its metadata and runs as a plain cell;
 * - a deleted locked/test cell is put back after the tracked cell that precedes it in the source
 *   (and the student's cells that follow that one); a deleted solution cell is not (its tests
 *   fail, with a reason);
 * - the cells run in the submission's order, as nbgrader runs them and as the student's own
 *   "Run All" did: moved graded cells get a note, never a silent reshuffle of the student's cells.
 */
import { isScored, type Assignment, type SourceCell } from './assignment.js';
import { gradeIdOf, isGrade, isLocked, isSolution, isTask } from './nbgraderCells.js';
import { sourceOf, type Cell, type Notebook } from './notebook.js';

export interface PlannedCell {
  /** position in the submission, or null for a cell restored from the source */
  submissionIndex: number | null;
  cellType: Cell['cell_type'];
  /** the code that runs: for test cells with hidden tests this is only ever sent over the protocol */
  source: string;
  /** what a student may see of this cell (hidden tests removed) */
  visibleSource: string;
  gradeId?: string;
  record?: SourceCell;
}

/** What matching did to a submission's cell (or found and could not undo), and why: said, never silent. */
export type RepairKind =
  | 'recognised' // a locked cell without its metadata, recognised by content and restored
  | 'unknown-id' // a grade_id the source does not have: ran as an ordinary cell
  | 'duplicate' // a grade_id seen twice: graded once (the last copy)
  | 'cell-type' // a cell type changed: changed back
  | 'role' // a cell whose role differs from the assignment's: graded as the assignment has it
  | 'instructor-version' // a test cell holding the hidden tests: the instructor's version submitted?
  | 'edited' // a locked or test cell edited: the original restored
  | 'moved' // graded cells reordered: the notebook ran in the submission's order
  | 'deleted' // a locked or test cell deleted: restored from the assignment
  | 'answer-deleted'; // an answer cell deleted: nothing to restore, its tests fail

export interface Repair {
  gradeId: string;
  kind: RepairKind;
  reason: string;
}

export interface GradingPlan {
  cells: PlannedCell[];
  /** per grade_id, what was done to the submission's cell and why */
  notes: Map<string, string[]>;
  /** the same, in the order found, each with its kind: what --json, the gradebook and feedback show */
  repairs: Repair[];
  kernelName: string;
  /** the assignment's graded cells in source order: each gets a score row */
  gradedCells: SourceCell[];
}

type Findings = Pick<GradingPlan, 'notes' | 'repairs'>;

function note(findings: Findings, kind: RepairKind, id: string, text: string): void {
  const list = findings.notes.get(id) ?? [];
  if (list.includes(text)) return;
  list.push(text);
  findings.notes.set(id, list);
  findings.repairs.push({ gradeId: id, kind, reason: text });
}

type Role = Pick<SourceCell, 'grade' | 'solution' | 'locked' | 'task'>;

function roleName(role: Role): string {
  if (role.task) return 'a task cell';
  if (role.solution) return role.grade ? 'a graded answer cell' : 'an answer cell';
  if (role.grade) return 'a test cell';
  return role.locked ? 'a locked cell' : 'an ordinary cell';
}

function roleOf(cell: Cell): Role {
  return { grade: isGrade(cell), solution: isSolution(cell), locked: isLocked(cell), task: isTask(cell) };
}

export function planGrading(assignment: Assignment, submission: Notebook, defaultKernel = 'threadline'): GradingPlan {
  const findings: Findings = { notes: new Map(), repairs: [] };
  const releasedSourceOf = (record: SourceCell) => sourceOf(assignment.release.cells[record.index]!);
  const knownIdOf = (cell: Cell) => {
    const id = gradeIdOf(cell);
    return id !== undefined && cell.metadata.nbgrader && assignment.byId.has(id) ? id : undefined;
  };

  // DeduplicateIds: keep the last cell of each grade_id
  const lastIndex = new Map<string, number>();
  submission.cells.forEach((cell, index) => {
    const id = knownIdOf(cell);
    if (id !== undefined) lastIndex.set(id, index);
  });

  // Locked cells missing by grade_id but present by content (as released, or as in the source,
  // hidden tests included): each takes the first such cell that carries no known grade_id.
  const recognised = new Map<number, SourceCell>();
  for (const record of assignment.cells) {
    if (!record.locked || lastIndex.has(record.gradeId)) continue;
    const texts = new Set([releasedSourceOf(record).trim(), record.source.trim()]);
    texts.delete('');
    if (texts.size === 0) continue;
    const index = submission.cells.findIndex(
      (cell, i) => !recognised.has(i) && knownIdOf(cell) === undefined && texts.has(sourceOf(cell).trim())
    );
    if (index < 0) continue;
    recognised.set(index, record);
    note(
      findings,
      'recognised',

      record.gradeId,
      `cell ${index + 1} had lost its nbgrader metadata; recognised by its content as "${record.gradeId}" and restored`
    );
  }

  const planned: PlannedCell[] = submission.cells.map((cell, index) => {
    const source = sourceOf(cell);
    const plain: PlannedCell = { submissionIndex: index, cellType: cell.cell_type, source, visibleSource: source };
    const found = recognised.get(index);
    if (found) {
      return {
        submissionIndex: index,
        cellType: found.cellType,
        source: found.source,
        visibleSource: releasedSourceOf(found),
        gradeId: found.gradeId,
        record: found
      };
    }
    const id = gradeIdOf(cell);
    if (id === undefined || !cell.metadata.nbgrader) return plain;
    const record = assignment.byId.get(id);
    if (!record) {
      if (cell.metadata.nbgrader.grade || cell.metadata.nbgrader.solution || cell.metadata.nbgrader.locked) {
        note(
          findings,
          'unknown-id',

          id,
          `cell ${index + 1} claims grade_id "${id}", which the source does not have: it ran as an ordinary cell`
        );
      }
      return plain;
    }
    if (lastIndex.get(id) !== index) {
      note(
        findings,
        'duplicate',

        id,
        `grade_id "${id}" appears more than once; the last copy is graded, cell ${index + 1} ran as an ordinary cell`
      );
      return plain;
    }
    if (cell.cell_type !== record.cellType) {
      note(
        findings,
        'cell-type',
        id,
        `cell type was changed from ${record.cellType} to ${cell.cell_type}; changed back`
      );
    }
    const submitted = roleName(roleOf(cell));
    const assigned = roleName(record);
    if (submitted !== assigned) {
      note(
        findings,
        'role',

        id,
        `"${id}" is ${submitted} in this submission but ${assigned} in the assignment ` +
          `(was it released from another version of the source?); it was graded as ${assigned}`
      );
    }
    if (record.locked) {
      const releasedSource = releasedSourceOf(record);
      if (source === record.source && record.hasHiddenTests) {
        note(
          findings,
          'instructor-version',
          id,
          "the cell holds the assignment's hidden tests: was the instructor's version submitted?"
        );
      } else if (source !== releasedSource && submitted === assigned) {
        note(findings, 'edited', id, 'the locked cell was edited; the original was restored');
      }
      return {
        submissionIndex: index,
        cellType: record.cellType,
        source: record.source,
        visibleSource: releasedSource,
        gradeId: id,
        record
      };
    }
    return { submissionIndex: index, cellType: record.cellType, source, visibleSource: source, gradeId: id, record };
  });

  for (const moved of outOfOrder(planned.flatMap(cell => (cell.record ? [cell.record] : [])))) {
    note(
      findings,
      'moved',

      moved.gradeId,
      `"${moved.gradeId}" is not where the assignment has it (graded cells were reordered); ` +
        "the notebook ran in the submission's order"
    );
  }

  // Deleted locked cells come back after the nearest tracked cell that precedes them in the
  // source and is in the submission (with that cell's trailing student cells), or at the top.
  const present = new Set(planned.flatMap(cell => (cell.gradeId ? [cell.gradeId] : [])));
  const restoredAfter = new Map<string | undefined, PlannedCell[]>();
  let anchor: string | undefined;
  for (const record of assignment.cells) {
    if (present.has(record.gradeId)) {
      anchor = record.gradeId;
      continue;
    }
    if (!record.locked) {
      note(
        findings,
        'answer-deleted',

        record.gradeId,
        `the ${record.solution ? 'answer' : 'graded'} cell "${record.gradeId}" was deleted from the submission`
      );
      continue;
    }
    note(
      findings,
      'deleted',

      record.gradeId,
      `cell "${record.gradeId}" was deleted from the submission; it was restored from the assignment`
    );
    const list = restoredAfter.get(anchor) ?? [];
    list.push({
      submissionIndex: null,
      cellType: record.cellType,
      source: record.source,
      visibleSource: releasedSourceOf(record),
      gradeId: record.gradeId,
      record
    });
    restoredAfter.set(anchor, list);
  }
  const cells: PlannedCell[] = [...(restoredAfter.get(undefined) ?? [])];
  let head: PlannedCell | undefined;
  planned.forEach((cell, i) => {
    if (cell.record) head = cell;
    cells.push(cell);
    const segmentEnds = i + 1 === planned.length || planned[i + 1]!.record !== undefined;
    if (segmentEnds && head) cells.push(...(restoredAfter.get(head.gradeId) ?? []));
  });
  return {
    cells,
    ...findings,
    // the assignment's kernel, never one the submission names (a student does not pick where tests run)
    kernelName: assignment.kernelspec?.name ?? defaultKernel,
    gradedCells: assignment.cells.filter(isScored)
  };
}

/**
 * The graded cells a reordering moved: those outside a longest run that keeps the assignment's
 * order (the smallest explanation, as a diff gives). Quadratic in the assignment's tracked cells.
 */
function outOfOrder(records: SourceCell[]): SourceCell[] {
  const length = records.map(() => 1);
  const previous = records.map(() => -1);
  records.forEach((record, i) => {
    for (let j = 0; j < i; j++) {
      if (records[j]!.index < record.index && length[j]! + 1 > length[i]!) {
        length[i] = length[j]! + 1;
        previous[i] = j;
      }
    }
  });
  const kept = new Set<number>();
  for (let i = length.indexOf(Math.max(0, ...length)); i >= 0; i = previous[i]!) kept.add(i);
  return records.filter((_, i) => !kept.has(i));
}

/**
 * The plan `validate` runs: the notebook exactly as it is (a source with its solutions and hidden
 * tests, or a student version with stubs), its own nbgrader metadata saying what is graded.
 */
export function planAsIs(nb: Notebook, defaultKernel = 'threadline'): GradingPlan {
  const seen = new Set<string>();
  const gradedCells: SourceCell[] = [];
  const cells = nb.cells.map((cell, index): PlannedCell => {
    const source = sourceOf(cell);
    const plain: PlannedCell = { submissionIndex: index, cellType: cell.cell_type, source, visibleSource: source };
    const id = gradeIdOf(cell);
    const meta = cell.metadata.nbgrader;
    if (!id || !meta || seen.has(id) || !(meta.grade || meta.solution || meta.locked || meta.task)) return plain;
    seen.add(id);
    const record: SourceCell = {
      gradeId: id,
      index,
      cellType: cell.cell_type,
      grade: Boolean(meta.grade),
      solution: Boolean(meta.solution),
      locked: Boolean(meta.locked),
      task: Boolean(meta.task),
      points: Number(meta.points ?? 0) || 0,
      source,
      checksum: String(meta.checksum ?? ''),
      releasedChecksum: String(meta.checksum ?? ''),
      hasHiddenTests: false
    };
    if (isScored(record)) gradedCells.push(record);
    return { ...plain, gradeId: id, record };
  });
  return {
    cells,
    notes: new Map(),
    repairs: [],
    kernelName: nb.metadata.kernelspec?.name ?? defaultKernel,
    gradedCells
  };
}
