/**
 * Kernels for grading: each submission gets a fresh kernel, started in a fresh working directory
 * (a copy of the course folder without instructor material) and under OS limits; or, with
 * --server, a kernel on a Jupyter Server (where the server's own limits apply).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KernelClient } from '../kernel/kernelClient.js';
import { formatKernelCommand, getKernelSpec, type KernelSpec } from '../kernel/kernelSpec.js';
import { onProcessEnd } from '../kernel/processCleanup.js';
import { startKernel } from '../kernel/startKernel.js';
import { isolationProblem, KernelSandbox, type KernelLimits } from './kernelLimits.js';

export interface GradingKernel {
  readonly client: KernelClient;
  /** the kernel's working directory */
  readonly cwd: string;
  /** true when the kernel hit its memory limit (a death was the OOM killer, not a crash) */
  memoryExceeded(): boolean;
  /** after a restart: forget earlier limit events */
  resetCounters(): void;
  /** true when the process limit refused a fork/thread since the last call */
  processLimitHit(): boolean;
  /** kills the kernel and everything it started (before a restart after a fork bomb) */
  killAll(): Promise<void>;
  dispose(): Promise<void>;
}

export interface KernelFactory {
  /**
   * starts a kernel whose working directory mirrors `templateDir`, with the support files of
   * `overlayDir` copied over it (nbgrader copies the source folder's files over each submission's)
   */
  start(kernelName: string, templateDir: string | undefined, overlayDir?: string): Promise<GradingKernel>;
  readonly description: string;
}

/** Instructor material at the top of a course folder (nbgrader's layout): never copied. */
const INSTRUCTOR_DIRS = new Set(['source', 'release', 'submitted', 'autograded', 'feedback']);
/** Never copied from anywhere: tooling, caches, environments. */
const TOOLING_DIRS = new Set(['node_modules', '__pycache__', '.git', '.ipynb_checkpoints']);
const NOTEBOOK_OR_GRADEBOOK = /(\.ipynb|^gradebook\.(db|sqlite3?))$/i;
const MAX_COPY_BYTES = 256 * 1024 * 1024;

/**
 * Copies the support files of a folder (modules, data) into `dest`, never notebooks, gradebooks
 * or the `hidden` paths. The course folder (`course: true`) also keeps its instructor folders
 * and its dotfiles (a `.env` may hold secrets) to itself; an assignment's source folder gives
 * everything else, as nbgrader does. Symbolic links to files are followed.
 */
export function copySupportFiles(fromDir: string, dest: string, options: { course: boolean; hidden?: string[] }): void {
  const hidden = new Set((options.hidden ?? []).map(p => path.resolve(p)));
  let budget = MAX_COPY_BYTES;
  const visit = (from: string, to: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(from, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if ((options.course && entry.name.startsWith('.')) || hidden.has(src)) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(src);
      } catch {
        continue; // a dangling link
      }
      if (stat.isDirectory()) {
        if (entry.isSymbolicLink() || TOOLING_DIRS.has(entry.name) || entry.name.startsWith('.venv') || depth > 6) continue;
        if (options.course && depth === 0 && INSTRUCTOR_DIRS.has(entry.name)) continue;
        fs.mkdirSync(dst, { recursive: true });
        visit(src, dst, depth + 1);
      } else if (stat.isFile() && !NOTEBOOK_OR_GRADEBOOK.test(entry.name) && stat.size <= budget) {
        budget -= stat.size;
        fs.copyFileSync(src, dst);
      }
    }
  };
  visit(fromDir, dest, 0);
}

let sequence = 0;

/** The Python that runs a kernel spec (its launcher runs on it too); python3 for other kernels. */
function kernelPython(spec: KernelSpec): string {
  const first = formatKernelCommand(spec, '{connection_file}').argv[0]!;
  return /python[\d.]*$/.test(first) ? first : 'python3';
}

/**
 * The grader's environment variables a grading kernel gets: what Python, locales, numeric
 * libraries and the course need — an allow-list, since secrets have all kinds of names
 * (DATABASE_URL, AWS_ACCESS_KEY_ID…) — and among those never one that looks secret.
 */
