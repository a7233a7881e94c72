/**
 * The student version of an instructor source, computed in the browser for the preview with the
 * same marker handling as `threadline release` (src/protocol/assignment.ts): stubs indented like
 * the marker, hidden tests removed. Checksums are not needed to look at it.
 */
import {
  BEGIN_HIDDEN_TESTS,
  BEGIN_SOLUTION,
  CODE_STUBS,
  END_HIDDEN_TESTS,
  END_SOLUTION,
  hasSolutionMarkers,
  replaceRegions,
  TEXT_STUB,
  type NbgraderMetadata
} from '../../protocol/assignment.js';

export interface PreviewCell {
  cellType: string;
  source: string;
  gradeId?: string;
  points?: number;
  locked: boolean;
}

/** True when a notebook's text holds solution or hidden-test markers (an instructor source). */
export function isInstructorSource(sources: string[]): boolean {
  return sources.some(hasSolutionMarkers);
}

/** Throws MarkerError (with a message for the instructor) when a cell's markers do not pair up. */
export function studentVersion(cells: { cellType: string; source: string; metadata: unknown }[]): PreviewCell[] {
  return cells.map(cell => {
    const nb: NbgraderMetadata = (cell.metadata as { nbgrader?: NbgraderMetadata } | undefined)?.nbgrader ?? {};
    const stub = cell.cellType === 'code' ? CODE_STUBS.python : TEXT_STUB;
    const solution = replaceRegions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub);
    let text = nb.solution && !solution.found ? stub : solution.source;
    text = replaceRegions(text, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS).source;
    const locked = !nb.solution && Boolean(nb.grade || nb.locked);
    return {
      cellType: cell.cellType,
      source: text,
      gradeId: typeof nb.grade_id === 'string' ? nb.grade_id : undefined,
      points: nb.grade ? Number(nb.points ?? 0) : undefined,
      locked
    };
  });
}
