#!/usr/bin/env node
// Brings a clone up to date for `npm start`, `npm test` and `npm run bench`: node modules,
// the Python virtualenv from requirements-dev.txt (the course's binder/requirements.txt plus the
// test and build tools), the compiled TypeScript, the built labextension, and the Python package
// of pyproject.toml installed editable into the venv (probe, C hot paths, labextension, kernel
// spec: what `pip install threadline` installs). Each step is skipped when what it makes is
// current, so a second run takes about a second. Only Node's standard library: it runs before
// `npm install`.
//
//   node scripts/setup.mjs                  everything, into ./.venv
//   node scripts/setup.mjs --build-only     node modules, TypeScript and the labextension only
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const buildOnly = args.includes('--build-only');
const prefix = path.join(root, '.venv');
const stampDir = path.join(root, '.threadline', 'stamps', 'venv');
const python = path.join(prefix, 'bin', 'python');

function log(message) {
  process.stderr.write(`[threadline setup] ${message}\n`);
}

function fail(message) {
  log(`error: ${message}`);
  process.exit(1);
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${[command, ...commandArgs].join(' ')}\` exited with ${result.status}`);
}

function pythonSays(code) {
  const result = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (result.status !== 0) fail(`${python} could not run \`${code}\`:\n${result.stderr}`);
  return result.stdout.trim();
}

/** Hash of the contents of the given files and of every file below the given folders. */
function digest(entries) {
  const hash = createHash('sha256');
  const visit = relative => {
    const full = path.join(root, relative);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) {
        if (name === '__pycache__' || name === 'node_modules' || name.startsWith('.')) continue;
        visit(path.join(relative, name));
      }
    } else {
      hash.update(relative).update('\0').update(fs.readFileSync(full)).update('\0');
    }
  };
  entries.forEach(visit);
  hash.update(prefix);
  return hash.digest('hex');
}

/**
 * Runs `make` unless the stamp says the inputs are unchanged since it last succeeded (a `make`
 * that returns false did not: it runs again next time).
 */
function step(name, inputs, outputs, make) {
  const stamp = path.join(stampDir, name);
  const want = digest(inputs);
  const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
  if (want === have && outputs.every(output => fs.existsSync(path.resolve(root, output)))) return;
  log(`${name}…`);
  const started = Date.now();
  if (make() === false) return;
  fs.mkdirSync(stampDir, { recursive: true });
  fs.writeFileSync(stamp, want);
  log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The development venv's Python: the machine's `python3`, 3.11 or newer. (Binder's Python is
 * binder/runtime.txt's; the binder check builds that one, and `npm test` and the course report also
 * run on every other supported Python they find: scripts/pythons.mjs.)
 */
function pythonForVenv() {
  const probe = spawnSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  const version = probe.status === 0 ? probe.stdout.trim() : '';
  const [major, minor] = version.split('.').map(Number);
  if (major === 3 && minor >= 11) return 'python3';
  fail(
    version
      ? `python3 is Python ${version}; Threadline needs 3.11 or newer: put one first on PATH and run again.`
      : 'python3 was not found on PATH: install Python 3.11 or newer and run again.'
  );
}

/**
 * The venv sits inside this ESM package ("type": "module"), so Node would load the CommonJS
 * scripts that Python packages ship (jupyter_builder's yarn.js, run by JupyterLab at start) as
 * ES modules and fail. A package.json at the venv's root restores their default.
 */
function markCommonJs(directory) {
  fs.writeFileSync(path.join(directory, 'package.json'), '{ "type": "commonjs" }\n');
}

step('node-modules', ['package.json', 'package-lock.json'], ['node_modules/.package-lock.json'], () => {
  const fresh = !fs.existsSync(path.join(root, 'node_modules'));
  // better-sqlite3 and zeromq may compile from source; Debian's nodejs ships the headers, so
  // node-gyp needs no download (this machine's network reaches package registries only).
  const headers = [
    '/usr/include/node/node.h',
    path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node.h')
  ].find(h => fs.existsSync(h));
  const nodedir = headers ? path.resolve(path.dirname(headers), '..', '..') : undefined;
  run('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund'], {
    env: { ...process.env, ...(nodedir && !process.env.npm_config_nodedir ? { npm_config_nodedir: nodedir } : {}) }
  });
});

if (!buildOnly) {
  step(
    'python-venv',
    ['binder/requirements.txt', 'requirements-dev.txt'],
    [python, path.join(prefix, 'package.json')],
    () => {
      if (!fs.existsSync(python)) run(pythonForVenv(), ['-m', 'venv', prefix]);
      markCommonJs(prefix);
      run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'requirements-dev.txt']);
    }
  );
}

// (src/probe is Python: its compiled hot paths must not make TypeScript build again)
const typescriptSources = fs
  .readdirSync(path.join(root, 'src'))
  .filter(name => name !== 'probe')
  .map(name => path.join('src', name));
step('typescript', [...typescriptSources, 'tsconfig.json', 'package.json'], ['lib/lab/index.js'], () => {
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
});

if (fs.existsSync(python)) {
  // what `npm run build:labextension` does after tsc, against the venv's JupyterLab
  step(
    'labextension',
    ['lib/lab', 'lib/protocol', 'style', 'schema', 'package.json', 'scripts/build-labextension.mjs'],
    ['build/labextension/static/style.js'],
    () => {
      const PATH = `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}`;
      run(process.execPath, [path.join(root, 'scripts', 'build-labextension.mjs')], { env: { ...process.env, PATH } });
    }
  );
}

if (!buildOnly) {
  // The Python package of pyproject.toml, editable: the probe is imported from src/probe (edits need
  // no reinstall), its C hot paths are compiled next to their sources, and the labextension and the
  // kernel spec are installed into the venv's share/jupyter exactly as the wheel installs them.
  const cSources = fs
    .readdirSync(path.join(root, 'src', 'probe'), { recursive: true })
    .filter(f => f.endsWith('.c'))
    .map(f => path.join('src', 'probe', f));
  step(
    'python-package',
    [
      'pyproject.toml',
      'hatch_build.py',
      'install.json',
      'kernel-spec',
      'build/labextension',
      'src/probe/threadline/default_kernel.py',
      ...cSources
    ],
    [path.join(prefix, 'share/jupyter/kernels/threadline/kernel.json')],
    () => {
      // (the labextension step above built it: hatch-jupyter-builder need not)
      const env = { ...process.env, SKIP_JUPYTER_BUILDER: '1' };
      run(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-deps',
          '--no-build-isolation',
          '--editable',
          '.'
        ],
        { env }
      );
      if (pythonSays('import threadline.capture.compiled as c; print(c.speedups is not None)') !== 'True') {
        log(
          "warning: the probe's C hot paths were not compiled (see pip's output above); tracing works, with more overhead. Install gcc and run again."
        );
      }
      // The course's kernel is the default for new notebooks in this environment (the opt-in step of the README)
      run(python, ['-m', 'threadline.default_kernel']);
    }
  );
}
