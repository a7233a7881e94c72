// Compiles the probe's C hot paths (src/probe/threadline/capture/_speedups.c) for one Python, next to the
// probe's sources as `_speedups<EXT_SUFFIX>`. Shared by set-up (the course's Python) and by the
// test run on the other Pythons found on the machine. Only Node's standard library.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOURCE = path.join('src', 'probe', 'threadline', 'capture', '_speedups.c');

function ask(python, code) {
  const result = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${python} could not run \`${code}\`: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

/** Where the compiled module for `python` goes, relative to the repository root. */
export function speedupsPath(python) {
  return path.join('src', 'probe', 'threadline', 'capture', `_speedups${ask(python, 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')}`);
}

/** Compiles it with `CC` (default `cc`); returns null on success, or why it failed. */
export function compileSpeedups(root, python) {
  const output = speedupsPath(python);
  const include = ask(python, 'import sysconfig; print(sysconfig.get_paths()["include"])');
  const compiler = process.env.CC || 'cc';
  const platform = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
  const built = spawnSync(compiler, ['-O2', '-shared', '-fPIC', ...platform, `-I${include}`, '-o', output, SOURCE], { cwd: root, encoding: 'utf8' });
  if (built.status === 0) return null;
  fs.rmSync(path.join(root, output), { force: true });
  return `\`${compiler}\`: ${built.error?.message ?? (built.stderr.trim().split('\n').at(-1) || `exit status ${built.status}`)}`;
}
