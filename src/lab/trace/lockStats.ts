/** Lock-contention statistics from the acquisitions table. Pure. */
import type { TraceStore } from './traceStore.js';
import { laneDisplayName } from './laneNames.js';

export interface Waiter {
  lane: number;
  name: string;
  waitUs: number;
}

export interface LockStat {
  lock: number;
  name: string;
  kind: string;
  site: string;
  acquisitions: number;
  totalWaitUs: number;
  meanWaitUs: number;
  maxWaitUs: number;
  totalHoldUs: number;
  /** wait ÷ (wait + hold); 0 when the lock was never waited for */
  contention: number;
  /** mean number of waiters in each of `bins` equal time slices */
  waiters: number[];
  topWaiters: Waiter[];
}

export function lockStats(store: TraceStore, bins = 40): LockStat[] {
  const { locks, acquires } = store.tables;
  const end = Math.max(store.duration, 1);
  const binW = end / bins;
  const stats: LockStat[] = [];
  for (let l = 0; l < locks.name.length; l++) {
    stats.push({
      lock: l,
      name: store.str(locks.name[l]) || `lock ${l}`,
      kind: store.str(locks.kind[l]),
      site: store.str(locks.site[l]),
      acquisitions: 0,
      totalWaitUs: 0,
      meanWaitUs: 0,
      maxWaitUs: 0,
      totalHoldUs: 0,
      contention: 0,
      waiters: new Array<number>(bins).fill(0),
      topWaiters: []
    });
  }
  const perLane = new Map<number, Map<number, number>>();
  for (let i = 0; i < acquires.lock.length; i++) {
    const st = stats[acquires.lock[i]];
    if (!st) continue;
    const requested = acquires.requested[i];
    const acquired = acquires.acquired[i] >= 0 ? acquires.acquired[i] : end;
    const released = acquires.released[i] >= 0 ? acquires.released[i] : end;
    const wait = Math.max(0, acquired - requested);
    st.acquisitions++;
    st.totalWaitUs += wait;
    st.maxWaitUs = Math.max(st.maxWaitUs, wait);
    st.totalHoldUs += Math.max(0, released - acquired);
    if (wait > 0) {
      const lane = acquires.lane[i];
      let m = perLane.get(st.lock);
      if (!m) perLane.set(st.lock, (m = new Map()));
      m.set(lane, (m.get(lane) ?? 0) + wait);
      const a = Math.max(0, Math.floor(requested / binW));
      const b = Math.min(bins - 1, Math.floor(acquired / binW));
      for (let k = a; k <= b; k++) {
        const overlap = Math.min(acquired, (k + 1) * binW) - Math.max(requested, k * binW);
        if (overlap > 0) st.waiters[k] += overlap / binW;
      }
    }
  }
  for (const st of stats) {
    st.meanWaitUs = st.acquisitions ? st.totalWaitUs / st.acquisitions : 0;
    const denom = st.totalWaitUs + st.totalHoldUs;
    st.contention = denom > 0 ? st.totalWaitUs / denom : 0;
    const m = perLane.get(st.lock);
    if (m) {
      st.topWaiters = [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([lane, waitUs]) => ({ lane, waitUs, name: laneDisplayName(store, lane) }));
    }
  }
  return stats;
}
