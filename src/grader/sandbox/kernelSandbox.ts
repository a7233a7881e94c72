/**
 * One grading kernel's sandbox: its cgroups (memory, pids) and the launcher argv that sets its
 * rlimits and isolates it; afterwards, what the limits stopped (an OOM kill, refused forks).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createGroups, type CgroupDir } from './cgroups.js';
import { launcherArgs, type LauncherConfig } from './launcher.js';
import type { KernelLimits } from './limits.js';

/** How a kernel is isolated: what stays hidden, whether it has a network, where its ipc sockets go (without one). */
export interface Isolation {
  hide: string[];
  network: boolean;
  sockets?: string;
}

/** The limits of one kernel: the argv prefix to launch it with, and what is left after it. */
export class KernelSandbox {
  private readonly groups: CgroupDir[];

  constructor(
    readonly limits: KernelLimits,
    readonly python: string,
    id: string
  ) {
    this.groups = createGroups(id, limits);
  }

  /** True when memory is limited by a cgroup (so RLIMIT_AS can stay generous for thread stacks). */
  get memoryCgroup(): boolean {
    return this.groups.some(group => group.kind !== 'pids');
  }

  get pidsCgroup(): boolean {
    return this.groups.some(group => group.kind !== 'memory');
  }

  /**
   * Prefix for the kernel argv: python -c LAUNCHER CONFIG -- kernel argv…; `isolation`: isolate it
   * (see launcher.ts), without a network unless it says so.
   */
  argvPrefix(isolation?: Isolation): string[] {
    const mb = 1048576;
    const config: LauncherConfig = {
      // with a memory cgroup, RLIMIT_AS only stops absurd reservations (threads reserve stacks)
      // without one, RLIMIT_AS is the limit, above the ~0.75 GB an idle ipykernel reserves
      as: (this.memoryCgroup ? Math.max(this.limits.memoryMb * 8, 16384) : this.limits.memoryMb + 1024) * mb,
      cpu: Math.ceil(this.limits.cpuSeconds),
      fsize: this.limits.maxFileMb * mb,
      nproc: this.limits.maxProcesses,
      cgroups: this.groups.map(group => path.join(group.dir, 'cgroup.procs')),
      grader: process.pid,
      ...(isolation ? { hide: isolation.hide, network: isolation.network, sockets: isolation.sockets } : {})
    };
    return [this.python, ...launcherArgs(config)];
  }

  /** True when the kernel was killed or refused memory because of its memory limit. */
  memoryExceeded(): boolean {
    for (const group of this.groups) {
      try {
        if (group.kind === 'memory') {
          const oom = fs.readFileSync(path.join(group.dir, 'memory.oom_control'), 'utf8');
          if (/oom_kill [1-9]/.test(oom)) return true;
          if (Number(fs.readFileSync(path.join(group.dir, 'memory.failcnt'), 'utf8')) > 0) return true;
        } else if (group.kind === 'unified') {
          const events = fs.readFileSync(path.join(group.dir, 'memory.events'), 'utf8');
          if (/\b(oom_kill|max) [1-9]/.test(events)) return true;
        }
      } catch {
        // cgroup gone
      }
    }
    return false;
  }

  private pidsEvents = 0;

  /** True when the process limit refused a fork/thread since the last call (a fork bomb). */
  processLimitHit(): boolean {
    let events = 0;
    for (const group of this.groups) {
      if (group.kind === 'memory') continue;
      try {
        events += Number(/max (\d+)/.exec(fs.readFileSync(path.join(group.dir, 'pids.events'), 'utf8'))?.[1] ?? 0);
      } catch {
        // cgroup gone
      }
    }
    const hit = events > this.pidsEvents;
    this.pidsEvents = events;
    return hit;
  }

  /** SIGKILLs every process in the sandbox (the kernel included). */
  async killAll(): Promise<void> {
    for (const group of this.groups) {
      // up to 5 s: a fork bomb keeps forking while it is killed
      for (let attempt = 0; attempt < 250; attempt++) {
        let pids: number[];
        try {
          pids = fs.readFileSync(path.join(group.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        } catch {
          break;
        }
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    }
  }

  /** Forgets earlier limit events (memory, refused forks) after a kernel restart inside the same sandbox. */
  resetCounters(): void {
    for (const group of this.groups) {
      if (group.kind !== 'memory') continue;
      try {
        fs.writeFileSync(path.join(group.dir, 'memory.failcnt'), '0');
      } catch {
        // not resettable on this kernel: memoryExceeded() may report a past event
      }
    }
    // refused forks counted while a fork bomb was being killed belong to it, not to the next cell
    this.processLimitHit();
  }

  /** Kills whatever is left in the cgroups (fork-bomb children) and removes them. */
  async dispose(): Promise<void> {
    await this.killAll();
    for (const group of this.groups) {
      try {
        fs.rmdirSync(group.dir);
      } catch {
        // still busy (zombies being reaped): the kernel will clean up empty cgroups eventually
      }
    }
  }
}
