/**
 * The release check: what a user installs, built from a clean tree and installed as a user would.
 * The wheel (`pip wheel .`) goes into a fresh virtualenv that has only the lowest JupyterLab 4 we
 * support: the extension must be listed enabled and OK, the kernel spec found, the probe's C paths
 * loaded, an existing server config left byte-identical; a `%%timeline` notebook executes headless
 * there and its timeline draws in that JupyterLab in Chromium; `pip uninstall` removes it all. The
 * npm tarball (`npm pack`) installs globally within 100 MB and answers `--version`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCopy } from '../../scripts/cleanCopy.mjs';
import { collectErrors, launchBrowser, openNotebook, root, screenshot, startLab } from '../e2e/labHarness.js';

/** The oldest JupyterLab the extension is tested on; older 4.x releases lack APIs it uses or fail to load it. */
const LOWEST_JUPYTERLAB = '4.0.0';
const MAX_CLI_INSTALL_BYTES = 100 * 1024 * 1024;

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-release-'));
const tree = path.join(work, 'tree');
const userEnv = path.join(work, 'user-env');
const userPython = path.join(userEnv, 'bin', 'python');

function sh(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0)
    throw new Error(
      `\`${[command, ...args].join(' ')}\` exited with ${result.status ?? result.signal}:\n${output.slice(-4000)}`
    );
  return output;
}

/** PATH without this checkout's folders (its .venv, node_modules/.bin). */
function withoutRepo(PATH = ''): string {
  return PATH.split(path.delimiter)
    .filter(dir => dir && !path.resolve(dir).startsWith(root))
    .join(path.delimiter);
}

/** The environment of a user's shell with `env` activated, and none of this checkout's. */
function userShell(env: string): NodeJS.ProcessEnv {
  const {
    VIRTUAL_ENV: _venv,
    JUPYTER_PATH: _path,
    PYTHONPATH: _pythonPath,
    CONDA_PREFIX: _conda,
    ...base
  } = process.env;
  return { ...base, VIRTUAL_ENV: env, PATH: `${path.join(env, 'bin')}${path.delimiter}${withoutRepo(base.PATH)}` };
}

function fileDigest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

let wheel = '';
let tarball = '';

