/**
 * Whether this machine lets the launcher isolate a kernel (namespaces, network included, a root
 * of its own): tried once per Python.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherArgs } from './launcher.js';

const isolationChecked = new Map<string, string | null>();

/**
 * Why kernels of `python` cannot be isolated on this machine (no namespaces for this user, a
 * locked /proc in a container…), or null when they can: the launcher is tried once, and its
 * "kernel" must be PID 1, see its own packages, not see a file of the grader's, and have no
 * network but a loopback that works.
 */
export function isolationProblem(python: string, network = true): string | null {
  const key = `${python}${network ? '' : ' without network'}`;
  const known = isolationChecked.get(key);
  if (known !== undefined) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-isolation-'));
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'hidden tests');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  const sockets = path.join(dir, 'sockets');
  fs.mkdirSync(sockets);
  // without a network: only a loopback, and it works; the sockets' folder is writable
  const check =
    'import os, site, socket, sys; ' +
    'print(os.getpid(), os.path.exists(sys.argv[1]), all(os.path.isdir(p) for p in site.getsitepackages()), ' +
    "not sys.argv[2:] or ([n for _, n in socket.if_nameindex()] == ['lo'] " +
    "and bool(socket.create_server(('127.0.0.1', 0))) and not open(sys.argv[2] + '/w', 'w').close()))";
  const config = { hide: [secret], network, ...(network ? {} : { sockets }), grader: process.pid };
  const args = [...launcherArgs(config), python, '-c', check, secret, ...(network ? [] : [sockets])];
  // minutes: a check that merely ran slow on a loaded machine must not take the isolation away
  const run = spawnSync(python, args, { cwd: work, encoding: 'utf8', timeout: 120_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  const printed = run.stdout?.trim() ?? '';
  const lastError = run.stderr?.trim().split('\n').at(-1);
  const failure = run.error?.message ?? (lastError || `the check printed ${JSON.stringify(printed)}`);
  const problem = printed === '1 False True True' ? null : failure;
  isolationChecked.set(key, problem);
  return problem;
}
