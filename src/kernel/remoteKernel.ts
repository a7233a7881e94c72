/**
 * A kernel on a Jupyter Server (a JupyterHub user server, Enterprise Gateway…) driven through
 * @jupyterlab/services from Node: REST calls with Node's fetch, the kernel channels over the `ws`
 * WebSocket. Same KernelClient contract as the local backend.
 */
import { KernelAPI, KernelConnection, KernelMessage, ServerConnection, type Kernel } from '@jupyterlab/services';
import WebSocket from 'ws';
import { KernelDiedError, KernelShutdownError, KernelStartError } from './errors.js';
import type { ExecuteOptions, ExecuteResult, KernelClient, KernelInfo } from './kernelClient.js';
import { DisplayRegistry, OutputCollector } from './outputCollector.js';
import { startRefusal } from './remoteStartRefusal.js';

export interface RemoteKernelOptions {
  /** server base URL, e.g. http://127.0.0.1:8888/ or https://hub.example.org/user/alice/ */
  baseUrl: string;
  token?: string;
  kernelName?: string;
  /** folder the kernel starts in, relative to the server's root (default: the server's root) */
  path?: string;
  /** after a timeout interrupt, wait this long for the cell to stop (default 5 s) */
  interruptGraceMs?: number;
  /** give up starting after this long (default 60 s) */
  startTimeoutMs?: number;
}

/** Server settings for Node: fetch and WebSocket from Node, token auth in the header. */
export function nodeServerSettings(baseUrl: string, token = ''): ServerConnection.ISettings {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return ServerConnection.makeSettings({
    baseUrl: base,
    wsUrl: base.replace(/^http/, 'ws'),
    token,
    appendToken: true,
    fetch: globalThis.fetch.bind(globalThis),
    Request: globalThis.Request,
    Headers: globalThis.Headers,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    init: { cache: 'no-store' } as RequestInit
  });
}

let rejectionGuardInstalled = false;

/**
 * When the server restarts a kernel by itself, KernelConnection starts a reconnect() and a
 * kernel_info request whose promises nobody awaits; a later shutdown or restart rejects them
 * ("Kernel connection disconnected", "Canceled future for kernel_info_request message…") and Node
 * would end the process for an unhandled rejection. Those are expected: swallow them, and let
 * every other unhandled rejection crash as before.
 */
function ignoreOrphanedReconnects(): void {
  if (rejectionGuardInstalled) return;
  rejectionGuardInstalled = true;
  process.on('unhandledRejection', reason => {
    if (
      reason instanceof Error &&
      (reason.message === 'Kernel connection disconnected' ||
        /^Canceled future for \w+ message before replies were done$/.test(reason.message))
    )
      return;
    setImmediate(() => {
      throw reason;
    });
  });
}

/** how long one kernel_info request may go unanswered before it is sent again */
const KERNEL_INFO_WAIT_MS = 3000;

export class RemoteKernel implements KernelClient {
  readonly kernelName: string;
  private isAlive = false;
  private closed = false;
  private restartingByUs = false;
  /**
   * The session id of the kernel process in use. Every message a kernel sends carries its
   * process's session, so a reply from another session means the server replaced the process.
   */
  private kernelSession = '';
  /** sessions of kernel processes that are gone: their late messages mean nothing */
  private readonly pastSessions = new Set<string>();
  /** the server's own restarter is bringing a dead kernel back: asking it to restart too would race it */
  private serverRestarting = false;
  private kernelInfo?: KernelInfo;
  private readonly displays = new DisplayRegistry();
  private readonly deathListeners = new Set<(error: Error) => void>();
  private readonly pending = new Set<(error: Error) => void>();

  private constructor(
    private connection: Kernel.IKernelConnection,
    private readonly options: RemoteKernelOptions
  ) {
    this.kernelName = connection.name;
    this.watch(connection);
  }

  /**
   * Deaths the server tells of: its restarter saw the process die and starts another
   * ('restarting', then 'autorestarting'), or it gave up ('dead'); or, if that status was lost
   * with a dropped WebSocket, a shell reply from a kernel process that is not ours.
   */
  private watch(connection: Kernel.IKernelConnection): void {
    connection.statusChanged.connect((sender, status) => {
      if (this.closed || this.restartingByUs || sender !== this.connection) return;
      if (status === 'restarting' || status === 'autorestarting') {
        this.serverRestarting = true;
        this.die(new KernelDiedError('it died and the server is restarting it'));
      } else if (status === 'dead') this.die(new KernelDiedError('the server reports it dead'));
    });
    connection.anyMessage.connect((sender, { msg, direction }) => {
      if (direction !== 'recv' || msg.channel !== 'shell' || sender !== this.connection) return;
      if (this.closed || this.restartingByUs || !this.kernelSession) return;
      const session = msg.header.session;
      if (session === this.kernelSession || this.pastSessions.has(session)) return;
      this.serverRestarting = true;
      this.die(new KernelDiedError('the server replaced the kernel process'));
    });
  }

