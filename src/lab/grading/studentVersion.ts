/**
 * The student version of an instructor source, computed in the browser for the preview: nbgrader's
 * markers handled line by line as `threadline release` does (stubs indented like the marker,
 * hidden tests removed, outputs cleared). Checksums are not needed to look at it.
 */

export interface PreviewCell {
  cellType: string;
  source: string;
  gradeId?: string;
  points?: number;
  locked: boolean;
}

const CODE_STUB = ['# YOUR CODE HERE', 'raise NotImplementedError()'];
const TEXT_STUB = ['YOUR ANSWER HERE'];

function replaceRegion(source: string, begin: string, end: string, stub: string[] | null): { text: string; found: boolean } {
  const out: string[] = [];
  let inside = false;
  let found = false;
  for (const line of source.split('\n')) {
    if (line.includes(begin)) {
      inside = true;
      found = true;
      const indent = /^\s*/.exec(line)![0];
      for (const stubLine of stub ?? []) out.push(indent + stubLine);
    } else if (line.includes(end)) {
      inside = false;
    } else if (!inside) {
      out.push(line);
    }
  }
  return { text: out.join('\n'), found };
}

/** True when a notebook's text holds solution or hidden-test markers (an instructor source). */
export function hasSolutionMarkers(sources: string[]): boolean {
  return sources.some(source => source.includes('BEGIN SOLUTION') || source.includes('BEGIN HIDDEN TESTS'));
}

export function studentVersion(cells: { cellType: string; source: string; metadata: unknown }[]): PreviewCell[] {
  return cells.map(cell => {
    const nb = (cell.metadata as { nbgrader?: Record<string, unknown> } | undefined)?.nbgrader ?? {};
    const stub = cell.cellType === 'code' ? CODE_STUB : TEXT_STUB;
    let { text, found } = replaceRegion(cell.source, 'BEGIN SOLUTION', 'END SOLUTION', stub);
    if (nb.solution && !found) text = stub.join('\n');
    text = replaceRegion(text, 'BEGIN HIDDEN TESTS', 'END HIDDEN TESTS', null).text;
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
