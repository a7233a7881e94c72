// Tests, benchmarks and scripts are TypeScript too but are not compiled into lib/: type-check
// them with the sources, so that moving a module cannot silently break a benchmark.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

it('type-checks sources, tests, benchmarks and scripts (tsconfig.check.json)', () => {
  const tsc = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.check.json'],
    {
      cwd: root,
      encoding: 'utf8'
    }
  );
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 180_000);
