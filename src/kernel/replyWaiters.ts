/**
 * Requests waiting for their reply (kernel_info, interrupt, shutdown, a shell request of the
 * grader's own), keyed by the request's msg_id, each with its own time limit.
 */
import type { JupyterMessage } from './wireProtocol.js';

interface Waiter {
  resolve: (message: JupyterMessage) => void;
  reject: (error: Error) => void;
}

export class ReplyWaiters {
  private readonly waiting = new Map<string, Waiter>();

  /**
   * Waits for the reply to the request `msgId` of type `type`, sent by `send`; rejects when no reply
   * comes within `timeoutMs`, when sending fails, or when `rejectAll` is called first.
   */
  wait(msgId: string, type: string, timeoutMs: number, send: () => Promise<void>): Promise<JupyterMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(msgId);
        reject(new Error(`no ${type.replace('_request', '_reply')} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.waiting.delete(msgId);
      };
      this.waiting.set(msgId, {
        resolve: message => {
          settle();
          resolve(message);
        },
        reject: error => {
          settle();
          reject(error);
        }
      });
      send().catch(error => this.waiting.get(msgId)?.reject(error as Error));
    });
  }

  /** Hands a reply to its waiter; false when nobody waits for it. */
  deliver(parentId: string, message: JupyterMessage): boolean {
    const waiter = this.waiting.get(parentId);
    waiter?.resolve(message);
    return waiter !== undefined;
  }

  rejectAll(error: Error): void {
    for (const waiter of [...this.waiting.values()]) waiter.reject(error);
  }
}
