/** Start, death, restart, shutdown and clean-up of real kernels. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelDiedError, KernelShutdownError, KernelStartError, NoSuchKernelError } from '../../src/kernel/errors.js';
import { LocalKernel } from '../../src/kernel/localKernel.js';
import { getKernelSpec } from '../../src/kernel/kernelSpec.js';
import { startKernel } from '../../src/kernel/startKernel.js';
import {
  eventually,
  kernelName,
  processExists,
  processGroupMembers,
  root,
  socketFdCount,
  venvPython
} from './helpers.js';

/** Resolves with what `p` settles to, or rejects if it takes longer than `ms` (a hang guard, not a timing test). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms)))
  ]).finally(() => clearTimeout(timer));
}

async function settle<T>(p: Promise<T>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return e;
  }
}

describe('kernel lifecycle', () => {
  it('shutdown leaves no process (not even children), no connection file and no sockets', async () => {
    // warm up zeromq's context so its own long-lived descriptors are not counted as leaks
    await (await LocalKernel.start({ kernelName })).shutdown();
    const socketsBefore = socketFdCount();
    const kernel = await LocalKernel.start({ kernelName });
    const pid = kernel.pid!;
    const file = kernel.connectionFilePath!;
    const r = await kernel.execute("import subprocess\n_child = subprocess.Popen(['sleep', '300'])\nprint(_child.pid)");
    const childPid = Number((r.outputs[0] as { text: string }).text);
    expect(processExists(pid)).toBe(true);
    expect(processExists(childPid)).toBe(true);
    expect(processGroupMembers(pid)).toEqual(expect.arrayContaining([pid, childPid]));
    expect(fs.existsSync(file)).toBe(true);

    await kernel.shutdown();
    expect(kernel.alive).toBe(false);
    expect(await eventually(() => processGroupMembers(pid).length === 0)).toBe(true);
    expect(processExists(pid)).toBe(false);
    expect(processExists(childPid)).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(await eventually(() => socketFdCount() <= socketsBefore)).toBe(true);
    await expect(kernel.execute('1')).rejects.toBeInstanceOf(KernelShutdownError);
    await kernel.shutdown(); // idempotent
  });

  it.each(['process.exit', 'SIGTERM', 'SIGINT'] as const)(
    'kills kernels and removes their files when Node ends by %s without shutting them down',
    async how => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-exit-'));
      try {
        const script = path.join(dir, 'orphan.mts');
        fs.writeFileSync(
          script,
          [
            `import { LocalKernel } from ${JSON.stringify(path.join(root, 'src', 'kernel', 'localKernel.ts'))};`,
            `const k = await LocalKernel.start({ kernelName: ${JSON.stringify(kernelName)} });`,
            "await k.execute(\"import subprocess; subprocess.Popen(['sleep', '300'])\");",
            'console.log(JSON.stringify({ pid: k.pid, file: k.connectionFilePath }));',
            how === 'process.exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000); // wait to be signalled'
          ].join('\n')
        );
        const child = spawn(process.execPath, ['--import', 'tsx', script], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe']
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>(resolve =>
          child.once('exit', (code, signal) => resolve([code, signal]))
        );
        const line = await within(
          new Promise<string>((resolve, reject) => {
            createInterface({ input: child.stdout }).once('line', resolve);
            void exited.then(() => reject(new Error(`orphan script ended early: ${stderr}`)));
          }),
          90_000,
          'orphan script start'
        );
        const { pid, file } = JSON.parse(line) as { pid: number; file: string };
        if (how !== 'process.exit') {
          expect(processGroupMembers(pid).length).toBeGreaterThanOrEqual(2); // kernel + its sleep
          child.kill(how);
        }
        const [code, signal] = await exited;
        // a signal is re-raised after the clean-up, so the process still dies of it
        expect(how === 'process.exit' ? code : signal).toBe(how === 'process.exit' ? 0 : how);
        expect(await eventually(() => processGroupMembers(pid).length === 0)).toBe(true);
        expect(fs.existsSync(file)).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  );

  it('reports kill -9 mid-cell as KernelDiedError, and restart() gives a fresh kernel in the same cwd and env', async () => {
    const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cwd-')));
    const kernel = await startKernel({ kernelName, cwd, env: { THREADLINE_TEST_VAR: 'from-the-test' } });
    const where = "import os; print(os.getcwd()); print(os.environ['THREADLINE_TEST_VAR'])";
    const expected = [{ output_type: 'stream', name: 'stdout', text: `${cwd}\nfrom-the-test\n` }];
    try {
      expect((await kernel.execute(where)).outputs).toEqual(expected);
      const deaths: Error[] = [];
      kernel.onDeath(e => deaths.push(e));
      await kernel.execute('x = 1');
      const running = kernel.execute("import time\nprint('busy', flush=True)\ntime.sleep(60)");
      await new Promise(r => setTimeout(r, 500));
      const oldPid = kernel.pid!;
      process.kill(oldPid, 'SIGKILL');
      const error = await within(settle(running), 10_000, 'execute after kill -9');
      expect(error).toBeInstanceOf(KernelDiedError);
      expect((error as KernelDiedError).signal).toBe('SIGKILL');
      expect((error as Error).message).toMatch(/restart\(\)/);
      expect(kernel.alive).toBe(false);
      expect(deaths).toHaveLength(1);
      await expect(kernel.execute('1')).rejects.toBeInstanceOf(KernelDiedError);

      await kernel.restart();
      expect(kernel.alive).toBe(true);
      expect(kernel.pid).not.toBe(oldPid);
      const r = await kernel.execute('print(1 + 1)\nprint("x" in globals())');
      expect(r.status).toBe('ok');
      expect((r.outputs[0] as { text: string }).text).toBe('2\nFalse\n');
      expect((await kernel.execute(where)).outputs).toEqual(expected);
    } finally {
      await kernel.shutdown();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('restart() rejects pending work and relaunches on new ports when the old ones are taken', async () => {
    const kernel = await LocalKernel.start({ kernelName });
    const blocker = net.createServer();
    try {
      const pending = settle(kernel.execute('import time; time.sleep(60)'));
      process.kill(kernel.pid!, 'SIGKILL');
      expect(await pending).toBeInstanceOf(KernelDiedError);
      const oldShell = kernel.connectionInfo.shell_port;
      await new Promise<void>(resolve => blocker.listen(oldShell, '127.0.0.1', () => resolve()));
      await kernel.restart();
      expect(kernel.connectionInfo.shell_port).not.toBe(oldShell);
      expect((await kernel.execute('print("ok")')).outputs).toEqual([
        { output_type: 'stream', name: 'stdout', text: 'ok\n' }
      ]);

      // a restart of a live kernel: the running cell is rejected, not left hanging
      const running = settle(kernel.execute('import time; time.sleep(60)'));
      await kernel.restart();
      expect(await running).toBeInstanceOf(KernelDiedError);
      expect((await kernel.execute('1 + 1')).status).toBe('ok');
    } finally {
      blocker.close();
      await kernel.shutdown();
    }
  });

  it('watches a kernel it did not start by heartbeat and reports its death', async () => {
    const owner = await LocalKernel.start({ kernelName });
    try {
      const client = await LocalKernel.connect(owner.connectionFilePath!);
      try {
        const r = await client.execute('print("via second client")');
        expect((r.outputs[0] as { text: string }).text).toBe('via second client\n');
        // a client that only disconnects leaves the kernel running for its owner
        const passer = await LocalKernel.connect(owner.connectionFilePath!);
        await passer.disconnect();
        expect(passer.alive).toBe(false);
        expect((await owner.execute('print("owner still served")')).outputs).toEqual([
          { output_type: 'stream', name: 'stdout', text: 'owner still served\n' }
        ]);
        const deaths: Error[] = [];
        client.onDeath(e => deaths.push(e));
        const running = settle(client.execute('import time; time.sleep(60)'));
        await new Promise(resolve => setTimeout(resolve, 300));
        process.kill(owner.pid!, 'SIGKILL');
        const error = await within(running, 10_000, 'heartbeat death detection');
        expect(error).toBeInstanceOf(KernelDiedError);
        expect((error as Error).message).toMatch(/heartbeat/);
        expect(deaths).toHaveLength(1);
        expect(client.alive).toBe(false);
      } finally {
        await client.shutdown();
      }
    } finally {
      await owner.shutdown();
    }
  });

  it('attaches to a kernel started by jupyter_client over ipc transport', async () => {
    const script = [
      'import shutil, sys, tempfile',
      'from jupyter_client.manager import KernelManager',
      `km = KernelManager(kernel_name=${JSON.stringify(kernelName)}, transport='ipc')`,
      'tmp = tempfile.mkdtemp()',
      "km.ip = tmp + '/k'",
      'km.start_kernel()',
      'print(km.connection_file, flush=True)',
      'sys.stdin.read()',
      'km.shutdown_kernel(now=True)',
      'shutil.rmtree(tmp, ignore_errors=True)'
    ].join('\n');
    const owner = spawn(venvPython, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const file = await new Promise<string>((resolve, reject) => {
        createInterface({ input: owner.stdout }).once('line', resolve);
        owner.once('exit', code => reject(new Error(`jupyter_client owner exited with ${code}`)));
      });
      const client = await LocalKernel.connect(file);
      try {
        expect(client.connectionInfo.transport).toBe('ipc');
        const r = await client.execute('print(6 * 7)');
        expect(r.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }]);
      } finally {
        await client.disconnect();
      }
    } finally {
      if (owner.exitCode === null && owner.signalCode === null) {
        const exited = new Promise(resolve => owner.once('exit', resolve));
        owner.stdin.end();
        await exited;
      }
    }
  });

  it("interrupts by interrupt_request when the spec's interrupt_mode is message", async () => {
    const spec = { ...getKernelSpec(kernelName), interruptMode: 'message' as const };
    const kernel = await LocalKernel.start({ spec });
    try {
      const r = await kernel.execute('import time; time.sleep(60)', { timeoutMs: 1000 });
      expect(r.status).toBe('timeout');
      expect(r.outputs.some(o => o.output_type === 'error' && o.ename === 'KeyboardInterrupt')).toBe(true);
      expect((await kernel.execute('print("next")')).outputs).toEqual([
        { output_type: 'stream', name: 'stdout', text: 'next\n' }
      ]);
    } finally {
      await kernel.shutdown();
    }
  });

  it('explains start failures: unknown spec, missing executable, early exit, no readiness', async () => {
    await expect(startKernel({ kernelName: 'no-such-kernel' })).rejects.toBeInstanceOf(NoSuchKernelError);

    const base = getKernelSpec(kernelName);
    const missing = await settle(
      LocalKernel.start({ spec: { ...base, argv: ['/nonexistent/python', '-f', '{connection_file}'] } })
    );
    expect(missing).toBeInstanceOf(KernelStartError);
    expect((missing as Error).message).toContain('/nonexistent/python');

    const crash = await settle(
      LocalKernel.start({
        spec: { ...base, argv: [venvPython, '-c', "import sys; sys.stderr.write('boom at start\\n'); sys.exit(3)"] }
      })
    );
    expect(crash).toBeInstanceOf(KernelStartError);
    expect((crash as Error).message).toContain('code 3');
    expect((crash as Error).message).toContain('boom at start');

    const silent = await settle(
      LocalKernel.start({
        spec: { ...base, argv: [venvPython, '-c', 'import time; time.sleep(60)'] },
        startTimeoutMs: 1500
      })
    );
    expect(silent).toBeInstanceOf(KernelStartError);
    expect((silent as Error).message).toMatch(/did not become ready/);
  });
});
