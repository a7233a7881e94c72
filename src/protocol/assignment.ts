/**
 * The assignment format, nbgrader's: cell metadata schema v3 and the region markers, handled
 * line by line exactly as its ClearSolutions and ClearHiddenTests preprocessors do (a line
 * *containing* the begin delimiter starts a region, a line containing the end delimiter ends
 * it; nesting and unterminated regions are errors). Shared by `threadline release` (Node) and
 * the toolbar's Student preview (browser), so both show the same student version.
 */

/** `metadata.nbgrader` of a cell, schema v3. */
export interface NbgraderMetadata {
  grade?: boolean;
  solution?: boolean;
  locked?: boolean;
  task?: boolean;
  grade_id?: string;
  points?: number;
  checksum?: string;
  cell_type?: string;
  schema_version?: number;
  [key: string]: unknown;
}

export const BEGIN_SOLUTION = 'BEGIN SOLUTION';
export const END_SOLUTION = 'END SOLUTION';
export const BEGIN_HIDDEN_TESTS = 'BEGIN HIDDEN TESTS';
export const END_HIDDEN_TESTS = 'END HIDDEN TESTS';
export const BEGIN_MARK_SCHEME = 'BEGIN MARK SCHEME';
export const END_MARK_SCHEME = 'END MARK SCHEME';

/** nbgrader's default Python stub; other kernels' languages get their nbgrader stubs too. */
export const CODE_STUBS: Record<string, string> = {
  python: '# YOUR CODE HERE\nraise NotImplementedError()',
  R: '# YOUR CODE HERE\nfail()',
  matlab: "% YOUR CODE HERE\nerror('No Answer Given!')",
  octave: "% YOUR CODE HERE\nerror('No Answer Given!')",
  sas: '/* YOUR CODE HERE */\n %notImplemented;',
  java: '// YOUR CODE HERE'
};
export const TEXT_STUB = 'YOUR ANSWER HERE';

export class MarkerError extends Error {
  override readonly name = 'MarkerError';
}

export interface RegionResult {
  source: string;
  /** true when at least one region was found */
  found: boolean;
}

/**
 * Removes every begin…end region of `source`; with `stub`, each region is replaced by the stub's
 * lines indented like the begin line (so a stub inside `async def` or a loop stays valid code).
 */
export function replaceRegions(source: string, begin: string, end: string, stub?: string): RegionResult {
  const stubLines = stub === undefined ? [] : stub.split('\n');
  const out: string[] = [];
  let inside = false;
  let found = false;
  for (const line of source.split('\n')) {
    if (line.includes(begin)) {
      if (inside)
        throw new MarkerError(`nested "${begin}" markers: close the first region with "${end}" before opening another`);
      inside = true;
      found = true;
      const indent = /^\s*/.exec(line)![0];
      for (const stubLine of stubLines) out.push(indent + stubLine);
    } else if (line.includes(end)) {
      inside = false;
    } else if (!inside) {
      out.push(line);
    }
  }
  if (inside) throw new MarkerError(`"${begin}" has no matching "${end}" line`);
  return { source: out.join('\n'), found };
}

/** True when the text contains nbgrader solution markers (an instructor source, not a student version). */
export function hasSolutionMarkers(source: string): boolean {
  return source.includes(BEGIN_SOLUTION) || source.includes(BEGIN_HIDDEN_TESTS);
}
