/**
 * The output cap (python/threadline_sandbox/output_cap.py): installed in each grading kernel before
 * the guard, it keeps at most so many characters of output per cell and per notebook inside the
 * kernel, so a flood is neither buffered, nor sent, nor parsed, and says once where it cut.
 */
import { sandboxModuleText } from './pythonPackage.js';

/** The code that installs the cap: `cellLimit` and `notebookLimit` characters of output. */
export function outputCapSetup(cellLimit: number, notebookLimit: number): string {
  const args = [cellLimit, notebookLimit].map(limit => JSON.stringify(Math.max(0, Math.floor(limit)))).join(', ');
  return `${sandboxModuleText('output_cap')}\n_threadline_output_cap(${args})\ndel _threadline_output_cap\n`;
}

/** What the kernel writes where it cut a cell's output (the grader adds the same when it cuts). */
export const TRUNCATION_NOTE = /\[output truncated: /;
