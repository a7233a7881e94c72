/** The hint after grading: suggested only when the cores mostly idled, with a number of kernels to try. */
import { describe, expect, it } from 'vitest';
import { cpuTimes, idleHint } from '../../../src/grader/commands/idleHint.js';

const at = (busy: number, total: number) => ({ busy, total });

describe('idleHint', () => {
  it('suggests more kernels when the cores mostly waited, in proportion to how idle they were', () => {
    // 2 cores, 60 s: 120 s of CPU time of which 30 s busy (25 %) with 2 kernels -> 2 / 0.25 = 8
    expect(idleHint(at(0, 0), at(30_000, 120_000), 60_000, 2, 2)).toMatch(/busy 25% of the time.*try --jobs 8 /);
    // 40 % busy: 2 / 0.4 = 5
    expect(idleHint(at(1000, 1000), at(49_000, 121_000), 60_000, 2, 2)).toMatch(/try --jobs 5 /);
  });

  it('stays quiet when the cores were busy, the run was short, or the kernels are already many', () => {
    expect(idleHint(at(0, 0), at(90_000, 120_000), 60_000, 2, 2)).toBeUndefined();
    expect(idleHint(at(0, 0), at(1_000, 16_000), 8_000, 2, 2)).toBeUndefined();
    expect(idleHint(at(0, 0), at(10_000, 120_000), 60_000, 8, 2)).toBeUndefined();
  });

  it('reads the machine CPU time, which grows with work', () => {
    const before = cpuTimes();
    const until = Date.now() + 200;
    while (Date.now() < until); // busy for 200 ms
    const after = cpuTimes();
    expect(after.busy - before.busy).toBeGreaterThanOrEqual(100);
    expect(after.total).toBeGreaterThan(before.total);
  });
});
