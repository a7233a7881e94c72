/**
 * OS limits for one grading kernel, so a memory bomb, a fork bomb or a runaway CPU loop costs
 * only that submission: rlimits (address space, CPU seconds, file size, no core files, process
 * count for non-root users) set by a tiny Python launcher that then exec()s the kernel, plus a
 * cgroup (v1 or v2: memory and pids) when this process may create one — as root, RLIMIT_NPROC is
 * not enforced, so the pids cgroup is what stops a fork bomb there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

/**
 * Sets the rlimits, joins the cgroups, then becomes the kernel (argv after "--"). With `hide`, the
 * kernel first gets its own PID and mount namespaces (a user namespace too when not root):
 *
 * - it is PID 1 of a fresh /proc, so it sees neither the grader (its command line, environment)
 *   nor anything else on the machine, and everything it starts dies with it;
 * - the hidden files read as empty (/dev/null bound over them) and hidden folders as empty
 *   (a tmpfs), unless a folder holds what the kernel needs (its cwd, Python, the connection file);
 * - the cgroup hierarchy is read-only, so it cannot move itself out of its limits;
 * - it keeps no capabilities and cannot gain any (setuid binaries included), so it cannot undo
 *   any of this even as root.
 *
 * The launcher stays as the parent: it waits for the kernel and ends the same way, so the grader
 * sees the kernel's own exit. `isolationProblem()` checks once that this machine allows it all.
 */
const LAUNCHER = `
import ctypes, json, os, resource, signal, sys
cfg = json.loads(sys.argv[1])
argv = sys.argv[sys.argv.index("--") + 1:]
def limit(which, value):
    if value is None:
        return
    try:
        soft, hard = resource.getrlimit(which)
        value = min(value, hard) if hard != resource.RLIM_INFINITY else value
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass
if sys.platform == "linux":
    # the grader killed (kill -9): so is this process, kernel or launcher (ipykernel's own watch
    # on its parent would only see the launcher)
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != cfg["grader"]:
        os._exit(1)
limit(resource.RLIMIT_CORE, 0)
limit(resource.RLIMIT_AS, cfg.get("as"))
limit(resource.RLIMIT_CPU, cfg.get("cpu"))
limit(resource.RLIMIT_FSIZE, cfg.get("fsize"))
if os.getuid() != 0:
    limit(resource.RLIMIT_NPROC, cfg.get("nproc"))
for procs in cfg.get("cgroups", []):
    try:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    except OSError as e:
        print(f"threadline: could not join cgroup {procs}: {e}", file=sys.stderr)

def isolate(hide):
    libc = ctypes.CDLL(None, use_errno=True)
    def check(result, what):
        if result != 0:
            raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")
    def mount(source, target, fstype, flags, data=None):
        check(libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")
    MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
    root = os.getuid() == 0
    uid, gid = os.getuid(), os.getgid()
    check(libc.unshare(0x00020000 | 0x20000000 | (0 if root else 0x10000000)), "unshare")
    if not root:
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    kernel = os.fork()
    if kernel:  # the launcher: wait for the kernel, then end as it did
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel (same process group)
        while True:
            try:
                _, status = os.waitpid(kernel, 0)
                break
            except ChildProcessError:
                os._exit(1)
            except InterruptedError:
                continue
        if os.WIFSIGNALED(status):
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
            os.kill(os.getpid(), os.WTERMSIG(status))
        os._exit(os.waitstatus_to_exitcode(status))
    # the kernel, PID 1 of its namespace: any failure from here on ends it with the reason (the
    # grader checked beforehand that this machine allows all of it)
    check(libc.prctl(1, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")  # the launcher killed: so is the kernel
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    needed = [os.getcwd(), sys.prefix, sys.base_prefix, *[p for p in sys.path if p and os.path.isdir(p)]]
    needed += [os.path.dirname(os.path.abspath(a)) for a in argv if os.path.isfile(a)]
    for path in hide:
        path = os.path.realpath(path)
        if os.path.isdir(path):
            if not any(os.path.realpath(n) == path or os.path.realpath(n).startswith(path + os.sep) for n in needed):
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=555")
        elif os.path.exists(path):
            mount("/dev/null", path, None, MS_BIND)
    if root:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                point = line.split()[4]
                if point == "/sys/fs/cgroup" or point.startswith("/sys/fs/cgroup/"):
                    try:
                        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
                    except OSError:
                        pass
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP: nothing after exec, even as root
    check(libc.prctl(38, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")

if cfg.get("hide") is not None:
    try:
        isolate(cfg["hide"])
    except OSError as e:
        print(f"threadline: could not isolate the kernel ({e})", file=sys.stderr)
        os._exit(70)
os.execvp(argv[0], argv)
`;

const isolationChecked = new Map<string, string | null>();

/**
 * Why kernels of `python` cannot be isolated on this machine (no namespaces for this user, a
 * locked /proc in a container…), or null when they can: the launcher is tried once on a file it
 * must hide, and the "kernel" must be PID 1 and read it as empty.
 */
export function isolationProblem(python: string): string | null {
  const known = isolationChecked.get(python);
  if (known !== undefined) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-isolation-'));
  const secret = path.join(dir, 'secret.txt');
  fs.writeFileSync(secret, 'hidden tests');
  const check = 'import os, sys; print(os.getpid(), repr(open(sys.argv[1]).read()))';
  const run = spawnSync(python, ['-c', LAUNCHER, JSON.stringify({ hide: [secret], grader: process.pid }), '--', python, '-c', check, secret], { encoding: 'utf8', timeout: 20_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  const problem =
    run.stdout?.trim() === "1 ''" ? null : (run.error?.message ?? (run.stderr?.trim().split('\n').at(-1) || `the check printed ${JSON.stringify(run.stdout?.trim() ?? '')}`));
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
      for (let attempt = 0; attempt < 50; attempt++) {
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

  /** Resets the memory counters after a kernel restart inside the same sandbox. */
  resetCounters(): void {
    for (const group of this.groups) {
      if (group.kind !== 'memory') continue;
      try {
        fs.writeFileSync(path.join(group.dir, 'memory.failcnt'), '0');
      } catch {
        // not resettable on this kernel: memoryExceeded() may report a past event
      }
    }
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
