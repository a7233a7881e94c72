/**
 * How many kernels grade at once. `--jobs N` pins it; by default it starts at the effective core
 * count and follows what the grader's own processes measure (machineLoad.ts): notebooks about
 * concurrency mostly sleep and await, so while the cores idle another kernel costs nothing and
 * finishes the class sooner; when our processes start to wait for a core (what makes a timing
 * test fail) or memory runs short, fewer kernels start until it passes. Kernels already running
 * are never stopped: the limit only decides whether the next submission starts now.
 */
import os from 'node:os';
import { LoadMeter } from './machineLoad.js';

/** Why no more kernels ran: what held the limit while submissions were waiting. */
export type LimitReason = 'pinned' | 'servers' | 'cpu' | 'memory' | 'ceiling' | 'submissions';

export interface ConcurrencySummary {
  mode: 'auto' | 'fixed';
  /** kernels grading at once, averaged over the run's time */
  average: number;
  max: number;
  /** the limit's largest value */
  maxLimit: number;
  /** what held it most of the time */
  limitedBy: LimitReason;
  /** that, for a person */
  why: string;
  /** mean cores our processes used, and mean threads waiting for a core */
  coresUsed: number;
  waiting: number | undefined;
}

/** Tuning of the adaptive limit; the numbers were chosen on the course's notebooks (README). */
export interface AdaptiveSettings {
  cores: number;
  /** never more kernels than this (default 8 per core) */
  ceiling: number;
  /** ms between readings (default 500) */
  intervalMs: number;
  /** run delay per CPU ms above which the CPU counts as saturated for a timing test (default 1) */
  saturatedDelay: number;
  /** grow while our processes use less than this share of the cores (default 0.85) */
  busyShare: number;
  /**
   * grow only while the run delay per CPU ms stays below baseline × this + 0.5 (default 1.5),
   * shrink above baseline × twice this + 1: the baseline is what the first kernels, one per core,
   * met (other users' load included), so only the delay our extra kernels add holds them back
   */
  delayGrowth: number;
  /** memory kept free for the rest of the machine, bytes (default max(1 GiB, 10 %)) */
  reserveBytes: number;
  /** memory a kernel is assumed to take until one is measured, bytes (default 150 MB) */
  kernelBytes: number;
}

export function defaultSettings(cores: number): AdaptiveSettings {
  return {
    cores,
    ceiling: cores * 8,
    intervalMs: 500,
    saturatedDelay: 1,
    busyShare: 0.85,
    delayGrowth: 1.5,
    reserveBytes: Math.max(1024 ** 3, os.totalmem() * 0.1),
    kernelBytes: 150 * 1024 ** 2
  };
}

/** What the pool tells the policy at a decision: kernels running, submissions waiting for one. */
export interface PoolState {
  running: number;
  backlog: boolean;
}

/** Smoothed readings the policy decides on. */
export interface Load {
  /** cores our processes use */
  coresUsed: number;
  /** ms our threads waited for a core per CPU ms they got */
  delay: number;
  /** the delay met with one kernel per core (undefined until measured) */
  baseline: number | undefined;
  /** resident memory of our processes, and memory still available, bytes */
  rssBytes: number;
  availableBytes: number;
}

export interface Decision {
  limit: number;
  /** why it did not grow, when submissions were waiting */
  heldBy?: LimitReason;
}

/**
 * One step of the adaptive limit (pure, so tests can feed it readings): grow while our processes
 * leave cores idle and our extra kernels add little run delay, faster the more idle the cores;
 * shrink when the delay climbs (CPU saturated) or memory runs short.
 */
export function decide(limit: number, state: PoolState, load: Load, s: AdaptiveSettings): Decision {
  const floor = Math.min(s.cores, s.ceiling);
  const perKernel = state.running > 0 && load.rssBytes > 0 ? load.rssBytes / state.running : s.kernelBytes;
  const spare = load.availableBytes - s.reserveBytes;
  if (spare < 0) return { limit: Math.max(1, Math.floor(limit / 2)), heldBy: 'memory' };
  if (load.baseline === undefined) return { limit, heldBy: 'cpu' };
  if (load.delay > load.baseline * s.delayGrowth * 2 + 1)
    return { limit: Math.max(floor, limit - Math.max(1, Math.floor(limit / 4))), heldBy: 'cpu' };
  if (!state.backlog || state.running < limit) return { limit };
  if (load.delay > load.baseline * s.delayGrowth + 0.5 || load.coresUsed > s.cores * s.busyShare)
    return { limit, heldBy: 'cpu' };
  if (limit >= s.ceiling) return { limit, heldBy: 'ceiling' };
  const idle = 1 - load.coresUsed / s.cores;
  const step = idle > 0.5 ? Math.max(1, Math.ceil(limit / 2)) : 1;
  const affordable = Math.floor(spare / perKernel);
  if (affordable < 1) return { limit, heldBy: 'memory' };
  return { limit: Math.min(s.ceiling, limit + Math.min(step, affordable)) };
}

const REASON_TEXT: Record<LimitReason, string> = {
  pinned: 'it was pinned by --jobs',
  servers: "a server's load is not measured from here: a fixed number per server (--jobs sets it)",
  cpu: 'the CPU was saturated (our kernels were waiting for a core)',
  memory: 'memory was short',
  ceiling: 'that is the ceiling (8 kernels per core)',
  submissions: 'no more submissions were waiting'
};

/** Readings (at 500 ms: 2 s) that make the baseline delay. */
const BASELINE_READINGS = 4;

interface Saturation {
  at: number;
  delay: number;
}

