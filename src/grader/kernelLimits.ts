/**
 * OS limits for one grading kernel, so a memory bomb, a fork bomb or a runaway CPU loop costs
 * only that submission: rlimits (address space, CPU seconds, file size, no core files, process
 * count for non-root users) set by a small Python launcher (kernel_launcher.py) that then
 * exec()s the kernel, plus a cgroup (v1 or v2: memory and pids) when this process may create one
 * — as root, RLIMIT_NPROC is not enforced, so the pids cgroup is what stops a fork bomb there.
 * The launcher can also isolate the kernel from the machine (namespaces, a root of its own).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Sets the limits, isolates the kernel when asked, then becomes it: see kernel_launcher.py. */
const LAUNCHER = fs.readFileSync(fileURLToPath(new URL('../../src/grader/kernel_launcher.py', import.meta.url)), 'utf8');

const isolationChecked = new Map<string, string | null>();

/**
 * Why kernels of `python` cannot be isolated on this machine (no namespaces for this user, a
 * locked /proc in a container…), or null when they can: the launcher is tried once, and its
 * "kernel" must be PID 1, see its own packages and not see a file of the grader's.
 */
export function isolationProblem(python: string): string | null {
  const known = isolationChecked.get(python);
  if (known !== undefined) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-isolation-'));
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'hidden tests');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  const check = 'import os, site, sys; print(os.getpid(), os.path.exists(sys.argv[1]), all(os.path.isdir(p) for p in site.getsitepackages()))';
  const run = spawnSync(python, ['-c', LAUNCHER, JSON.stringify({ hide: [secret], grader: process.pid }), '--', python, '-c', check, secret], { cwd: work, encoding: 'utf8', timeout: 20_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  const problem =
    run.stdout?.trim() === '1 False True' ? null : (run.error?.message ?? (run.stderr?.trim().split('\n').at(-1) || `the check printed ${JSON.stringify(run.stdout?.trim() ?? '')}`));
  isolationChecked.set(python, problem);
  return problem;
}

interface CgroupDir {
  dir: string;
  kind: 'memory' | 'pids' | 'unified';
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where this process may create child cgroups: [v1 memory dir, v1 pids dir] or [v2 dir]. */
function cgroupParents(): CgroupDir[] {
  let lines: string[];
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return [];
  }
  const found: CgroupDir[] = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(':') as [string, string, string];
    const list = controllers.split(',');
    if (list.includes('memory') || list.includes('pids')) {
      for (const kind of ['memory', 'pids'] as const) {
        if (!list.includes(kind)) continue;
        const dir = path.join('/sys/fs/cgroup', kind, rel);
        if (fs.existsSync(path.join(dir, 'cgroup.procs')) && writable(dir)) found.push({ dir, kind });
      }
    } else if (controllers === '' && lines.length === 1) {
      const dir = path.join('/sys/fs/cgroup', rel);
      try {
        const enabled = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8');
        if (enabled.includes('memory') && enabled.includes('pids') && writable(dir)) found.push({ dir, kind: 'unified' });
      } catch {
        // no v2 hierarchy we may use
      }
    }
  }
  return found;
}

let cachedParents: CgroupDir[] | undefined;

/** Removes the empty cgroups of graders that were killed (kill -9) before they could clean up. */
function removeStaleGroups(parents: CgroupDir[]): void {
  for (const parent of parents) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(parent.dir).filter(name => /^threadline-\d+-/.test(name));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = Number(name.split('-')[1]);
      let alive = true;
      try {
        process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (alive && owner !== process.pid) continue;
      if (owner === process.pid) continue;
      try {
        fs.rmdirSync(path.join(parent.dir, name));
      } catch {
        // still has processes: left alone
      }
    }
  }
}

/** The limits of one kernel: the argv prefix to launch it with, and what is left after it. */
export class KernelSandbox {
  private readonly groups: CgroupDir[] = [];

  constructor(
    readonly limits: KernelLimits,
    readonly python: string,
    id: string
  ) {
    if (!cachedParents) {
      cachedParents = cgroupParents();
      removeStaleGroups(cachedParents);
    }
    for (const parent of cachedParents) {
      const dir = path.join(parent.dir, `threadline-${process.pid}-${id}`);
      try {
        fs.mkdirSync(dir, { recursive: true });
        if (parent.kind === 'memory') {
          fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryMb * 1048576));
          try {
            fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryMb * 1048576));
          } catch {
            // swap accounting off: the memory limit alone applies
          }
        } else if (parent.kind === 'pids') {
          fs.writeFileSync(path.join(dir, 'pids.max'), String(limits.maxProcesses));
        } else {
          fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryMb * 1048576));
          fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
          fs.writeFileSync(path.join(dir, 'pids.max'), String(limits.maxProcesses));
        }
        this.groups.push({ dir, kind: parent.kind });
      } catch {
        try {
          fs.rmdirSync(dir);
        } catch {
          // not created
        }
      }
    }
  }

  /** True when memory is limited by a cgroup (so RLIMIT_AS can stay generous for thread stacks). */
  get memoryCgroup(): boolean {
    return this.groups.some(group => group.kind !== 'pids');
  }

  get pidsCgroup(): boolean {
    return this.groups.some(group => group.kind !== 'memory');
  }

  /** Prefix for the kernel argv: python -c LAUNCHER CONFIG -- kernel argv…; `hide`: isolate it (see LAUNCHER). */
  argvPrefix(hide?: string[]): string[] {
    const mb = 1048576;
    const config = {
      // with a memory cgroup, RLIMIT_AS only stops absurd reservations (threads reserve stacks)
      // without one, RLIMIT_AS is the limit, above the ~0.75 GB an idle ipykernel reserves
      as: (this.memoryCgroup ? Math.max(this.limits.memoryMb * 8, 16384) : this.limits.memoryMb + 1024) * mb,
      cpu: Math.ceil(this.limits.cpuSeconds),
      fsize: this.limits.maxFileMb * mb,
      nproc: this.limits.maxProcesses,
      cgroups: this.groups.map(group => path.join(group.dir, 'cgroup.procs')),
      grader: process.pid,
      ...(hide ? { hide } : {})
    };
    return [this.python, '-c', LAUNCHER, JSON.stringify(config), '--'];
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
      for (let attempt = 0; attempt < 250; attempt++) { // up to 5 s: a fork bomb keeps forking while it is killed
        let pids: number[] = [];
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
