#!/usr/bin/env node
// `npm test [-- vitest filters]`: every vitest test, then the probe's pytest suite, then one
// closing line `tests: N passed, N failed` that sums both.
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

const pytestDir = path.join(root, 'test', 'probe');
if (filters.length === 0 && fs.existsSync(pytestDir)) {
  const junit = path.join(artifacts, 'pytest.xml');
  const pytest = spawnSync(path.join(root, '.venv', 'bin', 'python'), ['-m', 'pytest', '-q', pytestDir, `--junitxml=${junit}`], {
    cwd: root,
    stdio: 'inherit',
    env
  });
  if (fs.existsSync(junit)) {
    const xml = fs.readFileSync(junit, 'utf8');
    const count = name => Number((xml.match(new RegExp(`<testsuite [^>]*\\b${name}="(\\d+)"`)) ?? [])[1] ?? 0);
    const total = count('tests');
    const bad = count('failures') + count('errors');
    passed += total - bad - count('skipped');
    failed += bad;
  }
  if (pytest.status !== 0 && pytest.status !== 5 && !fs.existsSync(junit)) failed += 1;
}

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
