#!/usr/bin/env node
// Brings a clone up to date for `npm start`, `npm test` and `npm run bench`: node modules,
// the Python virtualenv from binder/requirements.txt, the compiled TypeScript, the built
// labextension and the kernel spec. Each step is skipped when what it makes is current, so a
// second run takes a second. Uses only Node's standard library: it runs before `npm install`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.venv');
const stampDir = path.join(root, '.threadline', 'stamps');
const buildOnly = process.argv.includes('--build-only');

function log(message) {
  process.stderr.write(`[threadline setup] ${message}\n`);
}

function fail(message) {
  log(`error: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${[command, ...args].join(' ')}\` exited with ${result.status}`);
}

/** Hash of the contents of the given files and of every file below the given folders. */
function digest(entries) {
  const hash = createHash('sha256');
  const visit = relative => {
    const full = path.join(root, relative);
    if (!fs.existsSync(full)) return;
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) {
        if (name === '__pycache__' || name === 'node_modules' || name.startsWith('.')) continue;
        visit(path.join(relative, name));
      }
    } else {
      hash.update(relative).update('\0').update(fs.readFileSync(full)).update('\0');
    }
  };
  entries.forEach(visit);
  return hash.digest('hex');
}

/** Runs `make` unless the stamp says the inputs are unchanged since it last succeeded. */
function step(name, inputs, outputs, make) {
  const stamp = path.join(stampDir, name);
  const want = digest(inputs);
  const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
  if (want === have && outputs.every(output => fs.existsSync(path.join(root, output)))) return;
  log(`${name}…`);
  const started = Date.now();
  make();
  fs.mkdirSync(stampDir, { recursive: true });
  fs.writeFileSync(stamp, want);
  log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function pythonFor(runtimeFile) {
  const wanted = fs.readFileSync(runtimeFile, 'utf8').trim().replace(/^python-/, '');
  for (const candidate of [`python${wanted}`, 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8'
    });
    if (probe.status === 0 && probe.stdout.trim() === wanted) return candidate;
  }
  fail(`Python ${wanted} (binder/runtime.txt) was not found on PATH; install it and run again.`);
}

const venvBin = name => path.join(venv, 'bin', name);

step('node-modules', ['package.json', 'package-lock.json'], ['node_modules/.package-lock.json'], () => {
  const ci = fs.existsSync(path.join(root, 'package-lock.json')) && !fs.existsSync(path.join(root, 'node_modules'));
  run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund']);
});

if (!buildOnly) {
  step('python-venv', ['binder/requirements.txt', 'binder/runtime.txt'], ['.venv/bin/python'], () => {
    if (!fs.existsSync(venvBin('python'))) run(pythonFor(path.join(root, 'binder', 'runtime.txt')), ['-m', 'venv', venv]);
    run(venvBin('python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'binder/requirements.txt']);
  });

  step('probe', ['src/probe/pyproject.toml'], [], () => {
    // A .pth file makes the probe importable in the venv straight from src/, so an edit of the
    // probe needs no reinstall (Binder's postBuild installs it as a normal package instead).
    const sitePackages = spawnSync(venvBin('python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
      encoding: 'utf8'
    }).stdout.trim();
    fs.writeFileSync(path.join(sitePackages, 'threadline-probe.pth'), path.join(root, 'src', 'probe') + '\n');
  });
}

step('typescript', ['src', 'tsconfig.json', 'package.json'], ['lib/lab/index.js'], () => {
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
});

if (!buildOnly || fs.existsSync(venvBin('python'))) {
  step('labextension', ['lib/lab', 'lib/protocol', 'style', 'schema', 'package.json'], ['build/labextension/package.json'], () => {
    const staging = spawnSync(venvBin('python'), ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))'], {
      encoding: 'utf8'
    }).stdout.trim();
    if (!staging) fail('JupyterLab is not installed in .venv; run `npm run setup` first.');
    const builder = path.join(root, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js');
    run(process.execPath, [builder, '--core-path', staging, root]);
  });
}

if (!buildOnly) {
  step('install-into-venv', ['build/labextension', 'kernel-spec'], ['.venv/share/jupyter/kernels/threadline/kernel.json'], () => {
    const share = path.join(venv, 'share', 'jupyter');
    const extensionLink = path.join(share, 'labextensions', 'threadline');
    fs.mkdirSync(path.dirname(extensionLink), { recursive: true });
    fs.rmSync(extensionLink, { recursive: true, force: true });
    fs.cpSync(path.join(root, 'build', 'labextension'), extensionLink, { recursive: true });
    const kernelDir = path.join(share, 'kernels', 'threadline');
    fs.rmSync(kernelDir, { recursive: true, force: true });
    fs.cpSync(path.join(root, 'kernel-spec', 'threadline'), kernelDir, { recursive: true });
  });
}
