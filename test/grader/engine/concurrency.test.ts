/** The adaptive limit's decisions, fed readings (no timing), and the pinned limit's summary. */
import { describe, expect, it } from 'vitest';
import { Concurrency, decide, defaultSettings, type Load } from '../../../src/grader/engine/concurrency.js';

const GiB = 1024 ** 3;
const settings = { ...defaultSettings(2), reserveBytes: 1 * GiB, kernelBytes: 150 * 1024 ** 2 };
const idle: Load = { coresUsed: 0.3, delay: 0.2, baseline: 0.2, rssBytes: 0, availableBytes: 16 * GiB };
const busy = { running: 4, backlog: true };

describe('decide', () => {
  it('waits for the baseline before growing', () => {
    expect(decide(2, { running: 2, backlog: true }, { ...idle, baseline: undefined }, settings)).toEqual({
      limit: 2,
      heldBy: 'cpu'
    });
  });

  it('grows fast while the cores mostly idle, by one when they are half busy', () => {
    expect(decide(4, busy, idle, settings).limit).toBe(6);
    expect(decide(4, busy, { ...idle, coresUsed: 1.2 }, settings).limit).toBe(5);
  });

  it('does not grow without submissions waiting, or while kernels are still being taken', () => {
    expect(decide(4, { running: 4, backlog: false }, idle, settings)).toEqual({ limit: 4 });
    expect(decide(4, { running: 3, backlog: true }, idle, settings)).toEqual({ limit: 4 });
  });

  it('holds when the cores are busy or the delay grew, shrinks (never below the cores) when it climbs', () => {
    expect(decide(4, busy, { ...idle, coresUsed: 1.9 }, settings)).toEqual({ limit: 4, heldBy: 'cpu' });
    expect(decide(4, busy, { ...idle, delay: 1.0 }, settings)).toEqual({ limit: 4, heldBy: 'cpu' });
    expect(decide(8, busy, { ...idle, delay: 3 }, settings)).toEqual({ limit: 6, heldBy: 'cpu' });
    expect(decide(2, busy, { ...idle, delay: 30 }, settings)).toEqual({ limit: 2, heldBy: 'cpu' });
  });

  it('measures the delay against what one kernel per core met: other users\u2019 load alone does not hold it', () => {
    const loadedMachine = { ...idle, baseline: 5, delay: 6 };
    expect(decide(4, busy, loadedMachine, settings).limit).toBeGreaterThan(4);
    expect(decide(4, busy, { ...loadedMachine, delay: 20 }, settings).heldBy).toBe('cpu');
  });

  it('stops at the ceiling, and at the memory it can afford per measured kernel', () => {
    expect(decide(16, { running: 16, backlog: true }, idle, settings)).toEqual({ limit: 16, heldBy: 'ceiling' });
    const tight = { ...idle, rssBytes: 4 * 500 * 1024 ** 2, availableBytes: 1 * GiB + 700 * 1024 ** 2 };
    expect(decide(4, busy, tight, settings).limit).toBe(5);
    expect(decide(4, busy, { ...tight, availableBytes: 1 * GiB + 100 * 1024 ** 2 }, settings)).toEqual({
      limit: 4,
      heldBy: 'memory'
    });
    expect(decide(8, busy, { ...idle, availableBytes: GiB / 2 }, settings)).toEqual({ limit: 4, heldBy: 'memory' });
  });
});

describe('Concurrency', () => {
  it('pinned: the limit is --jobs, kernels at once are averaged over time, the reason is the pin', () => {
    const pinned = Concurrency.pinned(3, 2, false);
    expect(pinned.limit).toBe(3);
    pinned.report({ running: 3, backlog: true });
    const summary = pinned.summary();
    expect(summary).toMatchObject({ mode: 'fixed', max: 3, limitedBy: 'pinned' });
    expect(summary.why).toMatch(/--jobs/);
  });

  it('a quiet rerun holds the limit at the cores until released', () => {
    const pinned = Concurrency.pinned(6, 2, false);
    let changes = 0;
    pinned.onChange(() => changes++);
    const release = pinned.holdQuiet();
    expect(pinned.limit).toBe(2);
    release();
    release();
    expect(pinned.limit).toBe(6);
    expect(changes).toBe(1);
  });
});
