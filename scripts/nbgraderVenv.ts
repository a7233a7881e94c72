/**
 * The virtualenv with nbgrader (pinned by bench/requirements-nbgrader.txt), `.venv-bench`: the oracle
 * of the grading benchmark and of the nbgrader drop-in test. Made once, on first use.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface NbgraderVenv {
  dir: string;
  bin: string;
  python: string;
  nbgrader: string;
}

/** The venv, created (python3 -m venv, pip install -r bench/requirements-nbgrader.txt) when missing. */
export function nbgraderVenv(log: (message: string) => void = () => {}): NbgraderVenv {
  const dir = path.join(root, '.venv-bench');
  const bin = path.join(dir, 'bin');
  const venv = { dir, bin, python: path.join(bin, 'python'), nbgrader: path.join(bin, 'nbgrader') };
  if (fs.existsSync(venv.nbgrader)) return venv;
  log('creating .venv-bench with nbgrader (bench/requirements-nbgrader.txt)…');
  const step = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed: ${result.stderr.slice(-2000)}`);
  };
  step('python3', ['-m', 'venv', dir]);
  step(path.join(bin, 'pip'), ['install', '-q', '-r', path.join(root, 'bench', 'requirements-nbgrader.txt')]);
  return venv;
}
