#!/usr/bin/env node
// Brings a clone up to date for `npm start`, `npm test` and `npm run bench`: node modules,
// the Python virtualenv from binder/requirements.txt, the compiled TypeScript, the built
// labextension, the probe and the kernel spec. Each step is skipped when what it makes is
// current, so a second run takes about a second. Only Node's standard library: it runs
// before `npm install`.
//
//   node scripts/setup.mjs                  everything, into ./.venv
//   node scripts/setup.mjs --build-only     node modules, TypeScript and the labextension only
//   node scripts/setup.mjs --prefix DIR     install into an existing Python environment (Binder's
//                                           postBuild): no venv is made, the probe is pip-installed
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpeedups, speedupsPath } from './speedups.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const buildOnly = args.includes('--build-only');
const prefixAt = args.indexOf('--prefix');
const externalPrefix = prefixAt >= 0 ? path.resolve(args[prefixAt + 1] ?? '') : null;
const prefix = externalPrefix ?? path.join(root, '.venv');
const stampDir = path.join(root, '.threadline', 'stamps', externalPrefix ? 'external' : 'venv');
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

function pythonForRuntime() {
  const wanted = fs.readFileSync(path.join(root, 'binder', 'runtime.txt'), 'utf8').trim().replace(/^python-/, '');
  for (const candidate of [`python${wanted}`, 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === wanted) return candidate;
  }
  fail(`Python ${wanted} (binder/runtime.txt) was not found on PATH; install it and run again.`);
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
  const headers = ['/usr/include/node/node.h', path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node.h')].find(h => fs.existsSync(h));
  const nodedir = headers ? path.resolve(path.dirname(headers), '..', '..') : undefined;
  run('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund'], {
    env: { ...process.env, ...(nodedir && !process.env.npm_config_nodedir ? { npm_config_nodedir: nodedir } : {}) }
  });
});

if (!buildOnly && !externalPrefix) {
  step('python-venv', ['binder/requirements.txt', 'binder/runtime.txt'], [python, path.join(prefix, 'package.json')], () => {
    if (!fs.existsSync(python)) run(pythonForRuntime(), ['-m', 'venv', prefix]);
    markCommonJs(prefix);
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'binder/requirements.txt']);
  });
}

// (src/probe is Python: its compiled hot paths must not make TypeScript build again)
const typescriptSources = fs.readdirSync(path.join(root, 'src')).filter(name => name !== 'probe').map(name => path.join('src', name));
step('typescript', [...typescriptSources, 'tsconfig.json', 'package.json'], ['lib/lab/index.js'], () => {
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
});

if (fs.existsSync(python)) {
  step('labextension', ['lib/lab', 'lib/protocol', 'style', 'schema', 'package.json'], ['build/labextension/package.json'], () => {
    const staging = pythonSays('import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))');
    const builder = path.join(root, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js');
    run(process.execPath, [builder, '--core-path', staging, root]);
  });
}

if (!buildOnly) {
  // The probe's C hot paths (src/probe/threadline/capture/_speedups.c); without a compiler it runs their
  // pure-Python twins, which are slower but complete.
  const speedups = speedupsPath(python);
  step('probe-speedups', ['src/probe/threadline/capture/_speedups.c', 'scripts/speedups.mjs'], [speedups], () => {
    const failure = compileSpeedups(root, python);
    if (failure === null) return true;
    log(`warning: could not compile the probe's C hot paths with ${failure}; tracing works, with more overhead. Install gcc and run again.`);
    return false;
  });

  step('probe', ['src/probe'], [], () => {
    if (externalPrefix) {
      run(python, ['-m', 'pip', 'install', '--quiet', '--no-deps', '--disable-pip-version-check', path.join(root, 'src', 'probe')]);
    } else {
      // A .pth file makes the probe importable straight from src/, so editing it needs no reinstall.
      const sitePackages = pythonSays('import sysconfig; print(sysconfig.get_paths()["purelib"])');
      fs.writeFileSync(path.join(sitePackages, 'threadline-probe.pth'), path.join(root, 'src', 'probe') + '\n');
    }
  });

  step('install-into-env', ['build/labextension', 'kernel-spec', 'scripts/setup.mjs'], [path.join(prefix, 'share/jupyter/kernels/threadline/kernel.json'), path.join(prefix, 'etc/jupyter/jupyter_server_config.json')], () => {
    const share = path.join(prefix, 'share', 'jupyter');
    const extensionDir = path.join(share, 'labextensions', 'threadline');
    fs.rmSync(extensionDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(extensionDir), { recursive: true });
    fs.cpSync(path.join(root, 'build', 'labextension'), extensionDir, { recursive: true });
    const kernelDir = path.join(share, 'kernels', 'threadline');
    fs.rmSync(kernelDir, { recursive: true, force: true });
    fs.cpSync(path.join(root, 'kernel-spec', 'threadline'), kernelDir, { recursive: true });
    // The course's kernel is the default for new notebooks in this environment. (The
    // jupyter_server_config.d folder only enables server extensions, so this is the main file.)
    const etc = path.join(prefix, 'etc', 'jupyter');
    fs.mkdirSync(etc, { recursive: true });
    fs.rmSync(path.join(etc, 'jupyter_server_config.d', 'threadline.json'), { force: true });
    fs.writeFileSync(
      path.join(etc, 'jupyter_server_config.json'),
      JSON.stringify({ MultiKernelManager: { default_kernel_name: 'threadline' } }, null, 2) + '\n'
    );
  });
}
