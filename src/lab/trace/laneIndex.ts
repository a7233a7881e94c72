/**
 * Per-lane span index for drawing at any zoom with a cost that depends on pixels, not on events.
 *
 * Spans are split into duration classes (class c holds spans shorter than 2^c µs), each sorted by
 * start, so "which spans touch [t0, t1]" is a binary search per class. When more spans are visible
 * than there are pixels, the lane is drawn from a multi-resolution summary (a mipmap of per-kind
 * coverage in power-of-two time bins) instead. Pure: no DOM.
 */
import { SpanKind } from '../../protocol/trace.js';
import { Mipmap } from './coverageMipmap.js';
import { lowerBound, upperBound } from './sortedSearch.js';

const CLASS_COUNT = 48;
/** Lanes with at most this many spans are always drawn span by span. */
export const RAW_ALWAYS = 256;
const MAX_BINS = 1 << 18;
const MIN_BINS = 1 << 10;

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2, 16));
  next.set(a);
  return next;
}

/** Spans of one duration class of one lane, sorted by start. */
export class SpanRun {
  n = 0;
  starts = new Float64Array(16);
  ends = new Float64Array(16);
  kinds = new Uint8Array(16);
  ids = new Int32Array(16);
  private sorted = true;
  constructor(readonly maxDur: number) {}

  push(start: number, end: number, kind: number, id: number): void {
    const n = this.n;
    this.starts = grow(this.starts, n + 1);
    this.ends = grow(this.ends, n + 1);
    this.kinds = grow(this.kinds, n + 1);
    this.ids = grow(this.ids, n + 1);
    let i = n;
    // Spans arrive nearly in start order: insert by shifting a few, else sort later.
    if (this.sorted) {
      while (i > 0 && this.starts[i - 1] > start && n - i < 256) i--;
      if (i > 0 && this.starts[i - 1] > start) {
        this.sorted = false;
        i = n;
      } else if (i < n) {
        this.starts.copyWithin(i + 1, i, n);
        this.ends.copyWithin(i + 1, i, n);
        this.kinds.copyWithin(i + 1, i, n);
        this.ids.copyWithin(i + 1, i, n);
      }
    }
    this.starts[i] = start;
    this.ends[i] = end;
    this.kinds[i] = kind;
    this.ids[i] = id;
    this.n = n + 1;
  }

  ensureSorted(): void {
    if (this.sorted) return;
    const order = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    const s = this.starts;
    order.sort((a, b) => s[a] - s[b]);
    const starts = new Float64Array(this.starts.length);
    const ends = new Float64Array(this.ends.length);
    const kinds = new Uint8Array(this.kinds.length);
    const ids = new Int32Array(this.ids.length);
    for (let i = 0; i < this.n; i++) {
      const j = order[i];
      starts[i] = this.starts[j];
      ends[i] = this.ends[j];
      kinds[i] = this.kinds[j];
      ids[i] = this.ids[j];
    }
    this.starts = starts;
    this.ends = ends;
    this.kinds = kinds;
    this.ids = ids;
    this.sorted = true;
  }

  /** Index range [lo, hi) of spans that may touch [t0, t1]. */
  range(t0: number, t1: number): [number, number] {
    this.ensureSorted();
    return [lowerBound(this.starts, this.n, t0 - this.maxDur), upperBound(this.starts, this.n, t1)];
  }
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** Every span of one lane. */
export class LaneIndex {
  readonly runs: (SpanRun | undefined)[] = new Array(CLASS_COUNT);
  count = 0;
  maxEnd = 0;
  private mip: Mipmap | null = null;

  static classOf(dur: number): number {
    if (!(dur > 0)) return 0;
    return Math.min(CLASS_COUNT - 1, Math.floor(Math.log2(dur)) + 1);
  }

  add(start: number, end: number, kind: number, id: number): void {
    if (end < start) end = start;
    const c = LaneIndex.classOf(end - start);
    let run = this.runs[c];
    if (!run) run = this.runs[c] = new SpanRun(c === 0 ? 1 : Math.pow(2, c));
    run.push(start, end, kind, id);
    this.count++;
    if (end > this.maxEnd) this.maxEnd = end;
    const mip = this.mip;
    if (mip) {
      if (end >= mip.domain || this.count > mip.bins0 * 4) this.mip = null;
      else mip.add(start, end, kind);
    }
  }

