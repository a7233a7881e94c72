#!/usr/bin/env node
// `npm test [-- vitest filters]`: every vitest test, then the probe's pytest suite (twice, see
// below), then one closing line `tests: N passed, N failed` that sums them all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const env = { ...process.env, PATH: `${path.join(root, '.venv', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
const filters = process.argv.slice(2);

const vitestReport = path.join(artifacts, 'vitest.json');
fs.rmSync(vitestReport, { force: true });
const vitest = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`, ...filters],
  { cwd: root, stdio: 'inherit', env }
);

let passed = 0;
let failed = 0;
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
function pytest(name, extraEnv) {
  const junit = path.join(artifacts, `${name}.xml`);
  fs.rmSync(junit, { force: true });
  const run = spawnSync(path.join(root, '.venv', 'bin', 'python'), ['-m', 'pytest', '-q', pytestDir, `--junitxml=${junit}`], {
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
if (filters.length === 0 && fs.existsSync(pytestDir)) {
  pytest('pytest', {});
  pytest('pytest-pure-python', { THREADLINE_PURE_PYTHON: '1' });
}

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
