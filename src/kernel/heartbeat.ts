/**
 * Heartbeat over the kernel's hb channel (a REQ socket; the kernel echoes every ping from a
 * native thread, so it answers even while user code holds the GIL). Used for kernels we did
 * not spawn, where there is no process to watch.
 */
import { Request } from 'zeromq';
import { channelUrl, type ConnectionInfo } from './connectionFile.js';

export interface HeartbeatOptions {
  /** ping period */
  intervalMs?: number;
  /** declare the kernel dead after this long without any pong */
  deadAfterMs?: number;
}

export class Heartbeat {
  private readonly socket: Request;
  private stopped = false;
  private lastPong = Date.now();

  constructor(
    info: ConnectionInfo,
    private readonly onDead: (silentForMs: number) => void,
    options: HeartbeatOptions = {}
  ) {
    const interval = options.intervalMs ?? 200;
    // relaxed: a REQ may send a new ping after a missed pong without getting stuck. Not
    // correlated on purpose: a late pong to an earlier ping still proves the kernel is alive
    // (on a loaded machine every pong may be later than one interval).
    this.socket = new Request({ linger: 0, relaxed: true, receiveTimeout: interval, reconnectInterval: 50 });
    this.socket.connect(channelUrl(info, 'hb'));
    void this.loop(interval, options.deadAfterMs ?? 900);
  }

  private async loop(interval: number, deadAfter: number): Promise<void> {
    let lastTick = Date.now();
    while (!this.stopped) {
      const sent = Date.now();
      try {
        await this.socket.send('ping');
        await this.socket.receive();
        this.lastPong = Date.now();
      } catch {
        if (this.stopped) return;
      }
      const now = Date.now();
      // If our own event loop stalled (e.g. parsing a huge message), the silence is ours, not
      // the kernel's: restart the clock instead of declaring death.
      if (now - lastTick > interval * 3) this.lastPong = Math.max(this.lastPong, sent);
      lastTick = now;
      if (now - this.lastPong > deadAfter) {
        this.stop();
        this.onDead(now - this.lastPong);
        return;
      }
      const wait = interval - (Date.now() - sent);
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.socket.close();
  }
}
