/** How a LocalKernel is launched (`LocalKernel.start`) or reached (`LocalKernel.connect`). */
import type { Transport } from './connectionFile.js';
import type { KernelSpec } from './kernelSpec.js';

export interface LocalKernelOptions {
  /** kernel spec name (case-insensitive); default 'python3' */
  kernelName?: string;
  /** an already resolved spec (wins over kernelName) */
  spec?: KernelSpec;
  /** working directory of the kernel (default: this process's) */
  cwd?: string;
  /** extra environment variables for the kernel, on top of this process's environment */
  env?: Record<string, string | undefined>;
  /** Python prefix used for kernel spec discovery and `python` in argv (default: see jupyterPaths' pythonPrefix) */
  prefix?: string;
  /**
   * the kernel's sockets (default tcp on 127.0.0.1); ipc puts them in a folder the caller owns, for
   * a kernel that has no network (its own network namespace) but sees that folder
   */
  transport?: Transport;
  /** messages larger than this are not received (default: no limit); a kernel that runs untrusted code gets one */
  maxMessageBytes?: number;
  /** where connection files go (default: Jupyter's runtime dir) */
  runtimeDir?: string;
  /** give up starting after this long (default 60 s) */
  startTimeoutMs?: number;
  /** after execute_reply, wait at most this long for `status: idle` (default 5 s), however much output still comes */
  idleWaitMs?: number;
  /** after a timeout interrupt, wait this long for the cell to stop (default 5 s) */
  interruptGraceMs?: number;
  /** after shutdown_request, wait this long before SIGTERM (default 3 s) */
  shutdownWaitMs?: number;
  /** relaunches with fresh ports when a port turned out to be taken (default 3) */
  portRetries?: number;
}

export interface ConnectOptions {
  kernelName?: string;
  idleWaitMs?: number;
  interruptGraceMs?: number;
  startTimeoutMs?: number;
  /** heartbeat: declare the kernel dead after this much silence (default 900 ms) */
  heartbeatDeadAfterMs?: number;
}