  /** How many spans may touch [t0, t1]; exact up to a class boundary. */
  visibleCount(t0: number, t1: number): number {
    let total = 0;
    for (const run of this.runs) {
      if (!run || run.n === 0) continue;
      const [lo, hi] = run.range(t0, t1);
      total += Math.max(0, hi - lo);
    }
    return total;
  }

  /** Calls fn for every span touching [t0, t1], longest classes first (so short ones paint on top). */
  forEachVisible(t0: number, t1: number, fn: (start: number, end: number, kind: number, id: number) => void): void {
    for (let c = CLASS_COUNT - 1; c >= 0; c--) {
      const run = this.runs[c];
      if (!run || run.n === 0) continue;
      const [lo, hi] = run.range(t0, t1);
      for (let i = lo; i < hi; i++) {
        if (run.ends[i] < t0) continue;
        fn(run.starts[i], run.ends[i], run.kinds[i], run.ids[i]);
      }
    }
  }

  /** The span under time t (± tol), preferring the rarer, more telling kinds; -1 when none. */
  hit(t: number, tol: number, rank: (kind: number) => number = defaultRank): number {
    let best = -1;
    let bestRank = -1;
    let bestDur = Infinity;
    for (const run of this.runs) {
      if (!run || run.n === 0) continue;
      run.ensureSorted();
      const hi = upperBound(run.starts, run.n, t + tol);
      const floor = t - tol - run.maxDur;
      for (let i = hi - 1, seen = 0; i >= 0 && run.starts[i] >= floor && seen < 256; i--, seen++) {
        if (run.ends[i] + tol < t) continue;
        const r = rank(run.kinds[i]);
        const d = run.ends[i] - run.starts[i];
        if (r > bestRank || (r === bestRank && d < bestDur)) {
          best = run.ids[i];
          bestRank = r;
          bestDur = d;
        }
      }
    }
    return best;
  }

  /** The span starting soonest after t (strictly), or -1: for stepping through a lane by keyboard. */
  nextAfter(t: number): number {
    let best = -1;
    let bestStart = Infinity;
    for (const run of this.runs) {
      if (!run || run.n === 0) continue;
      run.ensureSorted();
      const i = upperBound(run.starts, run.n, t);
      if (i < run.n && run.starts[i] < bestStart) {
        bestStart = run.starts[i];
        best = run.ids[i];
      }
    }
    return best;
  }

  /** The span starting latest before t (strictly), or -1. */
  prevBefore(t: number): number {
    let best = -1;
    let bestStart = -Infinity;
    for (const run of this.runs) {
      if (!run || run.n === 0) continue;
      run.ensureSorted();
      const i = lowerBound(run.starts, run.n, t) - 1;
      if (i >= 0 && run.starts[i] > bestStart) {
        bestStart = run.starts[i];
        best = run.ids[i];
      }
    }
    return best;
  }

  /** The coverage summary, built on first use and kept current by `add`. */
  mipmap(): Mipmap {
    if (this.mip) return this.mip;
    const bins0 = Math.min(MAX_BINS, Math.max(MIN_BINS, nextPow2(this.count * 2)));
    const mip = new Mipmap(bins0, nextPow2(Math.max(this.maxEnd + 1, bins0)));
    for (const run of this.runs) {
      if (!run) continue;
      for (let i = 0; i < run.n; i++) mip.addFine(run.starts[i], run.ends[i], run.kinds[i]);
    }
    mip.reduce();
    this.mip = mip;
    return mip;
  }
}

/** blocked > lock wait > lock hold > suspended > run: what a learner most needs to see. */
const RANK: Record<SpanKind, number> = {
  [SpanKind.run]: 0,
  [SpanKind.suspended]: 1,
  [SpanKind.lockHold]: 2,
  [SpanKind.lockWait]: 3,
  [SpanKind.blocked]: 4
};

export function defaultRank(kind: number): number {
  return RANK[kind as SpanKind] ?? 0;
}
