/**
 * The canary line goes into every test a kernel can run with it: first, or after what must come
 * first (a cell magic's line, __future__ imports); the test still runs as written, and the canary
 * is called with its nonce. Only a cell magic whose body is not Python goes without one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalKernel } from '../../src/kernel/localKernel.js';
import { startKernel } from '../../src/kernel/startKernel.js';
import { canaryName, withCanary } from '../../src/grader/sandbox/kernelGuard.js';
import { kernelName } from '../kernel/helpers.js';

const SECRET = 'a-secret-for-this-test';
const NONCE = 'n0nce';

const tests: Record<string, string> = {
  plain: "assert 2 + 2 == 4\nprint('RAN')",
  future: "from __future__ import annotations\ndef f(x: Later) -> int:\n    return 1\nprint('RAN', f(0))",
  docstring_then_future:
    '"""A test."""\n# why\nfrom __future__ import (annotations,\n    generator_stop)\nprint(\'RAN\')',
  line_magic: "%config Completer.use_jedi = False\nprint('RAN')",
  time_magic: "%%time\nx = sum(range(10))\nprint('RAN', x)",
  capture_magic: "%%capture out\nprint('inside')\nimport builtins\nbuiltins.RAN_CAPTURED = True",
  indented: "    x = 1\n    print('RAN', x)"
};

describe('the canary line', () => {
  let kernel: LocalKernel;
  beforeAll(async () => {
    kernel = await startKernel({ kernelName });
    // a stand-in for the guard's canary: says it was called, and with what
    await kernel.execute(`import builtins\nbuiltins.${canaryName(SECRET)} = lambda nonce: print('CANARY', nonce)`);
  }, 60_000);
  afterAll(() => kernel?.shutdown());

  for (const [name, source] of Object.entries(tests)) {
    it(`is called, and the test runs as written: ${name}`, async () => {
      const code = withCanary(source, SECRET, NONCE);
      expect(code).not.toBe(source);
      const result = await kernel.execute(code, { timeoutMs: 30_000 });
      expect(result.status, JSON.stringify(result.error)).toBe('ok');
      const text = result.outputs.map(o => ('text' in o ? o.text : '')).join('');
      if (name === 'capture_magic') {
        // captured output is not shown: the canary ran inside, as the test did
        expect((await kernel.execute('print(RAN_CAPTURED, out.stdout.split())')).outputs[0]).toMatchObject({
          text: `True ['CANARY', '${NONCE}', 'inside']\n`
        });
      } else {
        expect(text).toMatch(new RegExp(`^CANARY ${NONCE}\\n(.|\\n)*RAN`));
      }
    });
  }

  it('leaves a cell magic whose body is not Python as it is', () => {
    const bash = '%%bash\necho RAN';
    expect(withCanary(bash, SECRET, NONCE)).toBe(bash);
  });
});
