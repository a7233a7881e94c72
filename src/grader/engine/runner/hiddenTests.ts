/**
 * Keeping hidden tests out of what a student sees. Feedback shows each cell's visible source and
 * its outputs, so outputs are cleaned too: student code runs inside the tests and can read its
 * caller's source (linecache, inspect), print it, raise it, or keep it for a later cell.
 */
import type { ExecuteResult, Output } from '../../../kernel/kernelClient.js';

const MARK = '[hidden test]';
/** shorter lines ("pass", "else:", ")") say nothing and would mangle ordinary output */
const MIN_LENGTH = 8;
/** an output line sharing this many characters in a row with a hidden line reveals it */
const WINDOW = 16;

/** The lines of a test cell only the grader runs: in its source, not in its released version. */
export function hiddenLines(source: string, visibleSource: string): string[] {
  const visible = new Set(visibleSource.split('\n').map(line => line.trim()));
  return [...new Set(source.split('\n').map(line => line.trim()))].filter(
    line => line.length >= MIN_LENGTH && !visible.has(line)
  );
}

/** The hidden lines of a notebook, and how to clean any text of them. */
export class HiddenText {
  private readonly windows = new Set<string>();
  private readonly short: string[] = [];

  constructor(lines: string[]) {
    // as printed raw, inside a Python repr or inside JSON
    const spellings = lines.flatMap(line => [
      line,
      line.replace(/\\/g, '\\\\').replace(/'/g, "\\'"),
      JSON.stringify(line).slice(1, -1)
    ]);
    for (const text of new Set(spellings)) {
      if (text.length < WINDOW) this.short.push(text);
      else for (let i = 0; i + WINDOW <= text.length; i++) this.windows.add(text.slice(i, i + WINDOW));
    }
  }

  /** `text` with every line that shows part of a hidden line replaced by a mark. */
  clean(text: string): string {
    if (this.windows.size === 0 && this.short.length === 0) return text;
    return text
      .split('\n')
      .map(line => (this.reveals(line) ? MARK : line))
      .join('\n');
  }

  private reveals(line: string): boolean {
    for (let i = 0; i + WINDOW <= line.length; i++) if (this.windows.has(line.slice(i, i + WINDOW))) return true;
    return this.short.some(text => line.includes(text));
  }
}

/**
 * A cell's result as a student may see it: no text that shows a hidden line; for a cell with
 * hidden tests also no traceback (it quotes the hidden code) and display outputs as text or
 * images only.
 */
export function visibleResult(result: ExecuteResult, hidden: HiddenText, hasHiddenTests: boolean): ExecuteResult {
  const clean = (text: string) => hidden.clean(text);
  const outputs = result.outputs.map((output): Output => {
    switch (output.output_type) {
      case 'stream':
        return { ...output, text: clean(output.text) };
      case 'error':
        return {
          ...output,
          evalue: clean(output.evalue),
          traceback: hasHiddenTests ? [`${output.ename}: ${clean(output.evalue)}`] : output.traceback.map(clean)
        };
      default: {
        const data: Record<string, unknown> = {};
        for (const [mime, value] of Object.entries(output.data)) {
          if (mime === 'image/png' || mime === 'image/jpeg') data[mime] = value;
          else if (typeof value === 'string' || Array.isArray(value)) {
            if (mime === 'text/plain' || !hasHiddenTests)
              data[mime] = clean(Array.isArray(value) ? value.join('') : value);
          } else if (!hasHiddenTests) {
            const json = JSON.stringify(value);
            data[mime] = clean(json) === json ? value : null; // JSON that shows a hidden line
          }
        }
        return { ...output, data, ...(hasHiddenTests ? { metadata: {} } : {}) } as Output;
      }
    }
  });
  const error = result.error && {
    ...result.error,
    evalue: clean(result.error.evalue),
    traceback: hasHiddenTests ? [] : result.error.traceback.map(clean)
  };
  return { ...result, outputs, ...(error ? { error } : {}) };
}
