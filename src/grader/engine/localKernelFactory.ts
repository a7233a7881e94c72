/**
 * Local grading kernels: each starts in a fresh working directory (a copy of the course folder
 * without instructor material) and, with limits, in a sandbox (OS limits, isolation).
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatKernelCommand, getKernelSpec, type KernelSpec } from '../../kernel/kernelSpec.js';
import { onProcessEnd } from '../../kernel/processCleanup.js';
import { startKernel } from '../../kernel/startKernel.js';
import { isolationProblem } from '../sandbox/isolation.js';
import { KernelSandbox } from '../sandbox/kernelSandbox.js';
import type { KernelLimits } from '../sandbox/limits.js';
import type { GradingKernel, KernelFactory } from './gradingKernel.js';
import { makeScratchDir } from './scratchDirs.js';
import { copySupportFiles } from './supportFiles.js';

let sequence = 0;

/** the largest message a grading kernel may send: what its output cap lets through, with room to spare */
const MAX_MESSAGE_BYTES = 16 * 1048576;

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
const KERNEL_ENV = new RegExp(
  '^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_\\w+|TZ|TERM|TMPDIR|PYTHON\\w*|VIRTUAL_ENV|CONDA_\\w+|' +
    'LD_LIBRARY_PATH|JUPYTER_\\w+|JPY_\\w+|IPYTHONDIR|MPL\\w+|OMP_NUM_THREADS|OPENBLAS_NUM_THREADS|MKL_NUM_THREADS|' +
    'CPU_LIMIT|THREADLINE_\\w+)$'
);
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
    private readonly hidden?: string[],
    /** isolated kernels keep the machine's network (else: a network namespace of their own, ZeroMQ over ipc) */
    private readonly allowNetwork = false
  ) {}

  /** Null when kernels will be isolated from the hidden paths (or none were asked), else why not. */
  isolationProblem(kernelName: string): string | null {
    if (!this.hidden || !this.limits) return null;
    if (process.platform !== 'linux') return 'kernels can only be isolated on Linux';
    return isolationProblem(kernelPython(getKernelSpec(kernelName)));
  }

  /** Null when grading kernels will have no network (or allowNetwork asked for it), else why they will. */
  networkProblem(kernelName: string): string | null {
    if (this.allowNetwork) return null;
    if (!this.limits) return 'kernels without limits are not isolated';
    if (!this.hidden) return 'kernels are not isolated';
    if (process.platform !== 'linux') return 'network namespaces exist only on Linux';
    return this.isolationProblem(kernelName) ?? isolationProblem(kernelPython(getKernelSpec(kernelName)), false);
  }

  async start(kernelName: string, templateDir: string | undefined, overlayDir?: string): Promise<GradingKernel> {
    const inPlace = this.inPlace && templateDir !== undefined;
    const cwd = inPlace ? path.resolve(templateDir) : makeScratchDir('grade');
    // a grader stopped by a signal (Ctrl-C, SIGTERM) leaves no working copy behind
    const forgetCwd = inPlace ? () => undefined : onProcessEnd(() => fs.rmSync(cwd, { recursive: true, force: true }));
    if (templateDir && !inPlace) copySupportFiles(templateDir, cwd, { course: true, hidden: this.hidden });
    if (overlayDir && !inPlace && path.resolve(overlayDir) !== path.resolve(templateDir ?? ''))
      copySupportFiles(overlayDir, cwd, { course: false, hidden: this.hidden });
    let sandbox: KernelSandbox | undefined;
    let sockets: string | undefined;
    let forgetSockets: () => void = () => undefined;
    try {
      const spec = getKernelSpec(kernelName);
      // grading kernels keep no IPython history: no SQLite file shared (and locked) between
      // parallel kernels, and nothing a later student cell could read hidden tests back from
      let launchSpec = spec.argv.some(arg => arg.includes('ipykernel'))
        ? { ...spec, argv: [...spec.argv, '--HistoryManager.enabled=False'] }
        : spec;
      if (this.limits) {
        const { argv } = formatKernelCommand(launchSpec, '{connection_file}');
        const python = kernelPython(spec);
        sandbox = new KernelSandbox(this.limits, python, `${++sequence}`);
        const hide = this.hidden && this.isolationProblem(kernelName) === null ? this.hidden : undefined;
        const network = this.allowNetwork || this.networkProblem(kernelName) !== null;
        // without a network the kernel reaches the grader only through Unix sockets in a folder of its own
        if (hide && !network) {
          const dir = makeScratchDir('ipc');
          sockets = dir;
          forgetSockets = onProcessEnd(() => fs.rmSync(dir, { recursive: true, force: true }));
        }
        const isolation = hide ? { hide, network, sockets } : undefined;
        launchSpec = { ...launchSpec, argv: [...sandbox.argvPrefix(isolation), ...argv] };
      }
      // a grading kernel (with limits) runs untrusted code: it gets only the variables it needs
      const env = { ...(this.limits ? graderOnlyVariables() : {}), PYTHONDONTWRITEBYTECODE: '1', ...this.env };
      const transport = sockets ? ({ transport: 'ipc', dir: sockets } as const) : undefined;
      // a message the kernel's output cap lets through is a few MB at most (1 MB of text, escaped)
      const maxMessageBytes = this.limits ? MAX_MESSAGE_BYTES : undefined;
      const client = await startKernel({ spec: launchSpec, kernelName, cwd, env, transport, maxMessageBytes });
      const socketDir = sockets;
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
          if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
          forgetSockets();
          if (!inPlace) fs.rmSync(cwd, { recursive: true, force: true, maxRetries: 3 });
          forgetCwd();
        }
      };
    } catch (error) {
      await sandbox?.dispose();
      if (sockets) fs.rmSync(sockets, { recursive: true, force: true });
      forgetSockets();
      if (!inPlace) fs.rmSync(cwd, { recursive: true, force: true });
      forgetCwd();
      throw error;
    }
  }
}
