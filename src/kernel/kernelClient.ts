/**
 * The one interface every kernel backend implements: a local kernel over ZeroMQ
 * (`localKernel.ts`) and a remote one on a Jupyter Server (`remoteKernel.ts`).
 * The grader and the benchmarks only ever see this.
 */

/** An output in nbformat v4 shape, ready to be written into a notebook cell. */
export type Output =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | {
      output_type: 'display_data';
      data: MimeBundle;
      metadata: Record<string, unknown>;
      transient?: { display_id?: string };
    }
  | {
      output_type: 'execute_result';
      data: MimeBundle;
      metadata: Record<string, unknown>;
      execution_count: number | null;
    }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export type MimeBundle = Record<string, unknown>;

export interface ExecuteOptions {
  /**
   * after this long the kernel is interrupted and the result has status 'timeout'; the clock
   * starts when this execution is the oldest one pending (earlier queued ones do not count)
   */
  timeoutMs?: number;
  /** answers `input()`; without it `input()` raises a clear error in the kernel instead of hanging */
  stdin?: (prompt: string, password: boolean) => string | Promise<string>;
  /** abort queued executions after an error (the Jupyter default is true) */
  stopOnError?: boolean;
  silent?: boolean;
  storeHistory?: boolean;
  /** called for every output as it arrives (live progress) */
  onOutput?: (output: Output) => void;
  /** cap on the total bytes of text kept in `outputs`; the rest is counted in `droppedBytes` */
  maxOutputBytes?: number;
}

export interface ExecuteResult {
  /** 'ok' | 'error' from execute_reply; 'aborted' when skipped after an earlier error; 'timeout' when interrupted by us */
  status: 'ok' | 'error' | 'aborted' | 'timeout';
  executionCount: number | null;
  /** outputs with clear_output and update_display_data already applied, as a notebook would show them */
  outputs: Output[];
  /** set for 'error' and 'timeout' (then ename is 'CellTimeoutError' and evalue says the limit) */
  error?: { ename: string; evalue: string; traceback: string[] };
  /** true when the reply came but the matching `status: idle` did not arrive in time: outputs may be incomplete */
  incomplete: boolean;
  /** bytes of output dropped because of maxOutputBytes */
  droppedBytes: number;
  /** milliseconds from send to idle */
  elapsedMs: number;
}

export interface KernelInfo {
  protocolVersion: string;
  implementation: string;
  languageInfo: { name: string; version?: string; [key: string]: unknown };
  banner: string;
}

export interface KernelClient {
  /** the kernel spec name it was started from (or the server's kernel name) */
  readonly kernelName: string;
  /** resolves once the kernel answers kernel_info and iopub is connected */
  ready(): Promise<KernelInfo>;
  execute(code: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** a request of a type the kernel's own code registered, on the shell channel; resolves with its reply's content */
  shellRequest(type: string, content: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>>;
  interrupt(): Promise<void>;
  /** restart the same kernel; pending executions reject with KernelDiedError */
  restart(): Promise<void>;
  /** graceful shutdown, then SIGTERM, then SIGKILL; idempotent */
  shutdown(): Promise<void>;
  /** true until the kernel has died or been shut down */
  readonly alive: boolean;
  /** register a listener called once when the kernel dies unexpectedly; returns an unsubscribe function */
  onDeath(listener: (error: Error) => void): () => void;
}
