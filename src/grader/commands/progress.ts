/** Progress on stderr: a redrawn bar on a terminal, one line per finished item otherwise. */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private readonly tty: boolean;
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** One item finished; `line` is what a log shows for it. */
  tick(line: string): void {
    this.done++;
    if (!this.enabled) return;
    if (!this.tty) {
      this.stream.write(`[${this.done}/${this.total}] ${line}\n`);
      return;
    }
    this.draw();
  }

  draw(running = 0): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = this.total ? Math.round((this.done / this.total) * width) : width;
    const elapsed = (now - this.started) / 1000;
    const eta = this.done ? (elapsed / this.done) * (this.total - this.done) : 0;
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const left = this.done && this.done < this.total ? `, ~${eta.toFixed(0)} s left` : '';
    const count = `${this.done}/${this.total}${running ? `, ${running} running` : ''}`;
    const text = `${this.label} ${bar} ${count}, ${elapsed.toFixed(0)} s${left}`;
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
