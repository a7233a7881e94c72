/** How the grader wraps a test cell with the guard's canary (no kernel). */
import { describe, expect, it } from 'vitest';
import { canaryName, withCanary } from '../../../src/grader/sandbox/kernelGuard.js';

describe('the canary line', () => {
  const secret = 'a'.repeat(48);

  it('comes first, indented like the test (IPython strips a cell’s common indentation)', () => {
    expect(withCanary('assert f(2) == 4', secret, 'n1')).toBe(`${canaryName(secret)}("n1")\nassert f(2) == 4`);
    expect(withCanary('\n    assert f(2) == 4', secret, 'n2').startsWith(`    ${canaryName(secret)}("n2")\n`)).toBe(
      true
    );
  });

  it('comes right after what must come first: a Python cell magic, __future__ imports', () => {
    const call = `${canaryName(secret)}("n")`;
    expect(withCanary('%time f()', secret, 'n')).toBe(`${call}\n%time f()`);
    expect(withCanary('%%time\nassert f(2) == 4', secret, 'n')).toBe(`%%time\n${call}\nassert f(2) == 4`);
    expect(withCanary('from __future__ import annotations\nassert f(2) == 4', secret, 'n')).toBe(
      `from __future__ import annotations\n${call}\nassert f(2) == 4`
    );
  });

  it('is left out of a cell magic whose body is not Python (or that reads its first line: %%timeline)', () => {
    for (const source of ['%%timeline\nawait f()', '%%bash\necho ok'])
      expect(withCanary(source, secret, 'n')).toBe(source);
  });
});
