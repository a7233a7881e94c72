/**
 * Typed errors of the kernel layer. Each message says what went wrong and what to do,
 * so that the grader can show it to an instructor unchanged.
 */
import { KERNEL_NAME } from '../protocol/names.js';

/** Base class: lets callers catch every kernel-layer error with one `instanceof`. */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No kernel spec of that name in any Jupyter data directory. */
export class NoSuchKernelError extends KernelError {
  constructor(
    readonly kernelName: string,
    readonly available: string[],
    readonly searched: string[]
  ) {
    super(
      `no kernel named "${kernelName}" (found: ${available.length ? available.join(', ') : 'none'}; searched ${searched.join(', ')}). ` +
        (kernelName === KERNEL_NAME
          ? '`pip install threadline` into the Python environment that runs your kernels installs it; '
          : `\`python -m ipykernel install --sys-prefix --name ${kernelName}\` installs one; `) +
        'activate that environment first (VIRTUAL_ENV, CONDA_PREFIX) or set JUPYTER_PATH to a folder holding kernels/<name>/kernel.json.'
    );
  }
}

/** A kernel.json that cannot be used (unreadable, not JSON, no argv). */
export class InvalidKernelSpecError extends KernelError {
  constructor(
    readonly specFile: string,
    reason: string
  ) {
    super(`Kernel spec ${specFile} is invalid: ${reason}. Fix or remove that file.`);
  }
}

/** The kernel process could not be started or did not become ready in time. */
export class KernelStartError extends KernelError {
  constructor(
    message: string,
    /** the last lines the kernel wrote to stderr/stdout, if any */
    readonly output: string = ''
  ) {
    super(output ? `${message}\n--- kernel output (tail) ---\n${output}` : message);
  }
}

/** The kernel died (process exited, or heartbeat lost) while work was pending or afterwards. */
export class KernelDiedError extends KernelError {
  constructor(
    reason: string,
    readonly exitCode: number | null = null,
    readonly signal: string | null = null,
    readonly output: string = ''
  ) {
    super(
      `The kernel died: ${reason}. Call restart() to get a fresh kernel (all state is lost).` +
        (output ? `\n--- kernel output (tail) ---\n${output}` : '')
    );
  }
}

/** The kernel was shut down (by us) and cannot run code any more. */
export class KernelShutdownError extends KernelError {
  constructor(what: string) {
    super(`Cannot ${what}: the kernel has been shut down. Start a new kernel (or call restart()).`);
  }
}
