/** Time series kept per core (CPU table) and per lane (thread/process samples), grown incrementally. Pure. */
import type { TraceStore } from './traceStore.js';
import { lowerBound } from './sortedSearch.js';

export class Series {
  n = 0;
  t = new Float64Array(16);
  v = new Float64Array(16);
  core = new Int32Array(16);
  push(t: number, v: number, core = -1): void {
    if (this.n === this.t.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.t = grow(this.t);
      this.v = grow(this.v);
      this.core = grow(this.core);
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.core[this.n] = core;
    this.n++;
  }
  /** Index of the last sample at or before t, or -1. */
  at(t: number): number {
    return lowerBound(this.t, this.n, t + 1e-9) - 1;
  }
  /** Index range [lo, hi) of samples whose interval (to the next sample) touches [t0, t1]. */
  range(t0: number, t1: number): [number, number] {
    return [Math.max(0, this.at(t0)), lowerBound(this.t, this.n, t1 + 1e-9)];
  }
}

export class SampleIndex {
  readonly cores: Series[] = [];
  readonly lanes = new Map<number, Series>();
  readonly laneCores = new Map<number, Set<number>>();
  private cpuSeen = 0;
  private samplesSeen = 0;

  update(store: TraceStore): this {
    const { cpu, samples } = store.tables;
    for (let i = this.cpuSeen; i < cpu.t.length; i++) {
      const c = cpu.core[i];
      if (c < 0 || c > 4096) continue;
      while (this.cores.length <= c) this.cores.push(new Series());
      this.cores[c].push(cpu.t[i], cpu.util[i]);
    }
    this.cpuSeen = cpu.t.length;
    for (let i = this.samplesSeen; i < samples.t.length; i++) {
      const lane = samples.lane[i];
      let s = this.lanes.get(lane);
      if (!s) this.lanes.set(lane, (s = new Series()));
      s.push(samples.t[i], samples.cpu[i], samples.core[i]);
      let set = this.laneCores.get(lane);
      if (!set) this.laneCores.set(lane, (set = new Set()));
      if (samples.core[i] >= 0) set.add(samples.core[i]);
    }
    this.samplesSeen = samples.t.length;
    return this;
  }
}
