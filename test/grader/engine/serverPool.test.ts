/**
 * The spreading rule on its own (the real servers are in ../servers.test.ts): the least busy server
 * first, a refusing server skipped for the next kernels, the last error when every server refuses.
 */
import { describe, expect, it } from 'vitest';
import type { GradingKernel, KernelFactory } from '../../../src/grader/engine/gradingKernel.js';
import { ServerPoolFactory, type ServerAddress } from '../../../src/grader/engine/serverPool.js';

/** A server stand-in that records its kernels; `refuse` makes its starts fail. */
function server(address: ServerAddress, refuse: Set<string>, log: string[]): KernelFactory {
  return {
    description: address.url,
    start: async () => {
      if (refuse.has(address.url)) throw new Error(`${address.url} refused`);
      log.push(address.url);
      return { cwd: '', dispose: async () => undefined } as unknown as GradingKernel;
    }
  };
}

describe('ServerPoolFactory', () => {
  it('starts each kernel on the server with the fewest running, and counts them per server', async () => {
    const log: string[] = [];
    const pool = new ServerPoolFactory([{ url: 'a' }, { url: 'b' }], undefined, s => server(s, new Set(), log));
    const kernels = await Promise.all([1, 2, 3].map(() => pool.start('threadline', undefined)));
    expect(log).toEqual(['a', 'b', 'a']);
    await kernels[0]!.dispose();
    await kernels[0]!.dispose(); // twice counts once
    // one running on each now: the tie goes to the server that started fewer
    await pool.start('threadline', undefined);
    expect(log.at(-1)).toBe('b');
    expect(pool.spread()).toEqual([
      { url: 'a', kernels: 2 },
      { url: 'b', kernels: 2 }
    ]);
  });

  it('moves to the next server when one refuses, and leaves that one alone afterwards', async () => {
    const log: string[] = [];
    const refuse = new Set(['a']);
    const pool = new ServerPoolFactory([{ url: 'a' }, { url: 'b' }], undefined, s => server(s, refuse, log));
    await pool.start('threadline', undefined);
    refuse.clear();
    await pool.start('threadline', undefined);
    await pool.start('threadline', undefined);
    expect(log).toEqual(['b', 'b', 'b']);
    expect(pool.spread()).toEqual([
      { url: 'a', kernels: 0 },
      { url: 'b', kernels: 3 }
    ]);
  });

  it('fails with the last error when every server refuses', async () => {
    const pool = new ServerPoolFactory([{ url: 'a' }, { url: 'b' }], undefined, s =>
      server(s, new Set(['a', 'b']), [])
    );
    await expect(pool.start('threadline', undefined)).rejects.toThrow('b refused');
  });
});
