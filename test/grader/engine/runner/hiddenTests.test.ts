/** What a student sees of outputs: no line of the hidden tests, however printed and in whichever cell. */
import { describe, expect, it } from 'vitest';
import type { ExecuteResult } from '../../../../src/kernel/kernelClient.js';
import { HiddenText, hiddenLines, visibleResult } from '../../../../src/grader/engine/runner/hiddenTests.js';

const visible = 'assert double(2) == 4, "double(2) should be 4"';
const hiddenLine = 'assert double(-3) == -6, "negative numbers"';
const source = `${visible}\n### BEGIN HIDDEN TESTS\n${hiddenLine}\npass\n### END HIDDEN TESTS`;

const result = (over: Partial<ExecuteResult>): ExecuteResult => ({
  status: 'ok',
  executionCount: 3,
  outputs: [],
  incomplete: false,
  droppedBytes: 0,
  elapsedMs: 1,
  ...over
});

describe('hidden tests in outputs', () => {
  const lines = hiddenLines(source, visible);
  const hidden = new HiddenText(lines);

  it('knows the hidden lines: not the visible ones, not the short ones', () => {
    expect(lines).toContain(hiddenLine);
    expect(lines).not.toContain(visible);
    expect(lines).not.toContain('pass');
  });

  it('masks output lines that show a hidden line, whole, in part, in a repr or in JSON, and keeps the rest', () => {
    const printed = [
      `caller: ${hiddenLine}`,
      hiddenLine.slice(1),
      `'${hiddenLine.replace(/"/g, '\\"')}'`,
      JSON.stringify({ src: hiddenLine }),
      visible,
      'plain output'
    ].join('\n');
    expect(hidden.clean(printed).split('\n')).toEqual([
      '[hidden test]',
      '[hidden test]',
      '[hidden test]',
      '[hidden test]',
      visible,
      'plain output'
    ]);
  });

  it('cleans every kind of output; a cell with hidden tests also loses its traceback and rich outputs', () => {
    const raw = result({
      status: 'error',
      outputs: [
        { output_type: 'stream', name: 'stdout', text: `caller: ${hiddenLine}\n` },
        {
          output_type: 'execute_result',
          execution_count: 3,
          metadata: {},
          data: { 'text/plain': hiddenLine, 'text/html': `<b>${hiddenLine}</b>` }
        },
        {
          output_type: 'error',
          ename: 'ValueError',
          evalue: hiddenLine,
          traceback: [`line 3: ${hiddenLine}`, 'line 4: fine']
        }
      ],
      error: { ename: 'ValueError', evalue: hiddenLine, traceback: [`line 3: ${hiddenLine}`] }
    });
    const inHiddenCell = visibleResult(raw, hidden, true);
    expect(JSON.stringify(inHiddenCell)).not.toContain('double(-3)');
    expect(Object.keys((inHiddenCell.outputs[1] as { data: object }).data)).toEqual(['text/plain']);
    expect(inHiddenCell.outputs[2]).toMatchObject({ traceback: ['ValueError: [hidden test]'] });
    // a later, ordinary cell keeps its traceback and rich outputs, cleaned
    const inLaterCell = visibleResult(raw, hidden, false);
    expect(JSON.stringify(inLaterCell)).not.toContain('double(-3)');
    expect(inLaterCell.outputs[2]).toMatchObject({ traceback: ['[hidden test]', 'line 4: fine'] });
    expect(Object.keys((inLaterCell.outputs[1] as { data: object }).data)).toEqual(['text/plain', 'text/html']);
  });
});
