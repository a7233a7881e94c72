/**
 * Kernel spec discovery and command formatting, following jupyter_client's
 * KernelSpecManager: every `kernels/` directory on jupyter_core's path, first hit wins,
 * names compared case-insensitively.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidKernelSpecError, NoSuchKernelError } from './errors.js';
import { jupyterPath, pythonPrefix, type JupyterPathOptions } from './jupyterPaths.js';

export interface KernelSpec {
  /** lower-cased name, as jupyter_client reports it */
  name: string;
  /** directory holding kernel.json (substituted for {resource_dir}) */
  resourceDir: string;
  argv: string[];
  displayName: string;
  language: string;
  interruptMode: 'signal' | 'message';
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

export type KernelSpecOptions = JupyterPathOptions;

export function kernelSpecDirs(options: KernelSpecOptions = {}): string[] {
  return jupyterPath(options, 'kernels');
}

/** name -> resource dir of every kernel spec; the first directory on the path wins. */
export function findKernelSpecs(options: KernelSpecOptions = {}): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of kernelSpecDirs(options)) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const resourceDir = path.join(dir, entry.name);
      const key = entry.name.toLowerCase();
      // like jupyter_client: names outside [a-z0-9._-] are only warned about, not skipped
      if (found.has(key) || !isDirectory(resourceDir) || !fs.existsSync(path.join(resourceDir, 'kernel.json')))
        continue;
      found.set(key, resourceDir);
    }
  }
  return found;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function readKernelSpec(resourceDir: string, name = path.basename(resourceDir)): KernelSpec {
  const file = path.join(resourceDir, 'kernel.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidKernelSpecError(file, (err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null) throw new InvalidKernelSpecError(file, 'not a JSON object');
  const spec = raw as Record<string, unknown>;
  const argv = spec.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every(a => typeof a === 'string')) {
    throw new InvalidKernelSpecError(file, '"argv" must be a non-empty list of strings');
  }
  const env: Record<string, string> = {};
  if (spec.env && typeof spec.env === 'object') {
    for (const [k, v] of Object.entries(spec.env as Record<string, unknown>)) env[k] = String(v);
  }
  return {
    name: name.toLowerCase(),
    resourceDir,
    argv: argv as string[],
    displayName: typeof spec.display_name === 'string' ? spec.display_name : name,
    language: typeof spec.language === 'string' ? spec.language : '',
    interruptMode: spec.interrupt_mode === 'message' ? 'message' : 'signal',
    env,
    metadata: spec.metadata && typeof spec.metadata === 'object' ? (spec.metadata as Record<string, unknown>) : {}
  };
}

/**
 * Finds a kernel spec by name (case-insensitive) or throws NoSuchKernelError listing what exists.
 * "python" means python3, as in jupyter_client's KernelManager (older notebooks, nbgrader's own
 * examples among them, name their kernel "python").
 */
export function getKernelSpec(requested: string, options: KernelSpecOptions = {}): KernelSpec {
  const name = requested.toLowerCase() === 'python' ? NATIVE_KERNEL : requested;
  const specs = findKernelSpecs(options);
  const dir = specs.get(name.toLowerCase());
  if (dir) return readKernelSpec(dir, name);
  const native = name.toLowerCase() === NATIVE_KERNEL ? nativeKernelSpec(options) : undefined;
  if (native) return native;
  throw new NoSuchKernelError(name, [...specs.keys()].sort(), kernelSpecDirs(options));
}

const NATIVE_KERNEL = 'python3';

/**
 * jupyter_client's ensure_native_kernel: without an installed `python3` spec, the
 * environment's own ipykernel is still available under that name.
 */
