/**
 * The task → task awaits (`awaits` table), indexed two ways: by start time, so the painter finds
 * the connectors in view with a binary search whatever the number of rows, and by lane, so "what
 * was this task awaiting at t" and "who awaited it" read only that lane's rows. Rows arrive in any
 * order (a row is written when its await ends); the time order is restored lazily. Pure: no DOM.
 */
import type { AwaitTable } from '../../protocol/trace.js';
import { lowerBound, upperBound } from './sortedSearch.js';

export class AwaitIndex {
  /** rows indexed so far */
  private n = 0;
  /** row numbers sorted by start, and their starts (valid up to `n` once sorted) */
  private order = new Int32Array(16);
  private starts = new Float64Array(16);
  private sorted = true;
  private readonly byLane = new Map<number, number[]>();
  private readonly byTarget = new Map<number, number[]>();
  private table: AwaitTable | null = null;

  /** Index the rows appended since the last call; cheap when there are none. */
  update(awaits: AwaitTable): void {
    const total = awaits.lane.length;
    this.table = awaits;
    if (total === this.n) return;
    if (this.order.length < total) {
      const size = Math.max(total, this.order.length * 2);
      const order = new Int32Array(size);
      order.set(this.order.subarray(0, this.n));
      const starts = new Float64Array(size);
      starts.set(this.starts.subarray(0, this.n));
      this.order = order;
      this.starts = starts;
    }
    for (let row = this.n; row < total; row++) {
      const start = awaits.start[row];
      if (row > 0 && start < this.starts[row - 1]) this.sorted = false;
      this.order[row] = row;
      this.starts[row] = start;
      push(this.byLane, awaits.lane[row], row);
      push(this.byTarget, awaits.target[row], row);
    }
    this.n = total;
  }

  get count(): number {
    return this.n;
  }

  /** Positions [lo, hi) in start order of the rows that start in [t0, t1]; `rowAt` maps them to rows. */
  startingIn(t0: number, t1: number): [number, number] {
    this.ensureSorted();
    return [lowerBound(this.starts, this.n, t0), upperBound(this.starts, this.n, t1)];
  }

  /** The row at position i of the start order. */
  rowAt(i: number): number {
    return this.order[i];
  }

  /** The row of `lane`'s await that was under way at t (the latest started), or -1. */
  activeAt(lane: number, t: number): number {
    return this.latest(this.awaitingAt(lane, t));
  }

  /** The row of the await on `target` under way at t (the latest started), or -1. */
  awaiterAt(target: number, t: number): number {
    return this.latest(this.active(this.byTarget.get(target), t));
  }

  /** The rows of every task `lane` was awaiting at t (several under gather or a TaskGroup). */
  awaitingAt(lane: number, t: number): number[] {
    return this.active(this.byLane.get(lane), t);
  }

  private active(rows: number[] | undefined, t: number): number[] {
    const { start, end } = this.table!;
    return (rows ?? []).filter(row => start[row] <= t && (end[row] < 0 || t < end[row]));
  }

  private latest(rows: number[]): number {
    const { start } = this.table!;
    let best = -1;
    for (const row of rows) if (best < 0 || start[row] > start[best]) best = row;
    return best;
  }

  private ensureSorted(): void {
    if (this.sorted) return;
    const rows = Array.from(this.order.subarray(0, this.n));
    const start = this.table!.start;
    rows.sort((a, b) => start[a] - start[b] || a - b);
    for (let i = 0; i < rows.length; i++) {
      this.order[i] = rows[i];
      this.starts[i] = start[rows[i]];
    }
    this.sorted = true;
  }
}

function push(map: Map<number, number[]>, key: number, row: number): void {
  const rows = map.get(key);
  if (rows) rows.push(row);
  else map.set(key, [row]);
}
