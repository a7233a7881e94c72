/**
 * The entry points other parts use: start a local kernel from a spec name, or attach to one
 * that is already running. Both resolve once the kernel is ready for execute().
 */
import type { KernelClient } from './kernelClient.js';
import { LocalKernel, type ConnectOptions, type LocalKernelOptions } from './localKernel.js';

export type StartKernelOptions = LocalKernelOptions;

/** Launches a kernel (default spec 'python3'), resolves when it is ready. */
export function startKernel(options: StartKernelOptions = {}): Promise<KernelClient> {
  return LocalKernel.start(options);
}

/** Attaches to a kernel somebody else started, given its connection file. */
export function connectKernel(connectionFile: string, options: ConnectOptions = {}): Promise<KernelClient> {
  return LocalKernel.connect(connectionFile, options);
}
