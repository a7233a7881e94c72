/**
 * Grading kernels have no network by default (a network namespace of their own, ZeroMQ over ipc):
 * a submission cannot reach a service on this machine's 127.0.0.1, while its own loopback works;
 * `--allow-network` gives the network back.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolationProblem } from '../../src/grader/sandbox/isolation.js';
import { venvPython } from '../kernel/helpers.js';
import { courseDir, setSource, sourcePath, submission, tempDir, writeSubmissions } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'src', 'grader', 'commands', 'cli.ts');
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function threadline(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', tsx, cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

/** A submission that answers right only when it could not reach `port` on the grader's 127.0.0.1. */
function probing(port: number) {
  return submission(nb =>
    setSource(
      nb,
      'double',
      [
        'import socket',
        'def _reaches(port):',
        '    try:',
        "        socket.create_connection(('127.0.0.1', port), timeout=5).close()",
        '        return True',
        '    except OSError:',
        '        return False',
        `REACHED = _reaches(${port})`,
        "own = socket.create_server(('127.0.0.1', 0))",
        'OWN_LOOPBACK = _reaches(own.getsockname()[1])',
        "print('REACHED', REACHED, 'OWN', OWN_LOOPBACK)",
        'def double(x):',
        '    return 2 * x + (1 if REACHED or not OWN_LOOPBACK else 0)'
      ].join('\n')
    )
  );
}

describe.skipIf(isolationProblem(venvPython, false) !== null)('grading kernels without a network', () => {
  const connections: string[] = [];
  const server = net.createServer(socket => {
    connections.push(String(socket.remotePort));
    socket.destroy();
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

  async function grade(...flags: string[]) {
    const dir = tempDir('tl-network-');
    writeSubmissions(dir, { probe: probing(port) });
    const db = path.join(dir, 'gradebook.sqlite');
    const run = await threadline([
      'grade',
      '--source',
      sourcePath,
      '--submissions',
      dir,
      '--db',
      db,
      '--cwd',
      courseDir,
      '--json',
      ...flags
    ]);
    const [result] = JSON.parse(run.stdout || '[]') as { score: number; grades: Record<string, { score: number }> }[];
    return { run, result };
  }

  it('cannot connect to a listener on 127.0.0.1 by default, its own loopback works', async () => {
    const { run, result } = await grade();
    expect(result?.grades.test_double?.score, run.stderr).toBe(1);
    expect(result?.score).toBe(7);
    expect(connections).toEqual([]);
    expect(run.stderr).not.toContain('warning: kernels keep the network');
  }, 120_000);

  it('connects with --allow-network', async () => {
    const { run, result } = await grade('--allow-network');
    expect(result?.grades.test_double?.score, run.stderr).toBe(0);
    expect(connections.length).toBe(1);
  }, 120_000);

  it('says in one line when the kernels keep the network', async () => {
    const { run } = await grade('--no-limits');
    expect(run.stderr).toMatch(/^warning: kernels keep the network \(kernels without limits are not isolated\)/m);
  }, 120_000);
});