export class Concurrency {
  private current: number;
  private readonly listeners = new Set<() => void>();
  private readonly meter: LoadMeter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: PoolState = { running: 0, backlog: true };
  private readonly history: Saturation[] = [];
  private readonly held = new Map<LimitReason, number>();
  private kernelMs = 0;
  private lastChange = Date.now();
  private readonly startedAt = Date.now();
  private maxRunning = 0;
  private maxLimit: number;
  private coresTotal = 0;
  private waitingTotal: number | undefined;
  private readings = 0;
  private smoothed: Load | undefined;
  private readonly baselineSamples: number[] = [];
  /** kernels reserved for quiet reruns: the limit drops to the cores while one runs */
  private quiet = 0;

  /**
   * `jobs` pins the limit; without it the limit adapts. `measure` false: no local readings (remote
   * kernels, whose load is on another machine).
   */
  constructor(
    readonly mode: 'auto' | 'fixed',
    start: number,
    private readonly settings: AdaptiveSettings,
    measure = true,
    /** what holds a fixed limit */
    private readonly pinnedBy: LimitReason = 'pinned'
  ) {
    this.current = Math.max(1, start);
    this.maxLimit = this.current;
    this.meter = measure ? new LoadMeter() : undefined;
  }

  static pinned(jobs: number, cores: number, measure = true, by: LimitReason = 'pinned'): Concurrency {
    return new Concurrency('fixed', jobs, defaultSettings(cores), measure, by);
  }

  static adaptive(settings: AdaptiveSettings): Concurrency {
    return new Concurrency('auto', settings.cores, settings);
  }

  /** Kernels that may grade at once now. */
  get limit(): number {
    return this.quiet > 0 ? Math.min(this.current, this.settings.cores) : this.current;
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  start(): void {
    if (!this.meter || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.account(Date.now());
  }

  /** The pool's state changed (a kernel started or finished, the backlog emptied). */
  report(state: PoolState): void {
    this.account(Date.now());
    this.state = state;
    this.maxRunning = Math.max(this.maxRunning, state.running);
  }

  /** A rerun that must not be disturbed: no more kernels than cores start until `release`. */
  holdQuiet(): () => void {
    this.quiet++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.quiet--;
      this.emit();
    };
  }

  /** The worst delay per core used that was read between two times (0 when none was). */
  saturationDuring(from: number, to: number): number {
    // a reading covers the interval before it
    return this.history
      .filter(s => s.at >= from && s.at <= to + this.settings.intervalMs)
      .reduce((worst, s) => Math.max(worst, s.delay), 0);
  }

  /** Whether that delay is the CPU being saturated. */
  isSaturated(delay: number): boolean {
    return delay > this.settings.saturatedDelay;
  }

  summary(): ConcurrencySummary {
    this.account(Date.now());
    const wall = Math.max(1, Date.now() - this.startedAt);
    let limitedBy: LimitReason = this.mode === 'fixed' ? this.pinnedBy : 'submissions';
    if (this.mode === 'auto') {
      let most = 0;
      for (const [reason, count] of this.held)
        if (count > most) {
          most = count;
          limitedBy = reason;
        }
    }
    return {
      mode: this.mode,
      average: this.kernelMs / wall,
      max: this.maxRunning,
      maxLimit: this.maxLimit,
      limitedBy,
      why: REASON_TEXT[limitedBy],
      coresUsed: this.readings ? this.coresTotal / this.readings : 0,
      waiting: this.waitingTotal !== undefined && this.readings ? this.waitingTotal / this.readings : undefined
    };
  }

  private account(now: number): void {
    this.kernelMs += this.state.running * (now - this.lastChange);
    this.lastChange = now;
  }

  private tick(): void {
    const reading = this.meter!.read();
    // off Linux there is no run delay: a machine over 90 % busy stands for a saturated CPU
    const delay =
      reading.waiting !== undefined
        ? reading.waiting / Math.max(reading.coresUsed, 0.1)
        : reading.machineBusy > 0.9
          ? this.settings.saturatedDelay * 2
          : 0;
    this.history.push({ at: Date.now(), delay });
    if (this.history.length > 20_000) this.history.splice(0, 10_000);
    this.readings++;
    this.coresTotal += reading.coresUsed;
    if (reading.waiting !== undefined) this.waitingTotal = (this.waitingTotal ?? 0) + reading.waiting;
    const smooth = (previous: number | undefined, value: number) =>
      previous === undefined ? value : previous * 0.5 + value * 0.5;
    this.smoothed = {
      coresUsed: smooth(this.smoothed?.coresUsed, reading.coresUsed),
      delay: smooth(this.smoothed?.delay, delay),
      baseline: this.smoothed?.baseline,
      rssBytes: reading.rssBytes,
      availableBytes: reading.availableBytes
    };
    if (this.mode === 'fixed') return;
    // the baseline: the median delay of the first readings, with one kernel per core
    if (this.baselineSamples.length < BASELINE_READINGS && this.state.running > 0) {
      this.baselineSamples.push(delay);
      if (this.baselineSamples.length === BASELINE_READINGS)
        this.smoothed.baseline = [...this.baselineSamples].sort((a, b) => a - b)[BASELINE_READINGS >> 1];
    }
    const decision = decide(this.current, this.state, this.smoothed, this.settings);
    if (decision.heldBy && this.state.backlog)
      this.held.set(decision.heldBy, (this.held.get(decision.heldBy) ?? 0) + 1);
    if (decision.limit !== this.current) {
      this.current = decision.limit;
      this.maxLimit = Math.max(this.maxLimit, this.current);
      this.emit();
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
