#!/usr/bin/env node
// `npm run lint` (also the first step of `npm test`): ESLint and Prettier for the TypeScript and
// scripts, Ruff (check and format) for the Python, and the layout's rules (scripts/checkStructure.mjs).
// `npm run lint -- --fix` lets the formatters and fixers rewrite what they can, then checks.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');
const bin = name => path.join(root, 'node_modules', '.bin', name);
const ruff = path.join(root, '.venv', 'bin', 'ruff');

const checks = [
  ['eslint', bin('eslint'), ['.', ...(fix ? ['--fix'] : [])]],
  ['prettier', bin('prettier'), [fix ? '--write' : '--check', '--log-level', 'warn', '.']],
  ['ruff check', ruff, ['check', ...(fix ? ['--fix'] : []), '.']],
  ['ruff format', ruff, ['format', ...(fix ? [] : ['--check']), '.']],
  ['structure', process.execPath, [path.join(root, 'scripts', 'checkStructure.mjs')]]
];

const failed = [];
for (const [name, command, args] of checks) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed.push(name);
}
console.log(failed.length ? `lint: failed (${failed.join(', ')})` : 'lint: passed');
process.exit(failed.length ? 1 : 0);
