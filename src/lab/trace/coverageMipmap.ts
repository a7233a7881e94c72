/**
 * Coverage per span kind in power-of-two time bins, at every resolution: what a lane is drawn from
 * when it has more spans in view than pixels. Pure.
 */
import { SpanKind } from '../../protocol/trace.js';

/** Span kinds are 0 … KIND_COUNT - 1 (src/protocol/trace.ts). */
export const KIND_COUNT = Object.keys(SpanKind).length;

/** Coverage (µs) per span kind in power-of-two time bins over [0, domain). */
export class Mipmap {
  readonly levels: Float32Array[] = [];
  readonly binWidths: number[] = [];
  constructor(
    readonly bins0: number,
    readonly domain: number
  ) {
    for (let bins = bins0, w = domain / bins0; bins >= 1; bins >>= 1, w *= 2) {
      this.levels.push(new Float32Array(bins * KIND_COUNT));
      this.binWidths.push(w);
    }
  }

  private addTo(level: number, start: number, end: number, kind: number): void {
    const w = this.binWidths[level];
    const arr = this.levels[level];
    const bins = arr.length / KIND_COUNT;
    const a = Math.max(0, Math.floor(start / w));
    const b = Math.min(bins - 1, Math.floor(end / w));
    for (let i = a; i <= b; i++) {
      const lo = Math.max(start, i * w);
      const hi = Math.min(end, (i + 1) * w);
      if (hi > lo) arr[i * KIND_COUNT + kind] += hi - lo;
      else if (hi === lo && start === end) arr[i * KIND_COUNT + kind] += 0.5; // instant: keep it visible
    }
  }

  /** Add one span to the finest level only (call `reduce` after a batch). */
  addFine(start: number, end: number, kind: number): void {
    this.addTo(0, start, end, kind);
  }

  /** Rebuild every coarser level from the finest one. */
  reduce(): void {
    for (let l = 1; l < this.levels.length; l++) {
      const src = this.levels[l - 1];
      const dst = this.levels[l];
      for (let i = 0; i < dst.length; i += KIND_COUNT) {
        const j = i * 2;
        for (let k = 0; k < KIND_COUNT; k++) dst[i + k] = src[j + k] + src[j + KIND_COUNT + k];
      }
    }
  }

  /** Add one span to every level (live appends). */
  add(start: number, end: number, kind: number): void {
    for (let l = 0; l < this.levels.length; l++) this.addTo(l, start, end, kind);
  }

  /** The coarsest level whose bins are no wider than `usPerPx`. */
  levelFor(usPerPx: number): number {
    let l = 0;
    while (l + 1 < this.binWidths.length && this.binWidths[l + 1] <= usPerPx) l++;
    return l;
  }

  /** Sum coverage per kind over bins whose centre lies in [t0, t1) into out. */
  sum(level: number, t0: number, t1: number, out: Float64Array): void {
    out.fill(0);
    const w = this.binWidths[level];
    const arr = this.levels[level];
    const bins = arr.length / KIND_COUNT;
    let a = Math.max(0, Math.round(t0 / w));
    const b = Math.min(bins, Math.round(t1 / w));
    if (b <= a && a < bins && t1 > t0) a = Math.max(0, b - 1); // narrower than a bin: take the one under it
    for (let i = Math.max(a, 0); i < Math.max(b, a + 1) && i < bins; i++) {
      const o = i * KIND_COUNT;
      for (let k = 0; k < KIND_COUNT; k++) out[k] += arr[o + k];
    }
  }
}
