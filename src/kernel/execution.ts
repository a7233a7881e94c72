/**
 * One execute_request in flight: its collected outputs, whether the reply and the idle status
 * have arrived, its single timer (timeout, then the bounded waits), and how it turns into an
 * ExecuteResult. The kernel backend decides when; this knows what.
 */
import type { ExecuteOptions, ExecuteResult } from './kernelClient.js';
import { OutputCollector, type DisplayRegistry } from './outputCollector.js';

export class Execution {
  readonly collector: OutputCollector;
  readonly started = Date.now();
  reply?: Record<string, unknown>;
  idle = false;
  timedOut = false;
  /** the reply or the idle status is in, and the bounded wait for the other has started */
  waitingForRest = false;
  private timer?: NodeJS.Timeout;
  private settled = false;
  resolve!: (r: ExecuteResult) => void;
  reject!: (e: Error) => void;
  readonly promise: Promise<ExecuteResult>;

  constructor(
    readonly msgId: string,
    readonly options: ExecuteOptions,
    displays: DisplayRegistry
  ) {
    this.collector = new OutputCollector(
      displays,
      options.maxOutputBytes ?? Number.POSITIVE_INFINITY,
      options.onOutput
    );
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  setTimer(ms: number, fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
  }

  clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get done(): boolean {
    return this.settled;
  }

  finish(incomplete: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    const c = this.collector;
    const reply = this.reply;
    const replyStatus = reply?.status;
    let status: ExecuteResult['status'] =
      replyStatus === 'ok' || replyStatus === 'error' || replyStatus === 'aborted'
        ? replyStatus
        : c.error
          ? 'error'
          : 'ok';
    let error = c.error;
    if (replyStatus === 'error' && typeof reply?.ename === 'string') {
      error = {
        ename: reply.ename,
        evalue: String(reply.evalue ?? ''),
        traceback: Array.isArray(reply.traceback) ? reply.traceback.map(String) : []
      };
    }
    if (!reply && !this.timedOut) {
      // idle without any execute_reply: nothing says the code succeeded (a thread can fake idle)
      status = 'error';
      error = { ename: 'NoReply', evalue: 'the kernel never replied to this request', traceback: [] };
    }
    if (this.timedOut) {
      status = 'timeout';
      error = {
        ename: 'CellTimeoutError',
        evalue: `The code did not finish within ${this.options.timeoutMs} ms and was interrupted.`,
        traceback: error?.traceback ?? []
      };
    }
    const executionCount = typeof reply?.execution_count === 'number' ? reply.execution_count : c.executionCount;
    this.resolve({
      status,
      executionCount,
      outputs: c.outputs,
      ...(status === 'ok' || status === 'aborted' || !error ? {} : { error }),
      incomplete: incomplete || (this.timedOut && !(this.reply && this.idle)),
      droppedBytes: c.droppedBytes,
      elapsedMs: Date.now() - this.started
    });
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.reject(error);
  }
}
