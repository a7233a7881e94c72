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

  it('is left out where something else must come first', () => {
    for (const source of [
      '%%timeline\nawait f()',
      '%time f()',
      'from __future__ import annotations\nassert f(2) == 4'
    ]) {
      expect(withCanary(source, secret, 'n')).toBe(source);
    }
  });
});
