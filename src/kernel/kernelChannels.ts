/**
 * The ZeroMQ sockets of one kernel connection: shell, control and stdin DEALERs that share one
 * routing id (the session id, so the kernel can address stdin requests to the same client),
 * an iopub SUB subscribed to everything. Every incoming message is verified; bad ones are
 * counted and dropped. Sends are queued per socket because a zeromq v6 socket allows only one
 * pending send at a time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Dealer, Subscriber, type Socket } from 'zeromq';
import { channelUrl, type ConnectionInfo } from './connectionFile.js';
import type { JupyterMessage, Session } from './wireProtocol.js';

export type MessageChannel = 'shell' | 'control' | 'stdin' | 'iopub';
export type SendChannel = Exclude<MessageChannel, 'iopub'>;

export interface ChannelStats {
  /** messages received and accepted */
  received: number;
  /** messages dropped because the HMAC signature was wrong or missing */
  badSignature: number;
  /** messages dropped because they were not Jupyter messages (no delimiter, bad JSON, too few frames) */
  malformed: number;
}

export type MessageHandler = (channel: MessageChannel, message: JupyterMessage) => void;

/** iopub messages queued here at most, for a kernel whose messages have a size cap */
const CAPPED_QUEUE = 16;

/**
 * A reader yields to the event loop after this many bytes: a socket that always has a message
 * ready resolves receive() at once, and a loop of resolved awaits never lets timers, the other
 * sockets or Node-API's finalizers run; those finalizers are what frees received frames, so a
 * flooding kernel would otherwise grow this process by gigabytes.
 */
const YIELD_EVERY_BYTES = 4 * 1048576;

/** Serializes sends on one socket: each send waits for the previous one to be handed to zmq. */
class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly socket: Dealer) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class KernelChannels {
  readonly stats: ChannelStats = { received: 0, badSignature: 0, malformed: 0 };
  private readonly sockets: Record<MessageChannel, Socket>;
  private readonly queues: Record<SendChannel, SendQueue>;
  private closed = false;
  private stdinReady = false;
  /** resolves once the stdin socket has completed its handshake with the kernel */
  readonly stdinConnected: Promise<void>;

  constructor(
    info: ConnectionInfo,
    readonly session: Session,
    private readonly onMessage: MessageHandler,
    /** called (rarely) when a socket fails in a way that is not a bad message */
    private readonly onSocketError: (channel: MessageChannel, error: Error) => void = () => undefined,
    /** a larger message is never received (ZeroMQ drops the connection, which reconnects): a cap on what one costs */
    maxMessageBytes?: number
  ) {
    const common = {
      linger: 0,
      ...(maxMessageBytes ? { maxMessageSize: maxMessageBytes } : {}),
      // kernels take a second or more to bind: retry the TCP connect every 20 ms, without
      // exponential back-off (which would add up to its maximum to the start on a slow machine)
      reconnectInterval: 20,
      reconnectMaxInterval: 0
    };
    const dealer = () =>
      new Dealer({ ...common, routingId: session.session, receiveHighWaterMark: 0, sendHighWaterMark: 0 });
    const shell = dealer();
    const control = dealer();
    const stdin = dealer();
    // no receive limit: a PUB drops messages for a subscriber that is over its high water mark.
    // With a size cap (an untrusted kernel), a short queue here: messages then wait in the
    // kernel's own queue (ZeroMQ's backpressure), and this process holds at most so many of them
    const iopub = new Subscriber({ ...common, receiveHighWaterMark: maxMessageBytes ? CAPPED_QUEUE : 0 });
    iopub.subscribe();
    // The kernel's stdin ROUTER drops an input_request for a peer it has not met yet, so a
    // frontend that answers input() must be connected there first: watch for the handshake.
    // (The observer ends with the socket; closing it earlier from its own callback fails.)
    const stdinEvents = stdin.events;
    this.stdinConnected = new Promise(resolve =>
      stdinEvents.on('handshake', () => {
        this.stdinReady = true;
        resolve();
      })
    );
    shell.connect(channelUrl(info, 'shell'));
    control.connect(channelUrl(info, 'control'));
    stdin.connect(channelUrl(info, 'stdin'));
    iopub.connect(channelUrl(info, 'iopub'));
    this.sockets = { shell, control, stdin, iopub };
    this.queues = { shell: new SendQueue(shell), control: new SendQueue(control), stdin: new SendQueue(stdin) };
    for (const channel of Object.keys(this.sockets) as MessageChannel[]) void this.readLoop(channel);
  }

  get stdinIsConnected(): boolean {
    return this.stdinReady;
  }

  send(channel: SendChannel, message: JupyterMessage<object>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`cannot send on ${channel}: channels are closed`));
    return this.queues[channel].send(this.session.serialize(message));
  }

  private async readLoop(channel: MessageChannel): Promise<void> {
    const socket = this.sockets[channel] as Dealer | Subscriber;
    let bytesSinceYield = 0;
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        if (this.closed || socket.closed) return;
        // EAGAIN/EBUSY-like hiccups: report and keep reading
        this.onSocketError(channel, err as Error);
        await new Promise(r => setTimeout(r, 10));
        continue;
      }
      for (const frame of frames) bytesSinceYield += frame.length;
      if (bytesSinceYield > YIELD_EVERY_BYTES) {
        bytesSinceYield = 0;
        await nextTurn();
      }
      const decoded = this.session.deserialize(frames);
      if (!decoded.ok) {
        if (decoded.reason === 'bad-signature') this.stats.badSignature++;
        else this.stats.malformed++;
        continue;
      }
      this.stats.received++;
      try {
        this.onMessage(channel, decoded.message);
      } catch (err) {
        // a handler bug must not stop the reader
        this.onSocketError(channel, err as Error);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of Object.values(this.sockets)) socket.close();
  }
}