beforeAll(() => {
  cleanCopy(root, tree);
  // The wheel exactly as `pip wheel .` builds it: an isolated build environment from PyPI, and
  // hatch-jupyter-builder building the labextension with npm, since a clean tree has none.
  sh(
    path.join(root, '.venv', 'bin', 'python'),
    ['-m', 'pip', 'wheel', '.', '--no-deps', '--disable-pip-version-check', '-w', 'dist'],
    { cwd: tree }
  );
  wheel = path.join(
    tree,
    'dist',
    fs.readdirSync(path.join(tree, 'dist')).find(name => name.endsWith('.whl'))!
  );
  // `npm pack` runs prepack (tsc) in the same tree, whose node_modules the wheel's build installed
  tarball = path.join(tree, sh('npm', ['pack', '--silent'], { cwd: tree }).trim().split('\n').at(-1)!);
  sh('python3.11', ['-m', 'venv', userEnv]);
  sh(userPython, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `jupyterlab==${LOWEST_JUPYTERLAB}`
  ]);
}, 900_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the Python wheel', () => {
  it('is tagged for this interpreter and platform and holds the compiled probe, the labextension and the kernel spec', () => {
    expect(path.basename(wheel)).toMatch(/^threadline-\d+\.\d+\.\d+-cp311-cp311-linux_x86_64\.whl$/);
    const listing = sh(path.join(root, '.venv', 'bin', 'python'), ['-m', 'zipfile', '-l', wheel]);
    expect(listing).toMatch(/threadline\/(\w+\/)*_speedups\.cpython-311-x86_64-linux-gnu\.so/);
    for (const shared of [
      'labextensions/threadline/package.json',
      'labextensions/threadline/install.json',
      'labextensions/threadline/static/',
      'kernels/threadline/kernel.json'
    ]) {
      expect(listing).toContain(`threadline-${manifest.version}.data/data/share/jupyter/${shared}`);
    }
  });

  it('has an sdist with the C sources and the prebuilt extension, which builds the same platform wheel', () => {
    const sdistDir = path.join(work, 'sdist');
    sh(path.join(root, '.venv', 'bin', 'hatchling'), ['build', '--target', 'sdist', '--directory', sdistDir], {
      cwd: tree
    });
    const sdist = path.join(
      sdistDir,
      fs.readdirSync(sdistDir).find(name => name.endsWith('.tar.gz'))!
    );
    const listing = sh('tar', ['tzf', sdist]);
    expect(listing).toMatch(/src\/probe\/threadline\/(\w+\/)*_speedups\.c$/m);
    expect(listing).toMatch(/build\/labextension\/package\.json$/m);
    const fromSdist = path.join(work, 'from-sdist');
    const python = path.join(root, '.venv', 'bin', 'python');
    sh(python, ['-m', 'pip', 'wheel', '--no-deps', '--disable-pip-version-check', '-w', fromSdist, sdist]);
    const built = path.join(
      fromSdist,
      fs.readdirSync(fromSdist).find(name => name.endsWith('.whl'))!
    );
    expect(path.basename(built)).toMatch(/-cp311-cp311-linux_x86_64\.whl$/);
    expect(sh(python, ['-m', 'zipfile', '-l', built])).toMatch(/_speedups\.cpython-311-x86_64-linux-gnu\.so/);
  }, 600_000);

  it(`installs into a JupyterLab ${LOWEST_JUPYTERLAB} environment without touching its configuration`, () => {
    const env = userShell(userEnv);
    const config = path.join(userEnv, 'etc', 'jupyter', 'jupyter_server_config.json');
    fs.mkdirSync(path.dirname(config), { recursive: true });
    fs.writeFileSync(
      config,
      JSON.stringify(
        { ServerApp: { iopub_data_rate_limit: 12345678 }, MultiKernelManager: { default_kernel_name: 'python3' } },
        null,
        1
      )
    );
    const before = fileDigest(config);
    sh(userPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', wheel], { env });

    expect(
      stripVTControlCharacters(sh(path.join(userEnv, 'bin', 'jupyter'), ['labextension', 'list'], { env }))
    ).toMatch(/threadline v\S+ enabled\s+OK \(python, threadline\)/);
    expect(sh(path.join(userEnv, 'bin', 'jupyter'), ['kernelspec', 'list'], { env })).toMatch(
      /^\s*threadline\s+\S+kernels\/threadline$/m
    );
    expect(
      sh(userPython, ['-c', 'import threadline, threadline.capture.compiled as c; print(c.speedups is not None)'], {
        env,
        cwd: work
      }).trim()
    ).toBe('True');
    expect(fileDigest(config)).toBe(before);
  });

  it('executes a %%timeline notebook headless and draws its timeline in that JupyterLab in Chromium', async () => {
    const env = userShell(userEnv);
    const notebooks = path.join(work, 'notebooks');
    fs.mkdirSync(notebooks, { recursive: true });
    const source = [
      '%%timeline',
      'import asyncio',
      'async def job(i):',
      '    await asyncio.sleep(0.05 * i)',
      'await asyncio.gather(*(job(i) for i in range(3)))'
    ].join('\n');
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'threadline', display_name: 'Python 3 (Threadline)', language: 'python' } },
      cells: [{ cell_type: 'code', id: 'timeline', metadata: {}, execution_count: null, source, outputs: [] }]
    };
    fs.writeFileSync(path.join(notebooks, 'traced.ipynb'), JSON.stringify(notebook));
    sh(
      path.join(userEnv, 'bin', 'jupyter'),
      ['nbconvert', '--to', 'notebook', '--execute', '--inplace', 'traced.ipynb'],
      { env, cwd: notebooks }
    );
    const executed = JSON.parse(fs.readFileSync(path.join(notebooks, 'traced.ipynb'), 'utf8')) as {
      cells: { outputs: { data?: Record<string, unknown> }[] }[];
    };
    const trace = executed.cells[0]!.outputs.find(output => output.data?.['application/vnd.threadline.trace+json'])
      ?.data?.['application/vnd.threadline.trace+json'] as { lanes: { name: number[] }; strings: string[] } | undefined;
    expect(trace, 'the executed cell holds a saved trace').toBeDefined();
    expect(trace!.lanes.name.map(i => trace!.strings[i]).filter(name => name.includes('job')).length).toBe(3);

    const lab = await startLab({ prefix: userEnv });
    const browser = await launchBrowser();
    try {
      fs.copyFileSync(path.join(notebooks, 'traced.ipynb'), path.join(lab.dir, 'traced.ipynb'));
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await openNotebook(page, lab, 'traced.ipynb');
      const timeline = page.locator('.jp-OutputArea-output .tl-Timeline').first();
      await timeline.waitFor({ timeout: 60_000 });
      await page.waitForFunction(
        () => Number(document.querySelector<HTMLElement>('.tl-Timeline')?.dataset.paints ?? 0) > 0
      );
      const tasks = JSON.parse((await timeline.getAttribute('data-task-names')) ?? '[]') as string[];
      expect(tasks.filter(name => name.includes('job')).length, JSON.stringify(tasks)).toBe(3);
      await timeline.scrollIntoViewIfNeeded();
      await screenshot(page, `release-jupyterlab-${LOWEST_JUPYTERLAB}`);
      expect(errors.filter(error => /threadline|tl-/i.test(error))).toEqual([]);
    } finally {
      await browser.close();
      await lab.stop();
    }
  }, 240_000);
});

