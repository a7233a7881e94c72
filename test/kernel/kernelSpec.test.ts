import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoSuchKernelError } from '../../src/kernel/errors.js';
import { jupyterPath, jupyterRuntimeDir } from '../../src/kernel/jupyterPaths.js';
import { findKernelSpecs, formatKernelCommand, getKernelSpec } from '../../src/kernel/kernelSpec.js';
import { root } from './helpers.js';

let tmp: string;
const dirs = { a: '', b: '', user: '', prefix: '' };

function addSpec(base: string, name: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(base, 'kernels', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'kernel.json'),
    JSON.stringify({
      argv: ['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: name,
      language: 'python',
      ...extra
    })
  );
  return dir;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-specs-'));
  for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = path.join(tmp, k);
  const envShare = path.join(dirs.prefix, 'share', 'jupyter');
  addSpec(dirs.a, 'dup');
  addSpec(dirs.b, 'dup');
  addSpec(dirs.b, 'onlyb');
  addSpec(dirs.a, 'MiXed');
  addSpec(dirs.b, 'mixed');
  addSpec(dirs.user, 'envvsuser');
  addSpec(envShare, 'envvsuser');
  addSpec(envShare, 'inprefix', {
    interrupt_mode: 'message',
    env: { A: '$HOME/x', B: '${TL_TEST_VAR}-y', C: '$$literal', D: '$UNSET_TL_VAR' }
  });
  addSpec(dirs.a, 'bad name');
  // competes with the real .venv's python3: which one wins depends on the env-vs-user rule
  addSpec(dirs.user, 'python3');
  fs.mkdirSync(path.join(dirs.a, 'kernels', 'nojson'), { recursive: true });
  // a fake Python in the prefix so `python3` in argv resolves to it
  fs.mkdirSync(path.join(dirs.prefix, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dirs.prefix, 'bin', 'python'), '#!/bin/sh\n', { mode: 0o755 });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: tmp, JUPYTER_PATH: [dirs.a, dirs.b].join(path.delimiter), JUPYTER_DATA_DIR: dirs.user, ...extra };
}

