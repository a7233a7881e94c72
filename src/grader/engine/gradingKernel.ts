/**
 * What grading needs of a kernel: each submission gets a fresh one, local (localKernelFactory.ts:
 * a copy of the course folder, OS limits) or on a Jupyter Server (remoteKernelFactory.ts, where
 * the server's own limits apply).
 */
import type { KernelClient } from '../../kernel/kernelClient.js';

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
