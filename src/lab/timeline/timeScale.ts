/** Mapping between trace time (µs) and pixels, with zoom/pan and nice axis ticks. Pure. */

export interface Tick {
  t: number;
  x: number;
  label: string;
}

export class TimeScale {
  /** first visible time, µs */
  t0: number;
  /** microseconds per pixel */
  usPerPx: number;
  constructor(
    t0 = 0,
    usPerPx = 1,
    /** plot width in pixels */
    public width = 1
  ) {
    this.t0 = t0;
    this.usPerPx = usPerPx;
  }

  get t1(): number {
    return this.t0 + this.usPerPx * this.width;
  }

  x(t: number): number {
    return (t - this.t0) / this.usPerPx;
  }

  t(x: number): number {
    return this.t0 + x * this.usPerPx;
  }

  /** Show [start, end] across the width. */
  fit(start: number, end: number): void {
    const span = Math.max(end - start, 1);
    this.t0 = start;
    this.usPerPx = span / Math.max(this.width, 1);
  }

  /** Zoom by `factor` (>1 zooms in) keeping the time under pixel `x` fixed. */
  zoom(factor: number, x: number, minUsPerPx = 1e-3, maxUsPerPx = Infinity): void {
    const anchor = this.t(x);
    this.usPerPx = Math.min(maxUsPerPx, Math.max(minUsPerPx, this.usPerPx / factor));
    this.t0 = anchor - x * this.usPerPx;
  }

  pan(dxPx: number): void {
    this.t0 -= dxPx * this.usPerPx;
  }

  /** Keep the view inside [lo, hi] where possible. */
  clamp(lo: number, hi: number): void {
    const span = this.usPerPx * this.width;
    if (span >= hi - lo) {
      this.t0 = Math.max(Math.min(this.t0, lo), hi - span);
      return;
    }
    this.t0 = Math.min(Math.max(this.t0, lo), hi - span);
  }

  /** Ticks at 1/2/5 × 10^k µs, about `spacingPx` apart, labelled in one unit. */
  ticks(spacingPx = 90): Tick[] {
    const step = niceStep(this.usPerPx * spacingPx);
    const first = Math.ceil(this.t0 / step) * step;
    const unit = unitFor(step);
    const out: Tick[] = [];
    for (let t = first; t <= this.t1 && out.length < 1000; t += step) {
      out.push({ t, x: this.x(t), label: formatTick(t, unit) });
    }
    return out;
  }
}

/** The smallest 1/2/5 × 10^k that is ≥ raw. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

interface Unit {
  div: number;
  name: string;
}

function unitFor(step: number): Unit {
  if (step >= 1e6) return { div: 1e6, name: 's' };
  if (step >= 1e3) return { div: 1e3, name: 'ms' };
  if (step >= 1) return { div: 1, name: 'µs' };
  return { div: 1e-3, name: 'ns' };
}

function formatTick(t: number, unit: Unit): string {
  const v = t / unit.div;
  // Round away binary noise (0.30000000000000004) without losing real digits.
  const r = Math.round(v * 1e6) / 1e6;
  return `${r} ${unit.name}`;
}
