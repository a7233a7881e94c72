#!/usr/bin/env node
// `npm run bench -- <name>`: runs bench/<name>.ts (TypeScript through tsx) with .venv on PATH.
// Every benchmark runs its peer side by side and ends with `BENCH <name> <json>`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const available = fs
  .readdirSync(path.join(root, 'bench'))
  .filter(f => f.endsWith('.ts') && !f.startsWith('_'))
  .map(f => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\n  benchmarks: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const env = { ...process.env, PATH: `${path.join(root, '.venv', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', `${name}.ts`), ...rest], {
  cwd: root,
  stdio: 'inherit',
  env
});
process.exit(result.status ?? 1);
