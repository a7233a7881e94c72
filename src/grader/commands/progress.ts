/**
 * Progress on stderr: a redrawn bar on a terminal, one line per finished item otherwise; both with
 * the throughput so far, the time left at that pace, and how many kernels grade at once.
 */
export class Progress {
  private done = 0;
  /** items really worked on (not skipped as already done): the pace is theirs */
  private worked = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
    /** kernels grading at once now, shown beside the pace */
    private readonly kernels?: () => number
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** One item finished; `line` is what a log shows for it; `skipped` items do not set the pace. */
  tick(line: string, skipped = false): void {
    this.done++;
    if (!skipped) this.worked++;
    if (!this.enabled) return;
    if (!this.tty) {
      this.stream.write(`[${this.done}/${this.total}${this.pace(Date.now())}] ${line}\n`);
      return;
    }
    this.draw();
  }

  /** Items per minute so far, and the time left at that pace. */
  rate(now = Date.now()): { perMinute: number; leftSeconds: number | undefined } {
    const minutes = Math.max(1, now - this.started) / 60_000;
    const perMinute = this.worked / minutes;
    const left = this.total - this.done;
    return { perMinute, leftSeconds: perMinute > 0 ? (left / perMinute) * 60 : undefined };
  }

  private pace(now: number): string {
    const { perMinute, leftSeconds } = this.rate(now);
    const parts = [];
    if (this.worked > 0) parts.push(`${perMinute.toFixed(1)}/min`);
    if (leftSeconds !== undefined && this.done < this.total) parts.push(`~${formatSeconds(leftSeconds)} left`);
    const kernels = this.kernels?.();
    if (kernels && this.done < this.total) parts.push(`${kernels} kernel${kernels === 1 ? '' : 's'}`);
    return parts.length ? `, ${parts.join(', ')}` : '';
  }

  draw(): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const elapsed = (now - this.started) / 1000;
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const text = `${this.label} ${bar} ${this.done}/${this.total}, ${formatSeconds(elapsed)}${this.pace(now)}`;
    this.stream.write(`\r${text.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  finish(): void {
    if (this.enabled && this.tty) {
      this.lastDraw = 0;
      this.draw();
      this.stream.write('\n');
    }
  }
}

/** 75 → "1m15s", 9.4 → "9s". */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = `${String(s % 60).padStart(2, '0')}s`;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${rest}`;
}