const KERNEL_ENV = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_\w+|TZ|TERM|TMPDIR|PYTHON\w*|VIRTUAL_ENV|CONDA_\w+|LD_LIBRARY_PATH|JUPYTER_\w+|JPY_\w+|IPYTHONDIR|MPL\w+|OMP_NUM_THREADS|OPENBLAS_NUM_THREADS|MKL_NUM_THREADS|CPU_LIMIT|THREADLINE_\w+)$/;
const SECRET_NAME = /TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE_?KEY|AUTH/i;

/** Unsets, for the kernel, every variable of the grader's it should not get. */
function graderOnlyVariables(): Record<string, undefined> {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter(name => !KERNEL_ENV.test(name) || SECRET_NAME.test(name))
      .map(name => [name, undefined])
  );
}

export class LocalKernelFactory implements KernelFactory {
  readonly description = 'local kernels';

  constructor(
    private readonly limits: KernelLimits | undefined,
    private readonly env: Record<string, string> = {},
    /** run in templateDir itself instead of a copy (validate: the instructor's own notebook) */
    private readonly inPlace = false,
    /** files and folders the kernels must not see (sources, gradebook, submissions); needs limits */
    private readonly hidden?: string[]
  ) {}

  /** Null when kernels will be isolated from the hidden paths (or none were asked), else why not. */
  isolationProblem(kernelName: string): string | null {
    if (!this.hidden || !this.limits) return null;
    if (process.platform !== 'linux') return 'kernels can only be isolated on Linux';
    return isolationProblem(kernelPython(getKernelSpec(kernelName)));
  }

  async start(kernelName: string, templateDir: string | undefined, overlayDir?: string): Promise<GradingKernel> {
    const inPlace = this.inPlace && templateDir !== undefined;
    const cwd = inPlace ? path.resolve(templateDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-grade-'));
    // a grader stopped by a signal (Ctrl-C, SIGTERM) leaves no working copy behind
    const forgetCwd = inPlace ? () => undefined : onProcessEnd(() => fs.rmSync(cwd, { recursive: true, force: true }));
    if (templateDir && !inPlace) copySupportFiles(templateDir, cwd, { course: true, hidden: this.hidden });
    if (overlayDir && !inPlace && path.resolve(overlayDir) !== path.resolve(templateDir ?? '')) copySupportFiles(overlayDir, cwd, { course: false, hidden: this.hidden });
    let sandbox: KernelSandbox | undefined;
    try {
      const spec = getKernelSpec(kernelName);
      // grading kernels keep no IPython history: no SQLite file shared (and locked) between
      // parallel kernels, and nothing a later student cell could read hidden tests back from
      let launchSpec = spec.argv.some(arg => arg.includes('ipykernel')) ? { ...spec, argv: [...spec.argv, '--HistoryManager.enabled=False'] } : spec;
      if (this.limits) {
        const { argv } = formatKernelCommand(launchSpec, '{connection_file}');
        const python = kernelPython(spec);
        sandbox = new KernelSandbox(this.limits, python, `${++sequence}`);
        const hide = this.hidden && this.isolationProblem(kernelName) === null ? this.hidden : undefined;
        launchSpec = { ...launchSpec, argv: [...sandbox.argvPrefix(hide), ...argv] };
      }
      // a grading kernel (with limits) runs untrusted code: it gets only the variables it needs
      const env = { ...(this.limits ? graderOnlyVariables() : {}), PYTHONDONTWRITEBYTECODE: '1', ...this.env };
      const client = await startKernel({ spec: launchSpec, kernelName, cwd, env });
      const box = sandbox;
      return {
        client,
        cwd,
        memoryExceeded: () => box?.memoryExceeded() ?? false,
        resetCounters: () => box?.resetCounters(),
        processLimitHit: () => box?.processLimitHit() ?? false,
        killAll: async () => box?.killAll(),
        dispose: async () => {
          await client.shutdown().catch(() => undefined);
          await box?.dispose();
          if (!inPlace) fs.rmSync(cwd, { recursive: true, force: true, maxRetries: 3 });
          forgetCwd();
        }
      };
    } catch (error) {
      await sandbox?.dispose();
      if (!inPlace) fs.rmSync(cwd, { recursive: true, force: true });
      forgetCwd();
      throw error;
    }
  }
}
