/**
 * `grade` spreading submissions over several servers: two real Jupyter Enterprise Gateways (their
 * own venv, .venv-eg) and a real Jupyter Server on 127.0.0.1, plus an address where nothing
 * listens. Every submission gets the grade local kernels give it, every live server takes some,
 * the dead one none (its kernels start elsewhere).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureGatewayVenv,
  freePort,
  startGateway,
  threadlineKernelPath,
  type RunningGateway
} from '../../bench/_enterpriseGateway.js';
import { courseDir, setSource, sourcePath, studentVersion, submission, tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const token = randomBytes(16).toString('hex');
const gateways: RunningGateway[] = [];
let jupyter: ChildProcess | undefined;
let jupyterUrl = '';

beforeAll(async () => {
  ensureGatewayVenv();
  const jupyterPath = threadlineKernelPath(tempDir('tl-servers-jupyter-'));
  for (let i = 0; i < 2; i++)
    gateways.push(await startGateway({ token, cwd: courseDir, jupyterPath, lifetimeSeconds: 600 }));
  const port = await freePort();
  jupyterUrl = `http://127.0.0.1:${port}/`;
  const args = [
    'server',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    '--ServerApp.open_browser=False',
    `--ServerApp.root_dir=${courseDir}`,
    '--ServerApp.shutdown_no_activity_timeout=180',
    ...(process.getuid?.() === 0 ? ['--allow-root'] : [])
  ];
  jupyter = spawn(path.join(root, '.venv', 'bin', 'jupyter'), args, { cwd: courseDir, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${jupyterUrl}api/status`, { headers: { Authorization: `token ${token}` } }).then(
      r => r.ok,
      () => false
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error('jupyter server did not start within 60 s');
    await new Promise(r => setTimeout(r, 250));
  }
}, 600_000);

afterAll(async () => {
  await Promise.all(gateways.map(g => g.stop()));
  jupyter?.kill('SIGTERM');
});

function grade(dir: string, db: string, ...extra: string[]) {
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
      path.join(path.dirname(dir), db),
      '--json',
      ...extra
    ],
    { cwd: root, encoding: 'utf8', timeout: 300_000 }
  );
  expect(result.stdout, result.stderr).toMatch(/^\[/);
  const results = JSON.parse(result.stdout) as {
    student: string;
    score: number;
    status: string;
    grades: Record<string, { score: number }>;
  }[];
  return { results, stderr: result.stderr };
}

describe('grade --servers: kernels spread over Enterprise Gateways and a Jupyter Server', () => {
  it('grades as local kernels do, on every live server, none on the dead one', async () => {
    const work = tempDir('tl-servers-');
    const dir = path.join(work, 'subs');
    const partial = (nb: ReturnType<typeof studentVersion>) =>
      setSource(nb, 'count_words', 'def count_words(text):\n    return 2');
    writeSubmissions(dir, {
      good: submission(),
      stub: studentVersion(),
      partial: submission(partial),
      dies: submission(nb => setSource(nb, 'double', 'import os\ndef double(x):\n    os._exit(1)')),
      good2: submission(),
      stub2: studentVersion()
    });
    const dead = `http://127.0.0.1:${await freePort()}/`;
    const list = path.join(work, 'servers.txt');
    fs.writeFileSync(
      list,
      [
        `# dead first: its kernels must start elsewhere`,
        `${dead} ${token}`,
        ...gateways.map(g => `${g.url} ${token}`),
        ''
      ].join('\n')
    );
    const remote = grade(dir, 'remote.sqlite', '--servers', list, '--server', jupyterUrl, '--token', token);
    const local = grade(dir, 'local.sqlite', '--cwd', courseDir, '--quiet');
    const view = (rs: typeof local.results) => rs.map(r => [r.student, r.status, r.score, r.grades]);
    expect(view(remote.results), remote.stderr).toEqual(view(local.results));
    expect(view(local.results).map(r => r.slice(0, 3))).toEqual([
      ['dies', 'kernel-died', 6],
      ['good', 'ok', 7],
      ['good2', 'ok', 7],
      ['partial', 'ok', 5],
      ['stub', 'ok', 0],
      ['stub2', 'ok', 0]
    ]);
    const spread = /kernels per server: (.*)/.exec(remote.stderr)?.[1] ?? '';
    const counts = new Map(spread.split(', ').map(entry => entry.split(' ') as [string, string]));
    expect(counts.get(dead), spread).toBe('0');
    for (const url of [...gateways.map(g => g.url), jupyterUrl])
      expect(Number(counts.get(url)), spread).toBeGreaterThan(0);
  }, 600_000);
});
