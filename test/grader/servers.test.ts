/**
 * `grade` spreading submissions over several servers: two real Jupyter Enterprise Gateways (their
 * own venv, .venv-eg) and a real Jupyter Server on 127.0.0.1, plus an address where nothing
 * listens. Every submission gets the grade local kernels give it, every live server takes some,
 * the dead one none (its kernels start elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureGatewayVenv,
  startGateway,
  threadlineKernelPath,
  type RunningGateway
} from '../../bench/_enterpriseGateway.js';
import { startJupyterServer, type JupyterServer } from '../../bench/_jupyterServer.js';
import { SERVER_START_TIMEOUT_MS } from '../../bench/_serverProcess.js';
import { RemoteKernel } from '../../src/kernel/remoteKernel.js';
import { courseDir, setSource, sourcePath, studentVersion, submission, tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const token = randomBytes(16).toString('hex');
const gateways: RunningGateway[] = [];
let jupyter: JupyterServer | undefined;
/** a gateway that refuses kernels to the user running the tests */
let refusing: RunningGateway | undefined;
/**
 * An address where nothing listens: port 1 (tcpmux) is reserved and only root could bind it, so,
 * unlike a port found free a moment ago, no other process can start listening there meanwhile.
 * (A listener of ours that drops connections would not do: while spawnSync runs the grader, this
 * process accepts nothing and the grader's requests would hang.)
 */
const deadUrl = 'http://127.0.0.1:1/';

beforeAll(async () => {
  ensureGatewayVenv();
  const jupyterPath = threadlineKernelPath(tempDir('tl-servers-jupyter-'));
  const started = await Promise.allSettled([
    startGateway({ token, cwd: courseDir, jupyterPath, lifetimeSeconds: 900 }),
    startGateway({ token, cwd: courseDir, jupyterPath, lifetimeSeconds: 900 }),
    startJupyterServer({ token, rootDir: courseDir }),
    startGateway({ token, cwd: courseDir, jupyterPath, lifetimeSeconds: 900, unauthorizedUser: os.userInfo().username })
  ]);
  for (const outcome of started.slice(0, 2))
    if (outcome.status === 'fulfilled') gateways.push(outcome.value as RunningGateway);
  if (started[2]!.status === 'fulfilled') jupyter = started[2].value as JupyterServer;
  if (started[3]!.status === 'fulfilled') refusing = started[3].value as RunningGateway;
  const failed = started.find(outcome => outcome.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}, SERVER_START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await Promise.all([...gateways.map(g => g.stop()), jupyter?.stop(), refusing?.stop()]);
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
    const list = path.join(work, 'servers.txt');
    fs.writeFileSync(
      list,
      [
        `# dead first: its kernels must start elsewhere`,
        `${deadUrl} ${token}`,
        ...gateways.map(g => `${g.url} ${token}`),
        ''
      ].join('\n')
    );
    const remote = grade(dir, 'remote.sqlite', '--servers', list, '--server', jupyter!.url, '--token', token);
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
    expect(counts.get(deadUrl), spread).toBe('0');
    for (const url of [...gateways.map(g => g.url), jupyter!.url])
      expect(Number(counts.get(url)), spread).toBeGreaterThan(0);
  }, 600_000);

  it("says why a gateway refused the kernel, in the gateway's words, and what to do", async () => {
    // Enterprise Gateway gives its reason in the status line only, with an empty message
    await expect(RemoteKernel.start({ baseUrl: refusing!.url, token, kernelName: 'threadline' })).rejects.toThrow(
      new RegExp(
        `answered 403: User '${os.userInfo().username}' is not authorized to start kernel .*` +
          'change them there, or grade on another server'
      )
    );
  });
});