describe('the npm package', () => {
  it('installs globally as a working `threadline` CLI within 100 MB', () => {
    const prefix = path.join(work, 'npm-global');
    // Debian's nodejs ships its headers: native modules that must compile need no download
    const nodedir = fs.existsSync('/usr/include/node/node.h') ? { npm_config_nodedir: '/usr' } : {};
    sh('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      env: { ...process.env, ...nodedir }
    });
    const bytes = folderBytes(prefix);
    console.log(`npm install -g: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    expect(bytes).toBeLessThanOrEqual(MAX_CLI_INSTALL_BYTES);
    expect(sh(path.join(prefix, 'bin', 'threadline'), ['--version']).trim()).toBe(manifest.version);
    expect(sh(path.join(prefix, 'bin', 'threadline'), ['--help'])).toMatch(/usage: threadline COMMAND/);
  }, 600_000);

  it('finds the kernels as Jupyter does: the jupyter on PATH, or CONDA_PREFIX alone', () => {
    const cli = path.join(work, 'npm-global', 'bin', 'threadline');
    const notebooks = path.join(work, 'notebooks');
    const { VIRTUAL_ENV: _venv, ...shell } = userShell(userEnv);
    const validate = (env: NodeJS.ProcessEnv) =>
      spawnSync(cli, ['validate', 'traced.ipynb', '--cwd', notebooks], { cwd: notebooks, env, encoding: 'utf8' });
    const onPath = validate(shell);
    expect(onPath.status, onPath.stderr).toBe(0);
    const conda = validate({ ...shell, PATH: withoutRepo(process.env.PATH), CONDA_PREFIX: userEnv });
    expect(conda.status, conda.stderr).toBe(0);
  }, 120_000);

  it('says in one line, without a stack trace, which kernel is missing and what to install', () => {
    const notebooks = path.join(work, 'notebooks');
    const notebook = JSON.parse(fs.readFileSync(path.join(notebooks, 'traced.ipynb'), 'utf8')) as {
      metadata: { kernelspec: { name: string } };
    };
    notebook.metadata.kernelspec.name = 'no-such-kernel';
    fs.writeFileSync(path.join(notebooks, 'missing.ipynb'), JSON.stringify(notebook));
    const run = spawnSync(path.join(work, 'npm-global', 'bin', 'threadline'), ['validate', 'missing.ipynb'], {
      cwd: notebooks,
      env: userShell(userEnv),
      encoding: 'utf8'
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/no kernel named "no-such-kernel".*ipykernel install/);
  });
});

describe('pip uninstall', () => {
  it('removes everything the wheel installed', () => {
    const env = userShell(userEnv);
    sh(userPython, ['-m', 'pip', 'uninstall', '--yes', '--quiet', 'threadline'], { env });
    expect(fs.existsSync(path.join(userEnv, 'share', 'jupyter', 'labextensions', 'threadline'))).toBe(false);
    expect(fs.existsSync(path.join(userEnv, 'share', 'jupyter', 'kernels', 'threadline'))).toBe(false);
    expect(spawnSync(userPython, ['-c', 'import threadline'], { env, cwd: work }).status).not.toBe(0);
  });
});
