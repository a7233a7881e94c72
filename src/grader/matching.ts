/**
 * Matching a submission against its assignment (nbgrader's ClearOutput, DeduplicateIds,
 * OverwriteKernelspec and OverwriteCells, made deterministic where nbgrader is not):
 *
 * - the nbgrader metadata of every tracked cell comes from the source, never from the submission;
 * - locked and test cells are restored from the source (hidden tests included) — always, so a
 *   tampered cell cannot survive; a changed cell type is changed back;
 * - a duplicated grade_id keeps its last copy (as nbgrader); earlier copies run as plain cells;
 *   a split solution cell thus runs all its parts;
 * - a grade_id that the source does not know loses its metadata and runs as a plain cell;
 * - a deleted locked/test cell is put back after the tracked cell that precedes it in the source;
 *   a deleted solution cell is not (its tests fail, with a reason);
 * - tracked cells run in the source's order; the student's own cells move with the tracked cell
 *   they followed, so moving a test above its solution cannot make it fail or pass by accident.
 */
import { isScored, type Assignment, type SourceCell } from './assignment.js';
import { gradeIdOf } from './nbgraderCells.js';
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

export interface GradingPlan {
  cells: PlannedCell[];
  /** per grade_id, what was done to the submission's cell and why */
  notes: Map<string, string[]>;
  kernelName: string;
  /** the assignment's graded cells in source order: each gets a score row */
  gradedCells: SourceCell[];
}

function note(notes: Map<string, string[]>, id: string, text: string): void {
  const list = notes.get(id) ?? [];
  if (!list.includes(text)) list.push(text);
  notes.set(id, list);
}

export function planGrading(assignment: Assignment, submission: Notebook, defaultKernel = 'threadline'): GradingPlan {
  const notes = new Map<string, string[]>();
  const released = assignment.release.cells;

  // DeduplicateIds: keep the last cell of each grade_id
  const lastIndex = new Map<string, number>();
  submission.cells.forEach((cell, index) => {
    const id = gradeIdOf(cell);
    if (id !== undefined && cell.metadata.nbgrader && assignment.byId.has(id)) lastIndex.set(id, index);
  });

  const planned: PlannedCell[] = submission.cells.map((cell, index) => {
    const id = gradeIdOf(cell);
    const source = sourceOf(cell);
    const plain: PlannedCell = { submissionIndex: index, cellType: cell.cell_type, source, visibleSource: source };
    if (id === undefined || !cell.metadata.nbgrader) return plain;
    const record = assignment.byId.get(id);
    if (!record) {
      if (cell.metadata.nbgrader.grade || cell.metadata.nbgrader.solution || cell.metadata.nbgrader.locked) {
        note(notes, id, `cell ${index + 1} claims grade_id "${id}", which the source does not have: it ran as an ordinary cell`);
      }
      return plain;
    }
    if (lastIndex.get(id) !== index) {
      note(notes, id, `grade_id "${id}" appears more than once; the last copy is graded, cell ${index + 1} ran as an ordinary cell`);
      return plain;
    }
    if (cell.cell_type !== record.cellType) {
      note(notes, id, `cell type was changed from ${record.cellType} to ${cell.cell_type}; changed back`);
    }
    if (record.locked) {
      const releasedSource = sourceOf(released[record.index]!);
      if (source !== releasedSource) note(notes, id, 'the locked cell was edited; the original was restored');
      return { submissionIndex: index, cellType: record.cellType, source: record.source, visibleSource: releasedSource, gradeId: id, record };
    }
    return { submissionIndex: index, cellType: record.cellType, source, visibleSource: source, gradeId: id, record };
  });

  // Segments: each tracked cell heads a segment holding the student's cells that follow it.
  type Segment = { order: number; cells: PlannedCell[] };
  const segments: Segment[] = [{ order: -1, cells: [] }];
  for (const cell of planned) {
    if (cell.record) segments.push({ order: cell.record.index, cells: [cell] });
    else segments[segments.length - 1]!.cells.push(cell);
  }
  const present = new Set(planned.filter(cell => cell.record).map(cell => cell.gradeId!));
  const headOrder = segments.slice(1).map(segment => segment.order);
  if (headOrder.some((order, i) => i > 0 && order < headOrder[i - 1]!)) {
    for (const segment of segments.slice(1)) {
      note(notes, segment.cells[0]!.gradeId!, 'graded cells were reordered; they ran in the order of the assignment');
    }
  }
  // Deleted locked cells come back right after the preceding tracked cell of the source.
  for (const record of assignment.cells) {
    if (present.has(record.gradeId)) continue;
    if (!record.locked) {
      note(notes, record.gradeId, `the ${record.solution ? 'answer' : 'graded'} cell "${record.gradeId}" was deleted from the submission`);
      continue;
    }
    note(notes, record.gradeId, `cell "${record.gradeId}" was deleted from the submission; it was restored from the assignment`);
    const releasedSource = sourceOf(released[record.index]!);
    segments.push({
      order: record.index,
      cells: [{ submissionIndex: null, cellType: record.cellType, source: record.source, visibleSource: releasedSource, gradeId: record.gradeId, record }]
    });
  }
  const ordered = [segments[0]!, ...segments.slice(1).sort((a, b) => a.order - b.order)];
  // a stable sort keeps submission order among equal keys; restored cells were pushed last, so
  // they follow nothing of the same order (orders are unique per grade_id)
  return {
    cells: ordered.flatMap(segment => segment.cells),
    notes,
    kernelName: assignment.kernelspec?.name ?? submission.metadata.kernelspec?.name ?? defaultKernel,
    gradedCells: assignment.cells.filter(isScored)
  };
}

/**
 * The plan `validate` runs: the notebook exactly as it is (a source with its solutions and hidden
 * tests, or a student version with stubs), its own nbgrader metadata saying what is graded.
 */
export function planAsIs(nb: Notebook, defaultKernel = 'threadline'): GradingPlan {
  const notes = new Map<string, string[]>();
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
  return { cells, notes, kernelName: nb.metadata.kernelspec?.name ?? defaultKernel, gradedCells };
}
