/**
 * Keeping hidden tests out of what a student sees of a graded cell. Feedback shows such a cell's
 * visible source and its outputs, so its outputs are cleaned too: student code runs inside the
 * test and can read its caller's source (linecache, inspect) and print it or raise it.
 */
import type { ExecuteResult, Output } from '../kernel/kernelClient.js';

const MARK = '[hidden test]';
/** shorter lines ("pass", "else:", ")") say nothing and would mangle ordinary output */
const MIN_LENGTH = 8;

/** The lines of a test cell only the grader runs: in its source, not in its released version. */
export function hiddenLines(source: string, visibleSource: string): string[] {
  const visible = new Set(visibleSource.split('\n').map(line => line.trim()));
  const lines = source
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length >= MIN_LENGTH && !visible.has(line));
  return [...new Set(lines)].sort((a, b) => b.length - a.length);
}

/** Each hidden line as printed raw, inside a Python repr or inside JSON. */
function spellings(lines: string[]): string[] {
  const forms = lines.flatMap(line => [line, line.replace(/\\/g, '\\\\').replace(/'/g, "\\'"), JSON.stringify(line).slice(1, -1)]);
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

function scrub(text: string, forms: string[]): string {
  return forms.reduce((out, form) => out.split(form).join(MARK), text);
}

/**
 * A hidden-test cell's result as a student may see it: no traceback (it quotes the hidden code),
 * no hidden line in any output or error message, and display outputs as text or images only.
 */
export function withoutHiddenTests(result: ExecuteResult, lines: string[]): ExecuteResult {
  const forms = spellings(lines);
  const clean = (text: string) => scrub(text, forms);
  const outputs = result.outputs.map((output): Output => {
    switch (output.output_type) {
      case 'stream':
        return { ...output, text: clean(output.text) };
      case 'error':
        return { ...output, evalue: clean(output.evalue), traceback: [`${output.ename}: ${clean(output.evalue)}`] };
      default: {
        const data: Record<string, unknown> = {};
        for (const [mime, value] of Object.entries(output.data)) {
          if (mime === 'text/plain') data[mime] = Array.isArray(value) ? clean(value.join('')) : clean(String(value));
          else if (mime === 'image/png' || mime === 'image/jpeg') data[mime] = value;
        }
        return { ...output, data, metadata: {} } as Output;
      }
    }
  });
  const error = result.error && { ...result.error, evalue: clean(result.error.evalue), traceback: [] };
  return { ...result, outputs, ...(error ? { error } : {}) };
}
