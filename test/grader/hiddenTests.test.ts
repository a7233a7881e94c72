/** What a student sees of a hidden-test cell's outputs: no line of the hidden tests, however printed. */
import { describe, expect, it } from 'vitest';
import type { ExecuteResult } from '../../src/kernel/kernelClient.js';
import { hiddenLines, withoutHiddenTests } from '../../src/grader/hiddenTests.js';

const visible = 'assert double(2) == 4, "double(2) should be 4"';
const source = `${visible}\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6, "negative numbers"\npass\n### END HIDDEN TESTS`;

const result = (over: Partial<ExecuteResult>): ExecuteResult => ({ status: 'ok', executionCount: 3, outputs: [], incomplete: false, droppedBytes: 0, elapsedMs: 1, ...over });

describe('hidden tests in outputs', () => {
  const lines = hiddenLines(source, visible);

  it('knows the hidden lines: not the visible ones, not the short ones', () => {
    expect(lines).toContain('assert double(-3) == -6, "negative numbers"');
    expect(lines).not.toContain(visible);
    expect(lines).not.toContain('pass');
  });

  it('removes them from printed text, reprs, JSON, error messages and tracebacks, keeping the rest', () => {
    const hiddenLine = 'assert double(-3) == -6, "negative numbers"';
    const cleaned = withoutHiddenTests(
      result({
        status: 'error',
        outputs: [
          { output_type: 'stream', name: 'stdout', text: `caller: ${hiddenLine}\n${visible}\n` },
          { output_type: 'execute_result', execution_count: 3, metadata: {}, data: { 'text/plain': `'${hiddenLine.replace(/'/g, "\\'")}'`, 'text/html': `<b>${hiddenLine}</b>` } },
          { output_type: 'display_data', metadata: {}, data: { 'text/plain': JSON.stringify({ src: hiddenLine }) } },
          { output_type: 'error', ename: 'ValueError', evalue: hiddenLine, traceback: [`line 3: ${hiddenLine}`] }
        ],
        error: { ename: 'ValueError', evalue: hiddenLine, traceback: [`line 3: ${hiddenLine}`] }
      }),
      lines
    );
    const text = JSON.stringify(cleaned);
    expect(text).not.toContain('double(-3)');
    expect(text).toContain('[hidden test]');
    expect(text).toContain('double(2) == 4');
    expect(cleaned.outputs[1]).toMatchObject({ data: { 'text/plain': expect.any(String) } });
    expect(Object.keys((cleaned.outputs[1] as { data: object }).data)).toEqual(['text/plain']);
    expect(cleaned.error?.evalue).toBe('[hidden test]');
  });
});
