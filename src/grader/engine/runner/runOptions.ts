/** How one notebook is run: its time limits, how much output is kept, what it must not read. */

export interface RunOptions {
  /** per cell, ms (default 30 s, nbgrader's default) */
  cellTimeoutMs: number;
  /** whole notebook, ms */
  notebookTimeoutMs: number;
  /** per cell, bytes of output kept (the kernel itself keeps as many characters) */
  maxOutputBytes: number;
  /** per notebook, bytes of output kept from the student's cells (a test cell keeps its own cap) */
  maxNotebookOutputBytes: number;
  /** paths the submission must not read (instructor sources, gradebook) */
  protectedPaths: string[];
  /** called after each cell (progress) */
  onCell?: (done: number, total: number) => void;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  cellTimeoutMs: 30_000,
  notebookTimeoutMs: 600_000,
  maxOutputBytes: 1024 * 1024,
  maxNotebookOutputBytes: 4 * 1024 * 1024,
  protectedPaths: []
};
