/**
 * A kernel on this machine, driven over ZeroMQ: either one we launch from a kernel spec
 * (`LocalKernel.start`) or one somebody else started, reached through its connection file
 * (`LocalKernel.connect`, watched by heartbeat).
 */
import { ConnectionFile, newConnectionInfo, type ConnectionInfo } from './connectionFile.js';
import { KernelDiedError, KernelShutdownError, KernelStartError } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { KernelChannels, type ChannelStats, type MessageChannel } from './kernelChannels.js';
import { Execution } from './execution.js';
import { ExecutionQueue } from './executionQueue.js';
import type { ExecuteOptions, ExecuteResult, KernelClient, KernelInfo } from './kernelClient.js';
import { KernelProcess } from './kernelProcess.js';
import { ReplyWaiters } from './replyWaiters.js';
import { formatKernelCommand, getKernelSpec, type KernelSpec } from './kernelSpec.js';
import { DisplayRegistry } from './outputCollector.js';
import type { ConnectOptions, LocalKernelOptions } from './localKernelOptions.js';
import { Session, type JupyterMessage } from './wireProtocol.js';

export type { ConnectOptions, LocalKernelOptions } from './localKernelOptions.js';

export class LocalKernel implements KernelClient {
  readonly kernelName: string;
  private channels?: KernelChannels;
  private process?: KernelProcess;
  private heartbeat?: Heartbeat;
  private connectionFile?: ConnectionFile;
  private info: ConnectionInfo;
  private session: Session;
  private kernelInfo?: KernelInfo;
  private readyPromise?: Promise<KernelInfo>;
  private iopubSeen = false;
  private wakers = new Set<() => void>();
  private readonly replies = new ReplyWaiters();
  private readonly executions: ExecutionQueue;
  private readonly displays = new DisplayRegistry();
  private readonly deathListeners = new Set<(error: Error) => void>();
  private isAlive = false;
  private shutdownPromise?: Promise<void>;
  private restarting?: Promise<void>;
  /** bumped on every (re)launch so that events of an old process are ignored */
  private generation = 0;
  /** counters summed over every connection (restarts open new sockets) */
  private readonly pastStats: ChannelStats = { received: 0, badSignature: 0, malformed: 0 };

  private constructor(
    private readonly spec: KernelSpec | undefined,
    private readonly options: LocalKernelOptions & ConnectOptions,
    info: ConnectionInfo,
    private readonly spawned: boolean
  ) {
    this.kernelName = spec?.name ?? options.kernelName ?? info.kernel_name ?? 'unknown';
    this.info = info;
    this.session = new Session({ key: info.key, signatureScheme: info.signature_scheme });
    this.executions = new ExecutionQueue({
      idleWaitMs: options.idleWaitMs ?? 5000,
      interruptGraceMs: options.interruptGraceMs ?? 5000,
      interrupt: () => this.interrupt()
    });
  }

  /** Launches a kernel from its spec and waits until it is ready. */
  static async start(options: LocalKernelOptions = {}): Promise<LocalKernel> {
    const spec = options.spec ?? getKernelSpec(options.kernelName ?? 'python3', { prefix: options.prefix });
    const info = await newConnectionInfo(spec.name, options.transport);
    const kernel = new LocalKernel(spec, options, info, true);
    try {
      await kernel.launch(false);
    } catch (err) {
      await kernel.shutdown().catch(() => undefined);
      throw err;
    }
    return kernel;
  }

  /** Connects to a running kernel through its connection file; death is detected by heartbeat. */
  static async connect(connectionFile: string, options: ConnectOptions = {}): Promise<LocalKernel> {
    const info = await ConnectionFile.read(connectionFile);
    const kernel = new LocalKernel(undefined, options, info, false);
    kernel.openChannels();
    kernel.readyPromise = kernel.waitReady(Date.now() + (options.startTimeoutMs ?? 30_000));
    try {
      await kernel.readyPromise;
    } catch (err) {
      kernel.closeChannels();
      throw err;
    }
    kernel.isAlive = true;
    kernel.heartbeat = new Heartbeat(kernel.info, silentMs => kernel.died(`no heartbeat for ${silentMs} ms`), {
      deadAfterMs: options.heartbeatDeadAfterMs
    });
    return kernel;
  }

  get alive(): boolean {
    return this.isAlive;
  }

