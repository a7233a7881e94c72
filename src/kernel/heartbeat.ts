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
  private readonly watchdog: NodeJS.Timeout;
  private stopped = false;
  private lastPong = Date.now();

  constructor(info: ConnectionInfo, onDead: (silentForMs: number) => void, options: HeartbeatOptions = {}) {
    const interval = options.intervalMs ?? 200;
    const deadAfter = options.deadAfterMs ?? 900;
    // relaxed: a REQ may send a new ping after a missed pong without getting stuck. Not
    // correlated on purpose: a late pong to an earlier ping still proves the kernel is alive
    // (on a loaded machine every pong may be later than one interval).
    this.socket = new Request({
      linger: 0,
      relaxed: true,
      sendTimeout: interval,
      receiveTimeout: interval,
      reconnectInterval: 50
    });
    this.socket.connect(channelUrl(info, 'hb'));
    void this.ping(interval);
    // Death is judged on a timer of its own, not at the end of a ping: a send or receive that
    // never settles on a dead peer's socket must not hide the death.
    let lastCheck = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      // If our own event loop stalled (e.g. parsing a huge message), the silence is ours, not
      // the kernel's, and a pong may be waiting unread: restart the clock.
      if (now - lastCheck > interval * 3) this.lastPong = Math.max(this.lastPong, now - interval);
      lastCheck = now;
      if (now - this.lastPong > deadAfter) {
        this.stop();
        onDead(now - this.lastPong);
      }
    }, interval);
  }

  private async ping(interval: number): Promise<void> {
    while (!this.stopped) {
      const sent = Date.now();
      try {
        await this.socket.send('ping');
        await this.socket.receive();
        this.lastPong = Date.now();
      } catch {
        // a missed pong (timeout) or a closed socket: the watchdog judges the silence
      }
      const wait = interval - (Date.now() - sent);
      if (wait > 0 && !this.stopped) await new Promise(r => setTimeout(r, wait));
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watchdog);
    this.socket.close();
  }
}
