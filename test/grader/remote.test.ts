/** The remote backend against a real `jupyter server` on 127.0.0.1 with a token. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJupyterServer, type JupyterServer } from '../../bench/_jupyterServer.js';
import { SERVER_START_TIMEOUT_MS } from '../../bench/_serverProcess.js';
import { RemoteKernel } from '../../src/kernel/remoteKernel.js';
import { courseDir, setSource, sourcePath, studentVersion, submission, tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const token = randomBytes(16).toString('hex');
let server: JupyterServer | undefined;
let baseUrl = '';

beforeAll(async () => {
  // stops by itself if the test run is killed; kernels are culled the same way
  server = await startJupyterServer({
    token,
    rootDir: courseDir,
    args: ['--MappingKernelManager.cull_idle_timeout=300']
  });
  baseUrl = server.url;
}, SERVER_START_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await server?.stop();
});

describe('RemoteKernel on a real Jupyter Server', () => {
  it('runs code, collects outputs and errors, times out with an interrupt, restarts and shuts down', async () => {
    const kernel = await RemoteKernel.start({ baseUrl, token, kernelName: 'threadline', interruptGraceMs: 5000 });
    try {
      expect((await kernel.ready()).languageInfo.name).toBe('python');
      const ok = await kernel.execute('import sys\nprint("hi")\nprint("warn", file=sys.stderr)\n6 * 7');
      expect(ok.status).toBe('ok');
      expect(ok.outputs).toEqual([
        { output_type: 'stream', name: 'stdout', text: 'hi\n' },
        { output_type: 'stream', name: 'stderr', text: 'warn\n' },
        expect.objectContaining({
          output_type: 'execute_result',
          data: expect.objectContaining({ 'text/plain': '42' })
        })
      ]);
      const failed = await kernel.execute('1 / 0');
      expect(failed.status).toBe('error');
      expect(failed.error?.ename).toBe('ZeroDivisionError');
      const input = await kernel.execute('input("name? ")');
      expect(input.error?.ename).toMatch(/StdinNotImplementedError/);
      const slow = await kernel.execute('import time\nwhile True:\n    time.sleep(0.05)', { timeoutMs: 1500 });
      expect(slow.status).toBe('timeout');
      expect((await kernel.execute('x = 5')).status).toBe('ok');
      await kernel.restart();
      const fresh = await kernel.execute('x');
      expect(fresh.error?.ename).toBe('NameError');
    } finally {
      await kernel.shutdown();
    }
    expect(kernel.alive).toBe(false);
    const running = (await (
      await fetch(`${baseUrl}api/kernels`, { headers: { Authorization: `token ${token}` } })
    ).json()) as unknown[];
    expect(running).toEqual([]);
  }, 120_000);

  it('starts the kernel in --server-cwd, a folder relative to the server root', async () => {
    const kernel = await RemoteKernel.start({ baseUrl, token, kernelName: 'threadline', path: 'source' });
    try {
      const cwd = await kernel.execute('import os\nprint(os.getcwd())');
      expect(cwd.outputs[0]).toEqual({
        output_type: 'stream',
        name: 'stdout',
        text: `${path.join(courseDir, 'source')}\n`
      });
    } finally {
      await kernel.shutdown();
    }
    // end to end: the source imports helper.py from the course root, so from source/ it cannot
    const validate = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'src', 'grader', 'commands', 'cli.ts'),
          'validate',
          sourcePath,
          '--server',
          baseUrl,
          '--token',
          token,
          '--json',
          ...extra
        ],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 120_000
        }
      );
    expect(validate().status).toBe(0);
    const elsewhere = validate('--server-cwd', 'source');
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stdout).toMatch(/No module named 'helper'/);
  }, 120_000);

  it('rejects a wrong token with a message that says what to check', async () => {
    await expect(RemoteKernel.start({ baseUrl, token: 'wrong', kernelName: 'threadline' })).rejects.toThrow(/token/);
  });

  it('grades with --server: same scores as local, and a dying kernel costs one cell', () => {
    const dir = tempDir('tl-remote-');
    writeSubmissions(dir, {
      good: submission(),
      stub: studentVersion(),
      dies: submission(nb => setSource(nb, 'double', 'import os\ndef double(x):\n    os._exit(1)'))
    });
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'src', 'grader', 'commands', 'cli.ts'),
        'grade',
        '--source',
        sourcePath,
        '--submissions',
        dir,
        '--db',
        path.join(dir, 'gb.sqlite'),
        '--server',
        baseUrl,
        '--token',
        token,
        '--jobs',
        '2',
        '--json',
        '--quiet'
      ],
      { cwd: root, encoding: 'utf8', timeout: 180_000 }
    );
    expect(result.stdout, result.stderr).toMatch(/^\[/);
    const results = JSON.parse(result.stdout) as { student: string; score: number; status: string }[];
    expect(
      results.map(r => [r.student, r.score, r.status]),
      JSON.stringify(results.map(r => (r as { reason?: string }).reason))
    ).toEqual([
      ['dies', 6, 'kernel-died'],
      ['good', 7, 'ok'],
      ['stub', 0, 'ok']
    ]);
    expect(result.status).toBe(1);
  }, 180_000);
});
