/** The sandbox's Python package is found from the sources, from the compiled CLI, and ships in the npm package. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxModuleText } from '../../../src/grader/sandbox/pythonPackage.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const packageDir = path.join(root, 'src', 'grader', 'sandbox', 'python', 'threadline_sandbox');

describe('threadline_sandbox', () => {
  it('is read from src/ (tsx)', () => {
    for (const module of ['launcher', 'guard'] as const) {
      expect(sandboxModuleText(module)).toBe(fs.readFileSync(path.join(packageDir, `${module}.py`), 'utf8'));
    }
  });

  it('is read from the compiled lib/ (what bin/threadline.js runs)', () => {
    const compiled = path.join(root, 'lib', 'grader', 'sandbox', 'pythonPackage.js');
    const code = `import(${JSON.stringify(compiled)}).then(m => console.log(m.sandboxModuleText('guard').length))`;
    const run = spawnSync(process.execPath, ['-e', code], { cwd: path.dirname(root), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(Number(run.stdout)).toBe(fs.readFileSync(path.join(packageDir, 'guard.py'), 'utf8').length);
  });

  it('ships in the npm package, beside the compiled CLI', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map(file => file.path);
    const shipped = ['__init__.py', 'launcher.py', 'guard.py'].map(name =>
      path.relative(root, path.join(packageDir, name))
    );
    expect(files).toEqual(expect.arrayContaining([...shipped, 'lib/grader/commands/cli.js', 'bin/threadline.js']));
  });
});
