/**
 * What the grader and its kernels cost the machine right now, measured from /proc (Linux): the
 * CPU time they used, the time they spent runnable but waiting for a core (the kernel scheduler's
 * run delay: what makes a timing-based test fail), their memory, and the memory still available.
 * The run delay is the saturation signal because it counts only our processes: other users' load
 * matters exactly as much as it delays our kernels. Elsewhere only the machine's busy fraction
 * (os.cpus) and free memory are known.
 */
import fs from 'node:fs';
import os from 'node:os';

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on every Linux build Node supports
const PAGE_BYTES = 4096;

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading: it no longer counts
  }
}

interface ProcStat {
  ppid: number;
  cpuMs: number;
  rssBytes: number;
}

function procStat(pid: string): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // the command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS,
    rssBytes: Number(fields[21]) * PAGE_BYTES
  };
}

/** Every process descending from `root`, itself included. */
function descendants(root: number): Map<string, ProcStat> {
  const all = new Map<string, ProcStat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(name);
    if (stat) all.set(name, stat);
  }
  const children = new Map<number, string[]>();
  for (const [pid, stat] of all) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  const ours = new Map<string, ProcStat>();
  const queue = [String(root)];
  while (queue.length) {
    const pid = queue.pop()!;
    const stat = all.get(pid);
    if (!stat || ours.has(pid)) continue;
    ours.set(pid, stat);
    queue.push(...(children.get(Number(pid)) ?? []));
  }
  return ours;
}

/** Run delay (ns → ms) of every thread of a process: /proc/PID/task/TID/schedstat's second field. */
function waitMsOf(pid: string): number {
  let total = 0;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    const text = readText(`/proc/${pid}/task/${tid}/schedstat`);
    if (text) total += Number(text.split(' ')[1]) / 1e6;
  }
  return total;
}

function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  return { busy, total };
}

/** Memory left under this process's cgroup v2 limit, bytes, when it has one. */
function cgroupMemoryLeft(): number | undefined {
  const max = readText('/sys/fs/cgroup/memory.max')?.trim();
  const current = Number(readText('/sys/fs/cgroup/memory.current'));
  if (!max || max === 'max' || !Number.isFinite(current)) return undefined;
  return Math.max(0, Number(max) - current);
}

const procReadable = process.platform === 'linux' && fs.existsSync(`/proc/${process.pid}/task`);

/** What our processes did between two readings. */
export interface LoadReading {
  /** ms since the previous reading */
  wallMs: number;
  /** cores our processes used on average (Linux), or the machine's busy cores elsewhere */
  coresUsed: number;
  /** how many of our processes' threads were waiting for a core on average; undefined off Linux */
  waiting: number | undefined;
  /** the machine's busy fraction, all users */
  machineBusy: number;
  /** resident memory of our processes now, bytes (0 when unknown) */
  rssBytes: number;
  /** memory still available for new processes, bytes */
  availableBytes: number;
  /** how many of our processes there are now */
  processes: number;
}

interface Counters {
  cpuMs: number;
  waitMs: number;
}

/**
 * Reads this process's tree (the grader and every kernel it started) each time it is asked.
 * Deltas are taken per process, so a kernel that ended between two readings neither takes its
 * CPU time with it nor counts twice.
 */
export class LoadMeter {
  private previous = new Map<string, Counters>();
  private previousAt = Date.now();
  private previousMachine = machineTimes();

  constructor(private readonly root = process.pid) {
    if (procReadable) this.read();
  }

  read(): LoadReading {
    const now = Date.now();
    const wallMs = Math.max(1, now - this.previousAt);
    const machine = machineTimes();
    const machineTotal = machine.total - this.previousMachine.total;
    const machineBusy = machineTotal > 0 ? (machine.busy - this.previousMachine.busy) / machineTotal : 0;
    this.previousAt = now;
    this.previousMachine = machine;
    // a container's limit is tighter than the machine's free memory it sees
    const availableBytes = Math.min(os.freemem(), cgroupMemoryLeft() ?? Infinity);
    if (!procReadable)
      return {
        wallMs,
        coresUsed: machineBusy * os.availableParallelism(),
        waiting: undefined,
        machineBusy,
        rssBytes: 0,
        availableBytes,
        processes: 0
      };
    const current = new Map<string, Counters>();
    let cpuMs = 0;
    let waitMs = 0;
    let rssBytes = 0;
    for (const [pid, stat] of descendants(this.root)) {
      const counters = { cpuMs: stat.cpuMs, waitMs: waitMsOf(pid) };
      current.set(pid, counters);
      const before = this.previous.get(pid) ?? { cpuMs: 0, waitMs: 0 };
      cpuMs += Math.max(0, counters.cpuMs - before.cpuMs);
      waitMs += Math.max(0, counters.waitMs - before.waitMs);
      rssBytes += stat.rssBytes;
    }
    this.previous = current;
    return {
      wallMs,
      coresUsed: cpuMs / wallMs,
      waiting: waitMs / wallMs,
      machineBusy,
      rssBytes,
      availableBytes,
      processes: current.size
    };
  }
}
