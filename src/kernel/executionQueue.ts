/**
 * The executions a kernel has been sent and not yet finished, oldest first. The kernel runs
 * them one at a time, so only the head's timeout clock runs. An execution finishes when both
 * its execute_reply and its idle status are in; the wait for the second is bounded once, so
 * output that keeps coming (a thread printing forever) cannot extend it.
 */
import type { Execution } from './execution.js';
import type { JupyterMessage } from './wireProtocol.js';

export interface ExecutionQueueOptions {
  /** how long to wait for the reply or idle that is still missing once the other is in */
  idleWaitMs: number;
  /** how long an interrupted execution may take to answer before it is given up */
  interruptGraceMs: number;
  /** interrupts the kernel when the head runs out of time */
  interrupt: () => Promise<void>;
}

export class ExecutionQueue {
  private readonly byId = new Map<string, Execution>();
  private readonly order: Execution[] = [];

  constructor(private readonly options: ExecutionQueueOptions) {}

  get(msgId: string | undefined): Execution | undefined {
    return msgId === undefined ? undefined : this.byId.get(msgId);
  }

  add(exec: Execution): void {
    this.byId.set(exec.msgId, exec);
    this.order.push(exec);
    if (this.order.length === 1) this.armHead();
  }

  /** Drops an execution the kernel never received, failing it with `error`. */
  abandon(exec: Execution, error: Error): void {
    const wasHead = this.remove(exec);
    exec.fail(error);
    if (wasHead) this.armHead();
  }

  /** Fails every pending execution (the kernel died, restarted or was shut down). */
  failAll(error: Error): void {
    for (const exec of this.byId.values()) exec.fail(error);
    this.byId.clear();
    this.order.length = 0;
  }

  onIopub(exec: Execution, message: JupyterMessage): void {
    const type = message.header.msg_type;
    if (type === 'status') {
      if (message.content.execution_state === 'idle') {
        exec.idle = true;
        this.progress(exec);
      }
      return;
    }
    exec.collector.handle(type, message.content);
  }

  onReply(exec: Execution, content: Record<string, unknown>): void {
    exec.reply = content;
    this.progress(exec);
  }

  private progress(exec: Execution): void {
    if (exec.done) return;
    if (exec.reply && exec.idle) {
      this.complete(exec, false);
      return;
    }
    if (exec.timedOut || exec.waitingForRest) return; // a timer already bounds the wait
    exec.waitingForRest = true;
    exec.setTimer(this.options.idleWaitMs, () => this.complete(exec, true));
  }

  private remove(exec: Execution): boolean {
    this.byId.delete(exec.msgId);
    const i = this.order.indexOf(exec);
    if (i >= 0) this.order.splice(i, 1);
    return i === 0;
  }

  private complete(exec: Execution, incomplete: boolean): void {
    const wasHead = this.remove(exec);
    exec.finish(incomplete);
    if (wasHead) this.armHead();
  }

  /** Starts the timeout clock of the oldest pending execution (the one the kernel is running). */
  private armHead(): void {
    const head = this.order[0];
    if (!head || head.timedOut || head.reply || head.idle) return;
    const ms = head.options.timeoutMs;
    if (ms === undefined || !Number.isFinite(ms)) return;
    head.setTimer(ms, () => void this.onTimeout(head));
  }

  private async onTimeout(exec: Execution): Promise<void> {
    if (exec.done) return;
    exec.timedOut = true;
    exec.setTimer(this.options.interruptGraceMs, () => this.complete(exec, true));
    try {
      await this.options.interrupt();
    } catch {
      // the grace timer still bounds the wait
    }
    // the reply/idle of the interrupted cell completes it through progress()
    if (exec.reply && exec.idle) this.complete(exec, false);
  }
}
