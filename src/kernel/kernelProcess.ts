/**
 * The kernel's OS process: spawned in its own process group (so signals and cleanup reach the
 * kernel *and* whatever it started, e.g. multiprocessing workers), with the tail of its
 * stdout/stderr kept for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { onProcessEnd } from './processCleanup.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** set when the executable could not be started at all (e.g. ENOENT) */
  spawnError?: Error;
}

/** Keeps the last `limit` characters written by the kernel. */
class OutputTail {
  private text = '';
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text.slice(-this.limit);
  }
}

export class KernelProcess {
  readonly exited: Promise<ProcessExit>;
  private exit?: ProcessExit;
  private readonly tail = new OutputTail(8192);
  private readonly child: ChildProcess;
  private forget: () => void = () => undefined;

  constructor(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }) {
    const [cmd, ...args] = argv as [string, ...string[]];
    this.child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      // own session/process group: Ctrl-C in our terminal does not hit the kernel, and we can
      // signal the whole group
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    // if Node ends without terminate(), the whole group goes with it
    if (this.child.pid !== undefined) this.forget = onProcessEnd(() => this.killLeftovers());
    this.child.stdout?.on('data', (d: Buffer) => this.tail.push(d));
    this.child.stderr?.on('data', (d: Buffer) => this.tail.push(d));
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once('error', err => {
        // 'error' without 'exit' means the process never started
        if (this.child.pid === undefined) {
          this.exit = { code: null, signal: null, spawnError: err };
          resolve(this.exit);
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  get exitInfo(): ProcessExit | undefined {
    return this.exit;
  }

  /** the last lines the kernel printed (stderr and stdout interleaved) */
  output(): string {
    return this.tail.toString();
  }

  /** Sends a signal to the whole process group. Returns false if nothing was there to signal. */
  signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // group gone; the leader may still be a zombie we have not reaped yet
      if (this.exit) return false;
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    }
  }

  /** Waits up to `ms` for the process to exit; true if it did. */
  async waitExit(ms: number): Promise<boolean> {
    if (this.exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>(r => (timer = setTimeout(() => r(false), ms)))
    ]);
    clearTimeout(timer);
    return done;
  }

  /**
   * SIGTERM to the group, then SIGKILL after `termWaitMs`; finally SIGKILL to any group member
   * left (children that outlived the kernel). Resolves once the kernel process is reaped.
   */
  async terminate(termWaitMs = 2000): Promise<void> {
    if (!this.exit) {
      this.signalGroup('SIGTERM');
      if (!(await this.waitExit(termWaitMs))) {
        this.signalGroup('SIGKILL');
        await this.waitExit(5000);
      }
    }
    this.killLeftovers();
    this.forget();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  /** SIGKILL whatever is left in the process group (the leader has exited). */
  killLeftovers(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    for (let i = 0; i < 3; i++) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        return;
      }
    }
  }
}
