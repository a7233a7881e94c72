/** Errors the extension shows to people: each message says what went wrong and what to do. */

/** The payload is not a Threadline trace (missing or inconsistent tables). */
export class TraceFormatError extends Error {
  constructor(detail: string) {
    super(
      `This Threadline trace could not be read: ${detail}. ` +
        'Re-run the cell to record it again; if it keeps happening, the probe and the extension are out of step.'
    );
    this.name = 'TraceFormatError';
  }
}

/** The payload was written by a newer probe than this extension understands. */
export class TraceVersionError extends Error {
  constructor(
    readonly found: unknown,
    readonly supported: number
  ) {
    super(
      `This trace uses schema version ${String(found)}, but this Threadline extension reads version ${supported}. ` +
        'Update the extension (pip/npm install the same Threadline version as the kernel) and reload the page.'
    );
    this.name = 'TraceVersionError';
  }
}
