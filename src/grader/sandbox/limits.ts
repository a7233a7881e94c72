/** The OS limits of one grading kernel, so a memory bomb, a fork bomb or a runaway loop costs only its submission. */

export interface KernelLimits {
  /** resident memory of the kernel and its children (cgroup) or address space (rlimit), MB */
  memoryMb: number;
  /** processes/threads the kernel may have at once */
  maxProcesses: number;
  /** CPU seconds per kernel process (rlimit; the kernel is killed by SIGXCPU/SIGKILL after) */
  cpuSeconds: number;
  /** largest file the kernel may write, MB */
  maxFileMb: number;
}

export const DEFAULT_LIMITS: KernelLimits = { memoryMb: 2048, maxProcesses: 256, cpuSeconds: 3600, maxFileMb: 256 };