  /** pid of the kernel process we launched (undefined for connected kernels) */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get connectionFilePath(): string | undefined {
    return this.connectionFile?.path;
  }

  get connectionInfo(): Readonly<ConnectionInfo> {
    return this.info;
  }

  /** message counters over the kernel's lifetime: received, dropped for a bad signature, malformed */
  get stats(): ChannelStats {
    const now = this.channels?.stats ?? { received: 0, badSignature: 0, malformed: 0 };
    return {
      received: this.pastStats.received + now.received,
      badSignature: this.pastStats.badSignature + now.badSignature,
      malformed: this.pastStats.malformed + now.malformed
    };
  }

  ready(): Promise<KernelInfo> {
    if (this.shutdownPromise) return Promise.reject(new KernelShutdownError('wait for readiness'));
    if (this.kernelInfo && this.isAlive) return Promise.resolve(this.kernelInfo);
    if (this.restarting) return this.restarting.then(() => this.ready());
    return Promise.reject(new KernelDiedError('it is not running (it died earlier)'));
  }

  onDeath(listener: (error: Error) => void): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  // ---------------------------------------------------------------- launch and readiness

  /** Starts the process (reusing the current ports first when `reusePorts`) and waits for readiness. */
  private async launch(reusePorts: boolean): Promise<void> {
    const spec = this.spec!;
    const retries = this.options.portRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      if (!reusePorts || attempt > 0) {
        const fresh = await newConnectionInfo(spec.name, this.options.transport);
        // keep the key: it is the kernel's identity towards anyone holding the file
        this.info = { ...fresh, key: this.info.key };
      }
      if (!this.connectionFile) {
        this.connectionFile = await ConnectionFile.create(this.info, {
          dir: this.options.runtimeDir,
          prefix: this.options.prefix
        });
      } else {
        await this.connectionFile.rewrite(this.info);
      }
      const generation = ++this.generation;
      const { argv, env } = formatKernelCommand(spec, this.connectionFile.path, {
        prefix: this.options.prefix,
        baseEnv: { ...process.env, ...this.options.env, JPY_PARENT_PID: String(process.pid) }
      });
      const proc = new KernelProcess(argv, { cwd: this.options.cwd, env });
      this.process = proc;
      this.openChannels();
      void proc.exited.then(exit => {
        this.wake();
        if (generation !== this.generation || !this.isAlive) return;
        const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
        this.died(`the kernel process ${how}`, exit.code, exit.signal);
      });
      const deadline = Date.now() + (this.options.startTimeoutMs ?? 60_000);
      this.readyPromise = this.waitReady(deadline, proc, argv);
      try {
        await this.readyPromise;
        this.isAlive = true;
        return;
      } catch (err) {
        const collision = /address already in use/i.test(proc.output());
        this.generation++;
        this.closeChannels();
        await proc.terminate(1000);
        if (collision && attempt < retries) continue;
        throw err;
      }
    }
  }

  private openChannels(): void {
    this.closeChannels();
    this.channels = new KernelChannels(
      this.info,
      this.session,
      (channel, message) => this.dispatch(channel, message),
      undefined,
      this.options.maxMessageBytes
    );
  }

  private closeChannels(): void {
    const c = this.channels;
    if (!c) return;
    this.pastStats.received += c.stats.received;
    this.pastStats.badSignature += c.stats.badSignature;
    this.pastStats.malformed += c.stats.malformed;
    c.close();
    this.channels = undefined;
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  private waitForEvent(ms: number): Promise<void> {
    return new Promise(resolve => {
      const waker = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(waker);
        resolve();
      }, ms);
      this.wakers.add(waker);
    });
  }

  /**
   * Ready = a kernel_info_reply on shell AND any message on iopub. A SUB socket only gets
   * messages published after its subscription reached the kernel (the slow-joiner problem), so
   * kernel_info_request is repeated until its busy/idle shows up on iopub.
   */
  private async waitReady(deadline: number, proc?: KernelProcess, argv?: string[]): Promise<KernelInfo> {
    this.kernelInfo = undefined;
    this.iopubSeen = false;
    let lastSent = 0;
    while (!(this.kernelInfo && this.iopubSeen)) {
      if (proc?.hasExited) {
        const exit = proc.exitInfo!;
        const what = exit.spawnError
          ? `could not run ${argv?.[0]}: ${exit.spawnError.message}. Check the kernel spec's argv (and that the Python environment exists).`
          : `the kernel process exited during start-up (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}).`;
        throw new KernelStartError(`Kernel "${this.kernelName}" failed to start: ${what}`, proc.output());
      }
      if (this.shutdownPromise) throw new KernelShutdownError('start the kernel');
      const now = Date.now();
      if (now > deadline) {
        throw new KernelStartError(
          `Kernel "${this.kernelName}" did not become ready within ${Math.round((this.options.startTimeoutMs ?? 60_000) / 1000)} s ` +
            `(kernel_info reply: ${this.kernelInfo ? 'yes' : 'no'}, iopub: ${this.iopubSeen ? 'yes' : 'no'}). ` +
            'The machine may be overloaded (raise startTimeoutMs) or the kernel is stuck.',
          proc?.output() ?? ''
        );
      }
      // Before the first reply one request is enough (zmq queues it until the kernel binds);
      // after it, poke quickly until iopub shows the kernel's busy/idle.
      const period = this.kernelInfo ? 50 : 1000;
      if (now - lastSent >= period) {
        lastSent = now;
        const msg = this.session.message('kernel_info_request', {});
        this.channels?.send('shell', msg).catch(() => undefined);
      }
      await this.waitForEvent(this.kernelInfo ? 50 : 100);
    }
    return this.kernelInfo;
  }

  // ---------------------------------------------------------------- incoming messages

  private dispatch(channel: MessageChannel, message: JupyterMessage): void {
    const parentId = message.parent_header.msg_id;
    switch (channel) {
      case 'iopub': {
        if (!this.iopubSeen) {
          this.iopubSeen = true;
          this.wake();
        }
        const exec = this.executions.get(parentId);
        if (exec) this.executions.onIopub(exec, message);
        return;
      }
      case 'shell':
      case 'control': {
        const type = message.header.msg_type;
        if (type === 'kernel_info_reply' && message.parent_header.session === this.session.session) {
          if (!this.kernelInfo) {
            const c = message.content;
            this.kernelInfo = {
              protocolVersion: String(c.protocol_version ?? ''),
              implementation: String(c.implementation ?? ''),
              languageInfo: (c.language_info ?? { name: '' }) as KernelInfo['languageInfo'],
              banner: String(c.banner ?? '')
            };
            this.wake();
          }
        }
        if (parentId === undefined) return;
        const exec = this.executions.get(parentId);
        if (exec && type === 'execute_reply') {
          this.executions.onReply(exec, message.content);
          return;
        }
        this.replies.deliver(parentId, message);
        return;
      }
      case 'stdin':
        if (message.header.msg_type === 'input_request' && parentId !== undefined)
          this.onInputRequest(message, this.executions.get(parentId));
        return;
    }
  }

  private onInputRequest(message: JupyterMessage, exec: Execution | undefined): void {
    const prompt = String(message.content.prompt ?? '');
    const password = Boolean(message.content.password);
    const answer = async (): Promise<string> => {
      const cb = exec?.options.stdin;
      if (!cb) return '';
      return String(await cb(prompt, password));
    };
    void answer()
      .catch(() => '')
      .then(value => this.channels?.send('stdin', this.session.message('input_reply', { value }, message.header)))
      .catch(() => undefined);
  }

  // ---------------------------------------------------------------- requests

  private request(
    channel: 'shell' | 'control',
    type: string,
    content: object,
    timeoutMs: number
  ): Promise<JupyterMessage> {
    const channels = this.channels;
    if (!channels) return Promise.reject(new KernelDiedError('it is not running'));
    const msg = this.session.message(type, content);
    return this.replies.wait(msg.header.msg_id, type, timeoutMs, () => channels.send(channel, msg));
  }

  async shellRequest(
    type: string,
    content: Record<string, unknown>,
    timeoutMs: number
  ): Promise<Record<string, unknown>> {
    return (await this.request('shell', type, content, timeoutMs)).content;
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    if (this.shutdownPromise) throw new KernelShutdownError('execute code');
    if (!this.isAlive && this.restarting) await this.restarting;
    if (!this.isAlive || !this.channels) throw new KernelDiedError('it is not running (it died earlier)');
    if (options.stdin && !this.channels.stdinIsConnected) {
      // an input_request sent before our stdin socket reached the kernel would be lost
      const channels = this.channels;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([channels.stdinConnected, new Promise(r => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (!this.isAlive || this.channels !== channels)
        throw new KernelDiedError('it stopped while connecting its stdin channel');
    }
    const msg = this.session.message('execute_request', {
      code,
      silent: options.silent ?? false,
      store_history: options.storeHistory ?? !(options.silent ?? false),
      user_expressions: {},
      // without a callback the kernel raises StdinNotImplementedError instead of waiting forever
      allow_stdin: options.stdin !== undefined,
      stop_on_error: options.stopOnError ?? true
    });
    const exec = new Execution(msg.header.msg_id, options, this.displays);
    this.executions.add(exec);
    this.channels.send('shell', msg).catch(err => {
      this.executions.abandon(
        exec,
        new KernelDiedError(`sending the execute request failed (${(err as Error).message})`)
      );
    });
    return exec.promise;
  }

  async interrupt(): Promise<void> {
    if (this.shutdownPromise) throw new KernelShutdownError('interrupt');
    if (!this.isAlive) throw new KernelDiedError('it is not running, so it cannot be interrupted');
    if (this.spawned && this.spec?.interruptMode !== 'message' && this.process) {
      this.process.signalGroup('SIGINT');
      return;
    }
    await this.request('control', 'interrupt_request', {}, this.options.interruptGraceMs ?? 5000);
  }

  // ---------------------------------------------------------------- death, restart, shutdown

  private rejectPending(error: Error): void {
    this.executions.failAll(error);
    this.replies.rejectAll(error);
    this.wake();
  }

  private died(reason: string, code: number | null = null, signal: string | null = null): void {
    if (!this.isAlive) return;
    this.isAlive = false;
    const error = new KernelDiedError(reason, code, signal, this.process?.output() ?? '');
    this.rejectPending(error);
    this.heartbeat?.stop();
    // stop reconnecting to a dead kernel's ports; restart() opens fresh sockets
    this.closeChannels();
    // workers the kernel started would be orphans now
    this.process?.killLeftovers();
    for (const listener of [...this.deathListeners]) {
      try {
        listener(error);
      } catch {
        // a listener's bug is not ours to crash on
      }
    }
  }

  /** Stops the kernel process: shutdown_request, then SIGTERM, then SIGKILL, whole group. */
  private async stopProcess(restart: boolean): Promise<void> {
    const proc = this.process;
    this.generation++;
    if (proc && !proc.hasExited && this.channels) {
      this.request('control', 'shutdown_request', { restart }, 1000).catch(() => undefined);
      await proc.waitExit(this.options.shutdownWaitMs ?? 3000);
    }
    this.closeChannels();
    if (proc) await proc.terminate(2000);
  }

  async restart(): Promise<void> {
    if (this.shutdownPromise) throw new KernelShutdownError('restart');
    if (!this.spawned)
      throw new KernelStartError('Cannot restart a kernel this client did not start; restart it where it was started.');
    if (this.restarting) return this.restarting;
    this.isAlive = false;
    this.rejectPending(new KernelDiedError('it was restarted while this request was pending'));
    this.restarting = (async () => {
      await this.stopProcess(true);
      this.displays.clear();
      this.kernelInfo = undefined;
      await this.launch(true);
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = undefined;
    }
  }

  /**
   * For a kernel we connected to: close our sockets and stop watching it, leaving the kernel
   * running for whoever started it. For a kernel we launched this is the same as shutdown().
   */
  async disconnect(): Promise<void> {
    if (this.spawned) return this.shutdown();
    this.shutdownPromise ??= (async () => {
      this.isAlive = false;
      this.rejectPending(new KernelDiedError('the client disconnected while this request was pending'));
      this.heartbeat?.stop();
      this.closeChannels();
    })();
    return this.shutdownPromise;
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const wasAlive = this.isAlive;
      this.isAlive = false;
      this.rejectPending(new KernelDiedError('it was shut down while this request was pending'));
      this.heartbeat?.stop();
      if (this.spawned) {
        await this.stopProcess(false);
        this.connectionFile?.remove();
      } else {
        if (wasAlive)
          await this.request('control', 'shutdown_request', { restart: false }, 2000).catch(() => undefined);
        this.closeChannels();
      }
      this.wake();
    })();
    return this.shutdownPromise;
  }
}
