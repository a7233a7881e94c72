#!/usr/bin/env node
// `npm test [-- vitest filters]`: lint (scripts/lint.mjs), every vitest test, then the probe's pytest
// suite (twice, see below), then one closing line `tests: N passed, N failed` that sums them all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const env = { ...process.env, PATH: `${path.join(root, '.venv', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
const filters = process.argv.slice(2);

let passed = 0;
let failed = 0;

// Lint and the layout's rules first (a whole run only): one check, counted like a test.
if (filters.length === 0) {
  const lint = spawnSync(process.execPath, [path.join(root, 'scripts', 'lint.mjs')], {
    cwd: root,
    stdio: 'inherit',
    env
  });
  if (lint.status === 0) passed += 1;
  else failed += 1;
}

const vitestReport = path.join(artifacts, 'vitest.json');
fs.rmSync(vitestReport, { force: true });
const vitest = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${vitestReport}`,
    ...filters
  ],
  { cwd: root, stdio: 'inherit', env }
);

if (fs.existsSync(vitestReport)) {
  const report = JSON.parse(fs.readFileSync(vitestReport, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (vitest.status !== 0 && report.numFailedTests === 0 ? 1 : 0);
} else if (vitest.status !== 0) {
  failed += 1;
}

// The probe suite runs twice: with its C hot paths, and with their pure-Python twins (the
// fallback where no compiler was found).
const pytestDir = path.join(root, 'test', 'probe');
// CPython's own concurrency suites under a trace (minutes) run once, in the first run: with the C hot
// paths users get, on the course's Python. The other runs check the probe's own tests.
const CPYTHON_SUITES = path.join(pytestDir, 'test_cpython_suites.py');

function pytest(
  name,
  extraEnv,
  python = path.join(root, '.venv', 'bin', 'python'),
  extraArgs = [`--ignore=${CPYTHON_SUITES}`]
) {
  const junit = path.join(artifacts, `${name}.xml`);
  fs.rmSync(junit, { force: true });
  const run = spawnSync(python, ['-m', 'pytest', '-q', pytestDir, `--junitxml=${junit}`, ...extraArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, ...extraEnv }
  });
  if (fs.existsSync(junit)) {
    const xml = fs.readFileSync(junit, 'utf8');
    const count = key => Number((xml.match(new RegExp(`<testsuite [^>]*\\b${key}="(\\d+)"`)) ?? [])[1] ?? 0);
    const bad = count('failures') + count('errors');
    passed += count('tests') - bad - count('skipped');
    failed += bad;
  } else if (run.status !== 0 && run.status !== 5) {
    failed += 1;
  }
}
// Then, with its C hot paths, under every other CPython 3.12+ on this machine (pyenv's, or
// python3.1x on PATH): the probe leans on asyncio and interpreter internals that change between
// versions. Each gets a venv of the test tools, pinned by requirements-dev.txt.
function otherPythons() {
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
  return [...found].filter(([version]) => Number(version.split('.')[1]) >= 12 && fs.existsSync(found.get(version)));
}

// Interpreters whose own garbage collector crashed this suite now and then (1 run in about 15,
// with the C paths and with the pure-Python fallback alike; never on 3.11 or 3.13): a failure
// there would say nothing about the probe. Newer patch releases of the same line still run.
const CRASHING = new Set(['3.12.0', '3.12.1']);

function pytestOn(version, interpreter) {
  const full = spawnSync(interpreter, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8'
  }).stdout.trim();
  if (CRASHING.has(full)) {
    console.log(
      `probe on Python ${full}: skipped, its garbage collector crashes now and then on its own (see src/probe/README.md); install a newer ${version}`
    );
    return;
  }
  const venv = path.join(root, `.venv-py${version}`);
  const python = path.join(venv, 'bin', 'python');
  const pip = (...args) =>
    spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...env, SKIP_JUPYTER_BUILDER: '1' }
    });
  const ready = () =>
    fs.existsSync(python) &&
    spawnSync(
      python,
      [
        '-c',
        'import pytest, pytest_timeout, jsonschema, psutil, ipykernel, jupyter_client, hatchling, hatch_jupyter_builder, editables'
      ],
      { stdio: 'ignore' }
    ).status === 0;
  if (!ready()) {
    console.log(`probe on Python ${version}: making ${path.relative(root, venv)}…`);
    spawnSync(interpreter, ['-m', 'venv', '--clear', venv], { stdio: 'inherit' });
    pip(
      '-c',
      'requirements-dev.txt',
      'pytest',
      'pytest-timeout',
      'jsonschema',
      'psutil',
      'ipykernel',
      'jupyter_client',
      'hatchling',
      'hatch-jupyter-builder',
      'editables',
      'setuptools'
    );
  }
  // the package itself, editable as in .venv: the probe from src/probe, its C hot paths compiled for
  // this Python, the kernel spec in this venv (its "python" is the interpreter that starts it)
  if (!ready() || pip('--no-deps', '--no-build-isolation', '--editable', '.').status !== 0) {
    console.log(`probe on Python ${version}: its test tools or the package could not be installed`);
    failed += 1;
    return;
  }
  if (
    spawnSync(python, ['-c', 'import threadline.capture.compiled as c; assert c.speedups'], { stdio: 'ignore' })
      .status !== 0
  ) {
    console.log(`probe on Python ${version}: the C hot paths did not compile`);
    failed += 1;
    return;
  }
  console.log(`probe on Python ${version} (${interpreter}):`);
  pytest(`pytest-py${version}`, {}, python);
}

if (filters.length === 0 && fs.existsSync(pytestDir)) {
  pytest('pytest', {}, undefined, []);
  pytest('pytest-pure-python', { THREADLINE_PURE_PYTHON: '1' });
  const others = otherPythons();
  if (others.length === 0) console.log('probe on other Pythons: none found (pyenv versions or python3.12+ on PATH)');
  for (const [version, interpreter] of others) pytestOn(version, interpreter);
}

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
