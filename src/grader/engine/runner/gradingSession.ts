/**
 * One notebook's run on its grading kernel: the guard installed and asked for its actions, the
 * notebook's deadline, the log of what happened, and restarts that replay the cells that ran
 * fine, so a kernel that dies costs only the cell where it happened.
 */
import type { ExecuteResult, KernelClient } from '../../../kernel/kernelClient.js';
import {
  GUARD_REQUEST,
  guardAnswer,
  guardSetup,
  randomToken,
  withCanary,
  type GuardAction
} from '../../sandbox/kernelGuard.js';
import { outputCapSetup } from '../../sandbox/outputCap.js';
import type { GradingKernel } from '../gradingKernel.js';
import type { RunLog } from './runLog.js';
import type { RunOptions } from './runOptions.js';

/** the guard's setup; its actions get at most this, and never beyond the notebook's deadline */
const GUARD_TIMEOUT_MS = 10_000;
/** after a timed-out cell's interrupt, how long the kernel has to answer before it is restarted */
const HEALTH_CHECK_MS = 5_000;

/** restarts after the kernel died again during the replay, before the replay is given up */
const REPLAY_ATTEMPTS = 3;

/** bytes of output a student's cell may keep however full the notebook's cap is (the kernel's note fits) */
const NOTE_ROOM = 256;

/** A test's code as sent, and the nonce its canary line calls the guard with. */
export interface CanaryTest {
  code: string;
  nonce: string;
}

export class GradingSession {
  private readonly secret = randomToken();
  private readonly setup: string;
  private readonly deadline: number;
  /** cells that ran fine, replayed after a restart */
  private readonly replay: string[] = [];
  /** bytes of output kept so far from the student's cells */
  private outputKept = 0;

  constructor(
    readonly kernel: GradingKernel,
    readonly options: RunOptions,
    readonly log: RunLog,
    started: number
  ) {
    // the cap first: the guard's snapshot then keeps it in place for every test
    this.setup =
      outputCapSetup(options.maxOutputBytes, options.maxNotebookOutputBytes) +
      guardSetup(options.protectedPaths, this.secret);
    this.deadline = started + options.notebookTimeoutMs;
  }

  get client(): KernelClient {
    return this.kernel.client;
  }

  /** ms left before the notebook's deadline (≤ 0: out of time) */
  timeLeft(): number {
    return this.deadline - Date.now();
  }

  /** Waits for the kernel and installs the guard, before any student code. */
  async start(): Promise<void> {
    await this.client.ready();
    const installed = await this.quiet(this.setup);
    if (installed?.status !== 'ok') {
      const why = installed?.error?.evalue ?? 'no reply';
      this.log.add('error', `the grading guard could not be installed (${why})`);
    }
  }

  /** Runs the grader's own code: silent, not in the history; undefined when the kernel did not answer. */
  private async quiet(code: string, timeoutMs = GUARD_TIMEOUT_MS): Promise<ExecuteResult | undefined> {
    try {
      return await this.client.execute(code, { silent: true, storeHistory: false, stopOnError: false, timeoutMs });
    } catch {
      return undefined;
    }
  }

  /** One of the guard's actions; false unless the real guard answered (not a student's stand-in). */
  async guard(action: GuardAction, extra: Record<string, string> = {}): Promise<boolean> {
    const nonce = randomToken();
    const timeoutMs = Math.max(1000, Math.min(GUARD_TIMEOUT_MS, this.timeLeft()));
    try {
      const reply = await this.client.shellRequest(GUARD_REQUEST, { action, nonce, ...extra }, timeoutMs);
      return reply.answer === guardAnswer(this.secret, nonce, action);
    } catch {
      return false;
    }
  }

  /** A test's source with its canary line, calling the guard's canary with a fresh nonce. */
  withCanary(source: string): CanaryTest {
    const nonce = randomToken();
    return { code: withCanary(source, this.secret, nonce), nonce };
  }

  /** Bytes of output a cell may keep: its own cap, and for a student's cell within what is left of the notebook's. */
  outputRoom(test: boolean): number {
    // never less than a line: room for the kernel's note that the notebook's cap was reached
    const left = Math.max(NOTE_ROOM, this.options.maxNotebookOutputBytes - this.outputKept);
    return test ? this.options.maxOutputBytes : Math.min(this.options.maxOutputBytes, left);
  }

  /** Counts what a student's cell kept against the notebook's cap. */
  keptOutput(bytes: number): void {
    this.outputKept += bytes;
  }

  /** A cell that ran fine: replayed after a restart. */
  remember(source: string): void {
    this.replay.push(source);
  }

  /** After a timed-out cell's interrupt: does the kernel still answer? */
  async responds(): Promise<boolean> {
    if (!this.client.alive) return false;
    return (await this.quiet('pass', HEALTH_CHECK_MS))?.status === 'ok';
  }

  /**
   * A fresh kernel with the guard, and the cells that ran fine run again (until one fails). A
   * kernel that dies while that happens (a remote server's restart gone wrong, a replayed cell's
   * thread) is restarted and the replay begun again, a few times.
   */
  async restart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.client.restart();
      this.kernel.resetCounters();
      const outcome = await this.replayCells();
      if (outcome === 'done') return;
      if (outcome === 'died' && attempt < REPLAY_ATTEMPTS && this.timeLeft() > 0) continue;
      if (outcome !== 'failed') await this.client.restart().then(() => this.quiet(this.setup));
      this.log.add('ok', 'after the restart, the cells before it could not all be run again');
      return;
    }
  }

  /** The guard and the replayed cells on a fresh kernel: how far that got ('done' too when the notebook's time is up). */
  private async replayCells(): Promise<'done' | 'failed' | 'died' | 'timeout'> {
    const installed = await this.quiet(this.setup);
    if (!this.client.alive) return 'died';
    if (installed?.status !== 'ok')
      this.log.add('error', 'the grading guard could not be installed again after a restart');
    for (const code of this.replay) {
      const left = this.timeLeft();
      if (left <= 0) return 'done';
      let again: ExecuteResult | undefined;
      try {
        const timeoutMs = Math.min(this.options.cellTimeoutMs, left);
        again = await this.client.execute(code, {
          silent: true,
          storeHistory: false,
          stopOnError: false,
          timeoutMs,
          maxOutputBytes: 0
        });
      } catch {
        again = undefined;
      }
      if (!this.client.alive) return 'died';
      if (again?.status === 'timeout') return 'timeout';
      if (again?.status !== 'ok') return 'failed';
    }
    return 'done';
  }
}
