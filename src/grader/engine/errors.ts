/** Typed errors of the grader. Each message says what went wrong and what to do about it. */

/** A file that is not a notebook the grader can read (not JSON, not UTF-8, not nbformat 4, too large…). */
export class InvalidNotebookError extends Error {
  override readonly name = 'InvalidNotebookError';
  constructor(
    readonly path: string,
    readonly reason: string
  ) {
    super(`${path}: not a valid notebook: ${reason}`);
  }
}

/** An instructor source whose nbgrader metadata or markers are inconsistent. */
export class AssignmentError extends Error {
  override readonly name = 'AssignmentError';
  constructor(
    readonly path: string,
    readonly reason: string
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Wrong command-line usage; the CLI prints the message and the command's --help hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string
  ) {
    super(message);
  }
}
