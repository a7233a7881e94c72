#!/usr/bin/env node
// `npm test [-- vitest filters]`: lint (scripts/lint.mjs), every vitest test, then the probe's pytest
// suite (twice, see below), then one closing line `tests: N passed, N failed` that sums them all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRASHING, ensureVenv, fullVersion, otherPythons } from './pythons.mjs';

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
// Then, with its C hot paths, under every other CPython 3.12+ on this machine (scripts/pythons.mjs: each in a
// .venv-py3.X made from requirements-dev.txt, the package installed editable): the probe leans on asyncio and
// interpreter internals that change between versions.
function pytestOn(version, interpreter) {
  const full = fullVersion(interpreter);
  if (CRASHING.has(full)) {
    console.log(`probe on Python ${full}: skipped, ${CRASHING.get(full)}; install a newer ${version}`);
    return;
  }
  const made = ensureVenv(version, interpreter, message => console.log(`probe on ${message}`));
  if (made.problem) {
    console.log(`probe on Python ${version}: ${made.problem}`);
    failed += 1;
    return;
  }
  console.log(`probe on Python ${version} (${interpreter}):`);
  pytest(`pytest-py${version}`, {}, made.python);
}

if (filters.length === 0 && fs.existsSync(pytestDir)) {
  pytest('pytest', {}, undefined, []);
  pytest('pytest-pure-python', { THREADLINE_PURE_PYTHON: '1' });
  const others = otherPythons();
  if (others.length === 0) console.log('probe on other Pythons: none found (pyenv versions or python3.12+ on PATH)');
  for (const { version, interpreter } of others) pytestOn(version, interpreter);
}

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
