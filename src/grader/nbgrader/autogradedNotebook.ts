/**
 * The notebook nbgrader keeps in autograded/<student>/<assignment>/: the submission as it was
 * graded (nbgrader's OverwriteCells and DeduplicateIds: locked and test cells from the source,
 * hidden tests included, nbgrader metadata from the gradebook's source cells, earlier duplicates
 * and unknown ids without metadata, the assignment's kernel) with the outputs of the run. This is
 * what formgrader shows and `nbgrader generate_feedback` renders. Outputs of cells with hidden
 * tests are the redacted ones (no traceback), as Threadline's own feedback has them.
 */
import type { Output } from '../../kernel/kernelClient.js';
import type { Assignment } from '../engine/assignment.js';
import type { GradingPlan } from '../engine/matching.js';
import type { Cell, Notebook } from '../engine/notebook.js';
import type { CellRun } from '../engine/runner/runResult.js';

/** An output as nbformat 4 stores it: no transient display ids, no mime bundle entry left empty by redaction. */
function storedOutput(output: Output): Output {
  if (output.output_type === 'stream' || output.output_type === 'error') return output;
  const data = Object.fromEntries(Object.entries(output.data).filter(([, value]) => value !== null));
  if (output.output_type === 'display_data')
    return { output_type: 'display_data', data, metadata: output.metadata ?? {} };
  return { ...output, data, metadata: output.metadata ?? {} };
}

export function autogradedNotebook(
  assignment: Assignment,
  submission: Notebook,
  plan: GradingPlan,
  runs: CellRun[]
): Notebook {
  const usedIds = new Set<string>();
  let count = 0;
  const cells = plan.cells.map((planned, index): Cell => {
    const record = planned.record;
    const from =
      planned.submissionIndex !== null
        ? submission.cells[planned.submissionIndex]!
        : assignment.release.cells[record!.index]!;
    const cell: Cell = structuredClone(from);
    cell.cell_type = planned.cellType;
    cell.source = planned.source;
    if (record) {
      const released = assignment.release.cells[record.index]!;
      cell.metadata = { ...cell.metadata, nbgrader: { ...released.metadata.nbgrader!, checksum: record.checksum } };
      if (released.metadata.deletable !== undefined) cell.metadata.deletable = released.metadata.deletable;
      if (released.metadata.editable !== undefined) cell.metadata.editable = released.metadata.editable;
    } else delete cell.metadata.nbgrader;
    let id = typeof cell.id === 'string' && cell.id ? cell.id : `cell-${index}`;
    for (let n = 1; usedIds.has(id); n++) id = `${cell.id ?? 'cell'}-${n}`;
    usedIds.add(id);
    cell.id = id;
    if (cell.cell_type === 'code') {
      const run = runs[index];
      cell.outputs = (run?.outputs ?? []).map(storedOutput);
      cell.execution_count = run && run.status !== 'skipped' && run.status !== 'not-run' ? ++count : null;
    } else {
      delete cell.outputs;
      delete cell.execution_count;
    }
    return cell;
  });
  return {
    ...submission,
    nbformat: 4,
    nbformat_minor: Math.max(5, submission.nbformat_minor),
    metadata: {
      ...submission.metadata,
      ...(assignment.release.metadata.kernelspec ? { kernelspec: assignment.release.metadata.kernelspec } : {})
    },
    cells
  };
}
