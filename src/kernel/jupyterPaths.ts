/**
 * Jupyter's data and runtime directories, searched in the same order as jupyter_core
 * (`jupyter_core.paths.jupyter_path`), so that a kernel spec name means here exactly what it
 * means to `jupyter kernelspec list` run from the same environment.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface JupyterPathOptions {
  /** the Python environment whose {prefix}/share/jupyter is searched (sys.prefix in jupyter_core) */
  prefix?: string;
  /** environment to read JUPYTER_PATH, JUPYTER_DATA_DIR, ... from (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

const SYSTEM_PATHS = ['/usr/local/share/jupyter', '/usr/share/jupyter'];

/** The repo's .venv (this file lives in src/kernel or lib/kernel), if it exists. */
function repoVenv(): string | undefined {
  const here = path.dirname(new URL(import.meta.url).pathname);
  const candidate = path.resolve(here, '..', '..', '.venv');
  return fs.existsSync(path.join(candidate, 'pyvenv.cfg')) ? candidate : undefined;
}

/** The interpreter of the first `jupyter` command on PATH (its shebang), else the first `python3`. */
function pathPython(env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    try {
      const shebang = /^#!\s*(\S+)/.exec(fs.readFileSync(path.join(dir, 'jupyter'), 'utf8').split('\n', 1)[0]!)?.[1];
      if (shebang && path.isAbsolute(shebang) && fs.existsSync(shebang)) return shebang;
    } catch {
      // no jupyter here
    }
  }
  return dirs.map(dir => path.join(dir, 'python3')).find(exe => fs.existsSync(exe));
}

const askedPrefixes = new Map<string, string | undefined>();

/** sys.prefix of that interpreter, asked once per interpreter. */
function pathPythonPrefix(env: NodeJS.ProcessEnv): string | undefined {
  const python = pathPython(env);
  if (!python) return undefined;
  if (!askedPrefixes.has(python)) {
    const asked = spawnSync(python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8', timeout: 10_000 });
    askedPrefixes.set(python, asked.status === 0 ? asked.stdout.trim() || undefined : undefined);
  }
  return askedPrefixes.get(python);
}

/**
 * The Python environment whose kernels count, found as a user's `jupyter` would see it: the
 * option, else an activated virtualenv ($VIRTUAL_ENV) or conda environment ($CONDA_PREFIX), else
 * this checkout's .venv (development), else the environment of the `jupyter` (or `python3`) on PATH.
 */
export function pythonPrefix(options: JupyterPathOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  return options.prefix ?? (env.VIRTUAL_ENV || env.CONDA_PREFIX || undefined) ?? repoVenv() ?? pathPythonPrefix(env);
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** jupyter_core.paths.jupyter_data_dir (Linux/Unix variant). */
export function jupyterDataDir(options: JupyterPathOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (process.platform === 'darwin') return path.join(home(env), 'Library', 'Jupyter');
  const xdg = env.XDG_DATA_HOME || path.join(home(env), '.local', 'share');
  return path.join(xdg, 'jupyter');
}

/** jupyter_core.paths.jupyter_runtime_dir. */
export function jupyterRuntimeDir(options: JupyterPathOptions = {}): string {
  const env = options.env ?? process.env;
  return env.JUPYTER_RUNTIME_DIR || path.join(jupyterDataDir(options), 'runtime');
}

/** jupyter_core's envset(): unset or one of the false-ish words means false. */
function envFlag(value: string | undefined): boolean {
  return value !== undefined && !['no', 'n', 'false', 'off', '0', '0.0'].includes(value.toLowerCase());
}

function ownedByMe(dir: string): boolean {
  try {
    return typeof process.geteuid !== 'function' || fs.statSync(dir).uid === process.geteuid();
  } catch {
    return false;
  }
}

/**
 * jupyter_core.paths.prefer_environment_over_user: JUPYTER_PREFER_ENV_PATH decides if set;
 * otherwise a virtualenv (or a non-base conda env) we own goes before the user directory.
 */
export function preferEnvironmentOverUser(options: JupyterPathOptions = {}): boolean {
  const env = options.env ?? process.env;
  if (env.JUPYTER_PREFER_ENV_PATH !== undefined) return envFlag(env.JUPYTER_PREFER_ENV_PATH);
  const prefix = pythonPrefix(options);
  if (!prefix) return false;
  if (fs.existsSync(path.join(prefix, 'pyvenv.cfg')) && ownedByMe(prefix)) return true;
  const conda = env.CONDA_PREFIX;
  return Boolean(
    conda && prefix.startsWith(conda) && (env.CONDA_DEFAULT_ENV ?? 'base') !== 'base' && ownedByMe(prefix)
  );
}

/**
 * jupyter_core.paths.jupyter_path: JUPYTER_PATH entries, then user and environment
 * directories (order per preferEnvironmentOverUser), then the system directories.
 */
export function jupyterPath(options: JupyterPathOptions = {}, ...subdirs: string[]): string[] {
  const env = options.env ?? process.env;
  const paths: string[] = [];
  if (env.JUPYTER_PATH) {
    for (const p of env.JUPYTER_PATH.split(path.delimiter)) {
      if (p) paths.push(p.replace(/\/+$/, '') || '/');
    }
  }
  const user = [jupyterDataDir(options)];
  const prefix = pythonPrefix(options);
  const envDirs = prefix ? [path.join(prefix, 'share', 'jupyter')].filter(p => !SYSTEM_PATHS.includes(p)) : [];
  if (preferEnvironmentOverUser(options)) paths.push(...envDirs, ...user);
  else paths.push(...user, ...envDirs);
  for (const p of SYSTEM_PATHS) if (!paths.includes(p)) paths.push(p);
  return subdirs.length ? paths.map(p => path.join(p, ...subdirs)) : paths;
}
