/** The client against a kernel that is not ipykernel and breaks the rules on request. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKernel } from '../../src/kernel/localKernel.js';
import type { KernelSpec } from '../../src/kernel/kernelSpec.js';
import { eventually, processExists, root, venvPython } from './helpers.js';

const spec: KernelSpec = {
  name: 'misbehaving',
  resourceDir: path.join(root, 'test', 'kernel', 'fixtures'),
  argv: [venvPython, '{resource_dir}/misbehaving_kernel.py', '{connection_file}'],
  displayName: 'Misbehaving',
  language: 'python',
  interruptMode: 'message',
  env: {},
  metadata: {}
};

let kernel: LocalKernel;
beforeAll(async () => {
  kernel = await LocalKernel.start({ spec, idleWaitMs: 1000 });
});
afterAll(async () => {
  await kernel?.shutdown();
});

describe('a kernel other than ipykernel', () => {
  it('runs code and reports the kernel info it gives', async () => {
    expect((await kernel.ready()).implementation).toBe('misbehaving');
    const r = await kernel.execute('hello');
    expect(r).toMatchObject({
      status: 'ok',
      incomplete: false,
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'hello\n' }]
    });
  });

  it('flags output as incomplete when the idle status never comes, instead of hanging', async () => {
    const r = await kernel.execute('no-idle');
    expect(r.status).toBe('ok');
    expect(r.incomplete).toBe(true);
    expect(r.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'no-idle\n' }]);
    expect((await kernel.execute('after')).incomplete).toBe(false);
  });

  it('does not let output that keeps coming after the reply extend the wait for idle', async () => {
    const started = Date.now();
    const r = await kernel.execute('chatter');
    // the kernel prints for 20 s; the wait for idle (1 s here) is not restarted by each output
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.incomplete).toBe(true);
  });

  it('reports an error, not success, when idle comes but the reply never does', async () => {
    const r = await kernel.execute('idle-no-reply');
    expect(r.status).toBe('error');
    expect(r.error?.ename).toBe('NoReply');
    expect(r.incomplete).toBe(true);
  });

  it('ignores a forged execute_reply on the shell channel and counts it', async () => {
    const before = kernel.stats.badSignature;
    const r = await kernel.execute('forged-reply');
    expect(r.status).toBe('ok');
    expect(r.executionCount).not.toBe(999);
    expect(kernel.stats.badSignature - before).toBe(1);
  });

  it('does not mistake a slow heartbeat for death, but notices a dead one', async () => {
    const owner = await LocalKernel.start({ spec, env: { MISBEHAVING_HB_DELAY: '0.35' } });
    try {
      const client = await LocalKernel.connect(owner.connectionFilePath!);
      try {
        await new Promise(r => setTimeout(r, 2500));
        expect(client.alive).toBe(true);
        expect((await client.execute('still-here')).status).toBe('ok');
        const died = new Promise<Error>(resolve => client.onDeath(resolve));
        process.kill(owner.pid!, 'SIGKILL');
        expect((await died).message).toMatch(/heartbeat/);
      } finally {
        await client.disconnect();
      }
    } finally {
      await owner.shutdown();
    }
  });

  it('escalates to SIGKILL for a kernel that ignores shutdown_request and SIGTERM', async () => {
    const stubborn = await LocalKernel.start({ spec, env: { MISBEHAVING_STUBBORN: '1' }, shutdownWaitMs: 500 });
    const pid = stubborn.pid!;
    const file = stubborn.connectionFilePath!;
    await stubborn.shutdown();
    expect(await eventually(() => !processExists(pid))).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('shuts down through shutdown_request', async () => {
    const pid = kernel.pid!;
    await kernel.shutdown();
    expect(kernel.alive).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
