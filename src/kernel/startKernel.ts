/**
 * The entry points other parts use: start a local kernel from a spec name, or attach to one
 * that is already running. Both resolve once the kernel is ready for execute(), with a
 * LocalKernel: a KernelClient plus pid, connection info and message counters.
 */
import { LocalKernel, type ConnectOptions, type LocalKernelOptions } from './localKernel.js';

export type StartKernelOptions = LocalKernelOptions;

/** Launches a kernel (default spec 'python3'), resolves when it is ready. */
export function startKernel(options: StartKernelOptions = {}): Promise<LocalKernel> {
  return LocalKernel.start(options);
}

/** Attaches to a kernel somebody else started, given its connection file. */
export function connectKernel(connectionFile: string, options: ConnectOptions = {}): Promise<LocalKernel> {
  return LocalKernel.connect(connectionFile, options);
}