  /** Starts a kernel on the server and connects to it. */
  static async start(options: RemoteKernelOptions): Promise<RemoteKernel> {
    ignoreOrphanedReconnects();
    const connection = await RemoteKernel.connectNew(options);
    const kernel = new RemoteKernel(connection, options);
    try {
      await kernel.newKernelAnswers(Date.now() + kernel.startTimeoutMs);
      kernel.isAlive = true;
    } catch (error) {
      await kernel.shutdown();
      throw error;
    }
    return kernel;
  }

  private static async connectNew(options: RemoteKernelOptions): Promise<Kernel.IKernelConnection> {
    const serverSettings = nodeServerSettings(options.baseUrl, options.token);
    let model: Kernel.IModel;
    try {
      // Jupyter Server starts the kernel in `path` (POST /api/kernels takes it beside the name)
      const request = {
        name: options.kernelName ?? '',
        ...(options.path ? { path: options.path } : {})
      } as KernelAPI.IKernelOptions;
      model = await KernelAPI.startNew(request, serverSettings);
    } catch (error) {
      throw new KernelStartError(startRefusal(options, error));
    }
    return new KernelConnection({ model, serverSettings, handleComms: false });
  }

  private get startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 60_000;
  }

  get alive(): boolean {
    return this.isAlive && !this.closed;
  }

  async ready(): Promise<KernelInfo> {
    if (this.closed) throw new KernelShutdownError('wait for readiness');
    if (!this.isAlive || !this.kernelInfo) throw new KernelDiedError('it is not running (it died earlier)');
    return this.kernelInfo;
  }

  /**
   * Waits until a kernel process other than the ones before answers kernel_info (its busy/idle
   * on iopub included: the services wait for both) and makes it the kernel in use. A request
   * sent while the WebSocket reconnects, or to a kernel still starting, is sent again.
   */
  private async newKernelAnswers(deadline: number): Promise<KernelInfo> {
    const before = this.kernelSession;
    for (;;) {
      const connection = this.connection;
      if (connection.isDisposed || connection.status === 'dead')
        throw new KernelDiedError('the server reports it dead');
      let timer: NodeJS.Timeout | undefined;
      const reply = await Promise.race([
        connection.requestKernelInfo().catch(() => undefined),
        new Promise<undefined>(resolve => {
          timer = setTimeout(() => resolve(undefined), KERNEL_INFO_WAIT_MS);
        })
      ]).finally(() => clearTimeout(timer));
      const session = reply?.header.session;
      if (reply?.content.status === 'ok' && session && session !== before && !this.pastSessions.has(session)) {
        if (before) this.pastSessions.add(before);
        this.kernelSession = session;
        const info = reply.content;
        this.kernelInfo = {
          protocolVersion: info.protocol_version,
          implementation: info.implementation,
          languageInfo: info.language_info as KernelInfo['languageInfo'],
          banner: info.banner
        };
        return this.kernelInfo;
      }
      if (Date.now() > deadline)
        throw new KernelStartError(
          `The remote kernel did not answer kernel_info within ${Math.round(this.startTimeoutMs / 1000)} s. ` +
            'The server may be overloaded (raise startTimeoutMs) or the kernel is stuck starting.'
        );
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  }

  private failPending(error: Error): void {
    for (const fail of [...this.pending]) fail(error);
    this.pending.clear();
  }

  private die(error: Error): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    this.failPending(error);
    for (const listener of [...this.deathListeners]) {
      try {
        listener(error);
      } catch {
        // a listener's bug is not ours to crash on
      }
    }
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    if (this.closed) throw new KernelShutdownError('execute code');
    if (!this.isAlive) throw new KernelDiedError('it is not running (it died earlier)');
    const started = Date.now();
    const collector = new OutputCollector(
      this.displays,
      options.maxOutputBytes ?? Number.POSITIVE_INFINITY,
      options.onOutput
    );
    const future = this.connection.requestExecute(
      {
        code,
        silent: options.silent ?? false,
        store_history: options.storeHistory ?? !(options.silent ?? false),
        allow_stdin: options.stdin !== undefined,
        stop_on_error: options.stopOnError ?? true
      },
      true
    );
    future.onIOPub = msg => {
      collector.handle(msg.header.msg_type, msg.content as Record<string, unknown>);
    };
    if (options.stdin) {
      const answer = options.stdin;
      future.onStdin = async msg => {
        if (msg.header.msg_type !== 'input_request') return;
        const content = msg.content as KernelMessage.IInputRequestMsg['content'];
        future.sendInputReply(
          { status: 'ok', value: await answer(content.prompt, content.password) },
          msg.header as KernelMessage.IInputRequestMsg['header']
        );
      };
    }
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let failPending!: (error: Error) => void;
    const died = new Promise<never>((_, reject) => {
      failPending = reject;
    });
    this.pending.add(failPending);
    const timeout = new Promise<'timeout'>(resolve => {
      if (options.timeoutMs === undefined) return;
      timer = setTimeout(() => {
        timedOut = true;
        this.interrupt().catch(() => undefined);
        // give the interrupted cell a moment to reply; after that, report without it
        timer = setTimeout(() => resolve('timeout'), this.options.interruptGraceMs ?? 5000);
      }, options.timeoutMs);
    });
    let reply: KernelMessage.IExecuteReplyMsg | 'timeout';
    try {
      reply = await Promise.race([future.done as Promise<KernelMessage.IExecuteReplyMsg>, timeout, died]);
    } catch (error) {
      if (error instanceof KernelDiedError) throw error;
      if (this.closed) throw new KernelShutdownError('finish the execution');
      throw new KernelDiedError(`the execution was cancelled (${(error as Error).message})`);
    } finally {
      clearTimeout(timer);
      this.pending.delete(failPending);
    }
    const content = reply === 'timeout' ? undefined : (reply.content as unknown as Record<string, unknown>);
    let status: ExecuteResult['status'] =
      content?.status === 'ok' || content?.status === 'error' || content?.status === 'aborted'
        ? content.status
        : collector.error
          ? 'error'
          : 'ok';
    let error = collector.error;
    if (content?.status === 'error') {
      error = {
        ename: String(content.ename ?? ''),
        evalue: String(content.evalue ?? ''),
        traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : []
      };
    }
    if (timedOut) {
      status = 'timeout';
      error = {
        ename: 'CellTimeoutError',
        evalue: `The code did not finish within ${options.timeoutMs} ms and was interrupted.`,
        traceback: error?.traceback ?? []
      };
      if (reply === 'timeout') future.dispose();
    }
    return {
      status,
      executionCount: typeof content?.execution_count === 'number' ? content.execution_count : collector.executionCount,
      outputs: collector.outputs,
      ...(status === 'ok' || status === 'aborted' || !error ? {} : { error }),
      incomplete: reply === 'timeout',
      droppedBytes: collector.droppedBytes,
      elapsedMs: Date.now() - started
    };
  }

  async shellRequest(
    type: string,
    content: Record<string, unknown>,
    timeoutMs: number
  ): Promise<Record<string, unknown>> {
    if (this.closed) throw new KernelShutdownError(`send ${type}`);
    // a message type of the kernel's own: the services' types only know the standard ones
    const message = KernelMessage.createMessage({
      channel: 'shell',
      msgType: type,
      session: this.connection.clientId,
      content
    } as never);
    const future = this.connection.sendShellMessage(message as unknown as KernelMessage.IShellMessage, true, true);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        future.done,
        new Promise<never>(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error(`no reply to ${type} within ${timeoutMs} ms`)), timeoutMs))
        )
      ]);
      return reply.content as Record<string, unknown>;
    } finally {
      clearTimeout(timer);
      if (!future.isDisposed) future.dispose();
    }
  }

  async interrupt(): Promise<void> {
    if (this.closed) throw new KernelShutdownError('interrupt');
    await this.connection.interrupt();
  }

  /**
   * A fresh kernel process. After a death the server's restarter is already starting one: that
   * one is waited for, never a second restart asked for (two restarts of one kernel at once
   * launch two processes on one connection file: one dies on its ports, the restarter restarts
   * it again and again, and our state lands in whichever answered). Otherwise the server is asked
   * to restart it. When no new process answers in time, or the server gave up on it, the kernel
   * is replaced by a new one on the same server.
   */
  async restart(): Promise<void> {
    if (this.closed) throw new KernelShutdownError('restart');
    this.failPending(new KernelDiedError('it was restarted while this request was pending'));
    this.restartingByUs = true;
    this.isAlive = false;
    try {
      const connection = this.connection;
      if (connection.isDisposed || connection.status === 'dead') await this.replaceKernel();
      else if (!this.serverRestarting)
        // refused: most likely its restarter saw the process die just now; waited for below
        await connection.restart().catch(() => undefined);
      try {
        await this.newKernelAnswers(Date.now() + this.startTimeoutMs);
      } catch (error) {
        if (this.closed) throw error;
        await this.replaceKernel();
        await this.newKernelAnswers(Date.now() + this.startTimeoutMs);
      }
      this.serverRestarting = false;
      this.displays.clear();
      this.isAlive = true;
    } finally {
      this.restartingByUs = false;
    }
  }

  private async replaceKernel(): Promise<void> {
    const old = this.connection;
    await old.shutdown().catch(() => undefined);
    if (!old.isDisposed) old.dispose();
    this.connection = await RemoteKernel.connectNew({ ...this.options, kernelName: this.kernelName });
    this.watch(this.connection);
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failPending(new KernelDiedError('it was shut down while this request was pending'));
    try {
      await this.connection.shutdown();
    } catch {
      // already gone on the server
    }
    this.connection.dispose();
  }

  onDeath(listener: (error: Error) => void): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }
}

/** Starts a kernel on a Jupyter Server; resolves when it is ready. */
export function startRemoteKernel(options: RemoteKernelOptions): Promise<KernelClient> {
  return RemoteKernel.start(options);
}
