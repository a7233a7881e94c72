/** Whether this machine lets the launcher isolate a kernel (namespaces, a root of its own): tried once per Python. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherArgs } from './launcher.js';

const isolationChecked = new Map<string, string | null>();

/**
 * Why kernels of `python` cannot be isolated on this machine (no namespaces for this user, a
 * locked /proc in a container…), or null when they can: the launcher is tried once, and its
 * "kernel" must be PID 1, see its own packages and not see a file of the grader's.
 */
export function isolationProblem(python: string): string | null {
  const known = isolationChecked.get(python);
  if (known !== undefined) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-isolation-'));
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'hidden tests');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  const check =
    'import os, site, sys; ' +
    'print(os.getpid(), os.path.exists(sys.argv[1]), all(os.path.isdir(p) for p in site.getsitepackages()))';
  const args = [...launcherArgs({ hide: [secret], grader: process.pid }), python, '-c', check, secret];
  const run = spawnSync(python, args, { cwd: work, encoding: 'utf8', timeout: 20_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  const printed = run.stdout?.trim() ?? '';
  const lastError = run.stderr?.trim().split('\n').at(-1);
  const failure = run.error?.message ?? (lastError || `the check printed ${JSON.stringify(printed)}`);
  const problem = printed === '1 False True' ? null : failure;
  isolationChecked.set(python, problem);
  return problem;
}