function nativeKernelSpec(options: KernelSpecOptions): KernelSpec | undefined {
  const python = pythonIn(pythonPrefix(options));
  if (!python) return undefined;
  return {
    name: NATIVE_KERNEL,
    resourceDir: path.dirname(path.dirname(python)),
    argv: [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    displayName: 'Python 3 (ipykernel)',
    language: 'python',
    interruptMode: 'signal',
    env: {},
    metadata: {}
  };
}

/** Every kernel spec that can be found, by name. Unreadable specs are skipped. */
export function listKernelSpecs(options: KernelSpecOptions = {}): Map<string, KernelSpec> {
  const out = new Map<string, KernelSpec>();
  for (const [name, dir] of findKernelSpecs(options)) {
    try {
      out.set(name, readKernelSpec(dir, name));
    } catch {
      // jupyter_client logs and skips broken specs too
    }
  }
  return out;
}

function pythonIn(prefix: string | undefined): string | undefined {
  if (!prefix) return undefined;
  const exe = path.join(prefix, 'bin', 'python');
  return fs.existsSync(exe) ? exe : undefined;
}

/**
 * The prefix a spec belongs to: `<prefix>/share/jupyter/kernels/<name>` -> `<prefix>`, when
 * that prefix has its own Python; otherwise the configured prefix (sys.prefix in jupyter_client).
 */
function specPython(spec: KernelSpec, options: KernelSpecOptions): string | undefined {
  const kernelsDir = path.dirname(spec.resourceDir);
  const shareJupyter = path.dirname(kernelsDir);
  if (
    path.basename(kernelsDir) === 'kernels' &&
    path.basename(shareJupyter) === 'jupyter' &&
    path.basename(path.dirname(shareJupyter)) === 'share'
  ) {
    const own = pythonIn(path.dirname(path.dirname(shareJupyter)));
    if (own && !['/usr', '/usr/local'].includes(path.dirname(path.dirname(shareJupyter)))) return own;
  }
  return pythonIn(pythonPrefix(options));
}

/**
 * The names jupyter_client replaces by its own interpreter: `python`, `python3` and
 * `python3.X` for its own X (read from the environment's pyvenv.cfg), so a spec that asks for
 * another minor version keeps it.
 */
function pythonNamesFor(exe: string): string[] {
  const names = ['python', 'python3'];
  try {
    const cfg = fs.readFileSync(path.join(path.dirname(path.dirname(exe)), 'pyvenv.cfg'), 'utf8');
    const m = /^\s*version(?:_info)?\s*=\s*(\d+)\.(\d+)/m.exec(cfg);
    if (m) names.push(`python${m[1]}.${m[2]}`);
  } catch {
    // not a venv: only the unversioned names
  }
  return names;
}

/** string.Template.safe_substitute with the given variables: `$VAR`, `${VAR}`, `$$`. */
function templateSubstitute(value: string, vars: NodeJS.ProcessEnv): string {
  return value.replace(/\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\})/gi, (match, dollar, bare, braced) => {
    if (dollar) return '$';
    const v = vars[(bare ?? braced) as string];
    return v === undefined ? match : v;
  });
}

/**
 * The command line and environment to launch a spec, as jupyter_client formats them:
 * `{connection_file}`, `{resource_dir}`, `{prefix}` substituted (unknown fields kept), a bare
 * `python`/`python3`/`python3.X` argv[0] replaced by the environment's Python, and `$VAR`
 * references in the spec's env expanded from the launching environment.
 */
export function formatKernelCommand(
  spec: KernelSpec,
  connectionFile: string,
  options: KernelSpecOptions & { baseEnv?: NodeJS.ProcessEnv } = {}
): { argv: string[]; env: NodeJS.ProcessEnv } {
  const prefix = pythonPrefix(options) ?? '';
  const ns: Record<string, string> = { connection_file: connectionFile, resource_dir: spec.resourceDir, prefix };
  const argv = spec.argv.map(a => a.replace(/\{([A-Za-z0-9_]+)\}/g, (m, key: string) => ns[key] ?? m));
  const exe = /^python(\d+(\.\d+)?)?$/.test(argv[0]!) ? specPython(spec, options) : undefined;
  if (exe && pythonNamesFor(exe).includes(argv[0]!)) argv[0] = exe;
  const base = options.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(spec.env)) env[k] = templateSubstitute(v, base);
  return { argv, env };
}
