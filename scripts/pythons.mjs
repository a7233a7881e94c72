// The CPython versions besides .venv's (3.11) that the probe and the course are checked on: every 3.12+
// on this machine (pyenv's versions, or python3.1x on PATH), each in a `.venv-py3.X` of its own made from
// requirements-dev.txt (the course's binder/requirements.txt plus the test and build tools) with this
// repository's package installed editable. Used by `npm test` (the probe suite on each) and
// `npm run course:report` (the course on each). Only Node's standard library.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Interpreters whose own garbage collector crashed the probe suite now and then (1 run in about 15, with
 * the C paths and with the pure-Python fallback alike; never on 3.11 or 3.13): a failure there would say
 * nothing about the probe or the course. Newer patch releases of the same line still run.
 */
export const CRASHING = new Map([
  ['3.12.0', 'its garbage collector crashes now and then on its own (see src/probe/README.md)'],
  ['3.12.1', 'its garbage collector crashes now and then on its own (see src/probe/README.md)']
]);

/** `3.X.Y` of an interpreter, or '' when it does not run. */
export function fullVersion(interpreter) {
  const asked = spawnSync(interpreter, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8'
  });
  return asked.status === 0 ? asked.stdout.trim() : '';
}

/** Every CPython 3.12+ on this machine, newest patch release of each minor version: [{ version: '3.13', interpreter }]. */
export function otherPythons() {
  const found = new Map();
  const pyenv = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions');
  const installed = fs.existsSync(pyenv) ? fs.readdirSync(pyenv).filter(name => /^3\.\d+\.\d+$/.test(name)) : [];
  installed.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const version of installed)
    found.set(version.split('.').slice(0, 2).join('.'), path.join(pyenv, version, 'bin', 'python3'));
  for (let minor = 12; minor <= 20; minor++) {
    const onPath = spawnSync('sh', ['-c', `command -v python3.${minor}`], { encoding: 'utf8' }).stdout.trim();
    if (onPath && !found.has(`3.${minor}`)) found.set(`3.${minor}`, onPath);
  }
  return [...found]
    .filter(([version, interpreter]) => Number(version.split('.')[1]) >= 12 && fs.existsSync(interpreter))
    .map(([version, interpreter]) => ({ version, interpreter }));
}

/** What the venv of a version is made from: when it changes, the venv is made again. */
function requirementsDigest() {
  const hash = createHash('sha256');
  for (const file of ['requirements-dev.txt', path.join('binder', 'requirements.txt')])
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)));
  return hash.digest('hex');
}

/**
 * `.venv-py<version>` with requirements-dev.txt installed (made or remade when those pins changed), then this
 * repository's package installed editable (the probe from src/probe with its C hot paths compiled for this
 * Python, the kernel spec in this venv). Returns { venv, python } or { problem } saying what failed.
 */
export function ensureVenv(version, interpreter, log = message => console.log(message)) {
  const venv = path.join(root, `.venv-py${version}`);
  const python = path.join(venv, 'bin', 'python');
  const stamp = path.join(venv, '.threadline-requirements');
  const env = {
    ...process.env,
    PATH: `${path.join(venv, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    SKIP_JUPYTER_BUILDER: '1'
  };
  const pip = (...args) =>
    spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...args], {
      cwd: root,
      stdio: 'inherit',
      env
    });
  const wanted = requirementsDigest();
  const current = fs.existsSync(python) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === wanted;
  if (!current) {
    log(`Python ${version}: making ${path.relative(root, venv)} from requirements-dev.txt…`);
    spawnSync(interpreter, ['-m', 'venv', '--clear', venv], { stdio: 'inherit' });
    // Inside this ESM package Node would misread the venv's CommonJS scripts (see setup.mjs).
    fs.writeFileSync(path.join(venv, 'package.json'), '{ "type": "commonjs" }\n');
    if (pip('-r', 'requirements-dev.txt').status !== 0)
      return { problem: `the pins of requirements-dev.txt could not be installed on Python ${version}` };
    fs.writeFileSync(stamp, `${wanted}\n`);
  }
  if (pip('--no-deps', '--no-build-isolation', '--editable', '.').status !== 0)
    return { problem: `this repository's package could not be installed on Python ${version}` };
  const compiled = spawnSync(python, ['-c', 'import threadline.capture.compiled as c; assert c.speedups'], {
    stdio: 'ignore',
    env
  });
  if (compiled.status !== 0) return { problem: `the probe's C hot paths did not compile on Python ${version}` };
  return { venv, python };
}
