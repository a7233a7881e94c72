/**
 * How a kernel is started under its limits: `python -c <launcher.py> CONFIG -- KERNEL ARGV…`. The
 * launcher sets rlimits, joins cgroups, isolates the kernel when asked, then becomes it (see
 * python/threadline_sandbox/launcher.py).
 */
import { sandboxModuleText } from './pythonPackage.js';

/** What the launcher reads from its CONFIG argument. */
export interface LauncherConfig {
  /** the grader's pid: a launcher whose parent is another process exits */
  grader: number;
  /** RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC (non-root only) */
  as?: number;
  cpu?: number;
  fsize?: number;
  nproc?: number;
  /** cgroup.procs files the launcher joins */
  cgroups?: string[];
  /** isolate the kernel (namespaces, a root of its own); these paths stay hidden even inside it */
  hide?: string[];
  /** with hide: false gives the kernel a network namespace of its own (a loopback, nothing else) */
  network?: boolean;
  /** with hide: a folder the kernel may write in, seen by both sides (its ipc sockets) */
  sockets?: string;
}

/** The arguments that make `python` run the launcher; the kernel's own argv follows them. */
export function launcherArgs(config: LauncherConfig): string[] {
  return ['-c', sandboxModuleText('launcher'), JSON.stringify(config), '--'];
}