describe('kernel spec discovery', () => {
  it('finds the kernels of an activated conda environment (CONDA_PREFIX alone, as on hub images)', () => {
    const spec = getKernelSpec('inprefix', { env: env({ CONDA_PREFIX: dirs.prefix }) });
    expect(spec.resourceDir).toBe(path.join(dirs.prefix, 'share', 'jupyter', 'kernels', 'inprefix'));
  });

  it('says in one line what to install when the threadline kernel is missing', () => {
    let error: unknown;
    try {
      getKernelSpec('threadline', { env: env(), prefix: dirs.prefix });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NoSuchKernelError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(/pip install threadline/);
  });

  it('searches JUPYTER_PATH in order, then user, env and system directories', () => {
    const paths = jupyterPath({ env: env({ JUPYTER_PREFER_ENV_PATH: '0' }), prefix: dirs.prefix });
    expect(paths.slice(0, 4)).toEqual([dirs.a, dirs.b, dirs.user, path.join(dirs.prefix, 'share', 'jupyter')]);
    expect(paths.slice(4)).toEqual(['/usr/local/share/jupyter', '/usr/share/jupyter']);
  });

  it('lets the first directory win and compares names case-insensitively', () => {
    const specs = findKernelSpecs({ env: env(), prefix: dirs.prefix });
    expect(specs.get('dup')).toBe(path.join(dirs.a, 'kernels', 'dup'));
    expect(specs.get('onlyb')).toBe(path.join(dirs.b, 'kernels', 'onlyb'));
    expect(specs.get('mixed')).toBe(path.join(dirs.a, 'kernels', 'MiXed'));
    expect(getKernelSpec('MIXED', { env: env(), prefix: dirs.prefix }).resourceDir).toBe(
      path.join(dirs.a, 'kernels', 'MiXed')
    );
    // an older notebook's "python" kernel is python3, as jupyter_client's KernelManager has it
    expect(getKernelSpec('python', { env: env(), prefix: dirs.prefix }).resourceDir).toBe(
      path.join(dirs.user, 'kernels', 'python3')
    );
    expect(specs.get('bad name')).toBe(path.join(dirs.a, 'kernels', 'bad name')); // jupyter_client only warns
    expect(specs.has('nojson')).toBe(false);
  });

  it('prefers the environment over the user dir only for a virtualenv or when asked', () => {
    const envDir = path.join(dirs.prefix, 'share', 'jupyter', 'kernels', 'envvsuser');
    const userDir = path.join(dirs.user, 'kernels', 'envvsuser');
    expect(findKernelSpecs({ env: env(), prefix: dirs.prefix }).get('envvsuser')).toBe(userDir);
    expect(findKernelSpecs({ env: env({ JUPYTER_PREFER_ENV_PATH: '1' }), prefix: dirs.prefix }).get('envvsuser')).toBe(
      envDir
    );
    fs.writeFileSync(path.join(dirs.prefix, 'pyvenv.cfg'), 'home = /usr/bin\n');
    try {
      expect(findKernelSpecs({ env: env(), prefix: dirs.prefix }).get('envvsuser')).toBe(envDir);
      expect(
        findKernelSpecs({ env: env({ JUPYTER_PREFER_ENV_PATH: 'no' }), prefix: dirs.prefix }).get('envvsuser')
      ).toBe(userDir);
    } finally {
      fs.rmSync(path.join(dirs.prefix, 'pyvenv.cfg'));
    }
  });

  it.each([{}, { JUPYTER_PREFER_ENV_PATH: '0' }])('finds the same specs as `jupyter kernelspec list` (%o)', extra => {
    const venv = path.join(root, '.venv');
    const e = env(extra);
    const r = spawnSync(path.join(venv, 'bin', 'jupyter'), ['kernelspec', 'list', '--json'], {
      env: { ...e, PATH: process.env.PATH },
      encoding: 'utf8'
    });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as { kernelspecs: Record<string, { resource_dir: string }> };
    const want = Object.fromEntries(
      Object.entries(theirs.kernelspecs).map(([n, s]) => [n, fs.realpathSync(s.resource_dir)])
    );
    const ours = Object.fromEntries(
      [...findKernelSpecs({ env: e, prefix: venv })].map(([n, d]) => [n, fs.realpathSync(d)])
    );
    expect(ours).toEqual(want);
  });

  it('throws NoSuchKernelError naming the kernels that do exist', () => {
    let error: unknown;
    try {
      getKernelSpec('nope', { env: env(), prefix: dirs.prefix });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoSuchKernelError);
    const e = error as NoSuchKernelError;
    expect(e.available).toEqual(expect.arrayContaining(['dup', 'onlyb', 'mixed', 'envvsuser', 'inprefix']));
    expect(e.message).toContain('"nope"');
    expect(e.message).toContain('onlyb');
  });

  it('formats the command like jupyter_client: placeholders, python from the prefix, env templates', () => {
    const spec = getKernelSpec('inprefix', { env: env(), prefix: dirs.prefix });
    expect(spec.interruptMode).toBe('message');
    const withExtra = { ...spec, argv: [...spec.argv, '{resource_dir}', '{prefix}', '{unknown}'] };
    const { argv, env: kernelEnv } = formatKernelCommand(withExtra, '/run/k.json', {
      prefix: dirs.prefix,
      baseEnv: { HOME: '/home/h', TL_TEST_VAR: 'v' }
    });
    expect(argv).toEqual([
      path.join(dirs.prefix, 'bin', 'python'),
      '-m',
      'ipykernel_launcher',
      '-f',
      '/run/k.json',
      spec.resourceDir,
      dirs.prefix,
      '{unknown}'
    ]);
    expect(kernelEnv).toMatchObject({ A: '/home/h/x', B: 'v-y', C: '$literal', D: '$UNSET_TL_VAR', HOME: '/home/h' });
  });

  it("replaces python3.X only when it is the environment's own version", () => {
    fs.writeFileSync(path.join(dirs.prefix, 'pyvenv.cfg'), 'home = /usr/bin\nversion = 3.11.7\n');
    try {
      const spec = getKernelSpec('inprefix', { env: env(), prefix: dirs.prefix });
      const argv0 = (name: string) =>
        formatKernelCommand({ ...spec, argv: [name, '-f', '{connection_file}'] }, '/k.json', { prefix: dirs.prefix })
          .argv[0];
      const own = path.join(dirs.prefix, 'bin', 'python');
      expect(argv0('python')).toBe(own);
      expect(argv0('python3.11')).toBe(own);
      expect(argv0('python3.9')).toBe('python3.9');
      expect(argv0('/opt/python')).toBe('/opt/python');
    } finally {
      fs.rmSync(path.join(dirs.prefix, 'pyvenv.cfg'));
    }
  });

  it('takes the runtime dir from JUPYTER_RUNTIME_DIR, else <data dir>/runtime', () => {
    expect(jupyterRuntimeDir({ env: { JUPYTER_RUNTIME_DIR: '/r' } })).toBe('/r');
    expect(jupyterRuntimeDir({ env: { JUPYTER_DATA_DIR: '/d' } })).toBe('/d/runtime');
    expect(jupyterRuntimeDir({ env: { HOME: '/h' } })).toBe('/h/.local/share/jupyter/runtime');
  });
});
