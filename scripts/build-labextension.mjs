#!/usr/bin/env node
// `npm run build:labextension` (after tsc): builds the prebuilt JupyterLab extension into
// build/labextension with @jupyterlab/builder, against the core of the JupyterLab that the
// `jupyter` on PATH belongs to (the venv in development, the isolated build environment when pip
// builds the wheel). We call the builder ourselves because JupyterLab 4.6's `jupyter labextension
// build` fetches core metadata from the network first, which offline builds cannot do.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`build-labextension: ${message}\n`);
  process.exit(1);
}

/** The Python of the `jupyter` command on PATH (its shebang), else python3. */
function jupyterPython() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const script = path.join(dir, 'jupyter');
    if (!dir || !fs.existsSync(script)) continue;
    const shebang = fs.readFileSync(script, 'utf8').split('\n', 1)[0];
    const interpreter = /^#!\s*(\S+)/.exec(shebang)?.[1];
    if (interpreter && path.isAbsolute(interpreter) && fs.existsSync(interpreter)) return interpreter;
  }
  return 'python3';
}

const python = jupyterPython();
const staging = spawnSync(
  python,
  ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))'],
  {
    encoding: 'utf8'
  }
);
if (staging.status !== 0)
  fail(`${python} cannot import jupyterlab (install JupyterLab 4 into the environment that builds): ${staging.stderr}`);
const builder = path.join(root, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js');
if (!fs.existsSync(builder)) fail('node_modules/@jupyterlab/builder is missing: run `npm install` first');
const built = spawnSync(process.execPath, [builder, '--core-path', staging.stdout.trim(), root], { stdio: 'inherit' });
process.exit(built.status ?? 1);
