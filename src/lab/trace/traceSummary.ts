/** The one-line summary of a trace: lanes and task fates, max concurrency, blocked time, dropped events. Pure. */
import { LaneKind, SpanKind } from '../../protocol/trace.js';
import { countFates } from './taskFates.js';
import type { Fate } from './taskFates.js';
import type { TraceStore } from './traceStore.js';

export interface BlockedStep {
  span: number;
  lane: number;
  start: number;
  duration: number;
  location: string;
}

export interface TraceSummary {
  tasks: number;
  /** how many tasks met each fate */
  fates: Record<Fate, number>;
  threads: number;
  processes: number;
  /** tasks and threads alive at the same moment, at most (event-loop threads not counted) */
  maxConcurrency: number;
  blockedTotalUs: number;
  blockedCount: number;
  /** the longest loop-blocking steps, longest first */
  worstBlocks: BlockedStep[];
  dropped: number;
  spans: number;
  durationUs: number;
}

/** Keeps the summary current as spans are appended, touching each span once. */
export class SummaryTracker {
  private seen = 0;
  private blockedTotal = 0;
  private blockedCount = 0;
  private worst: BlockedStep[] = [];

  update(store: TraceStore): TraceSummary {
    const { spans, lanes } = store.tables;
    for (let i = this.seen; i < spans.kind.length; i++) {
      if (spans.kind[i] !== SpanKind.blocked) continue;
      const d = spans.end[i] - spans.start[i];
      this.blockedTotal += d;
      this.blockedCount++;
      if (this.worst.length < 5 || d > this.worst[this.worst.length - 1].duration) {
        const location = store.str(spans.label[i]);
        this.worst.push({ span: i, lane: spans.lane[i], start: spans.start[i], duration: d, location });
        this.worst.sort((a, b) => b.duration - a.duration);
        this.worst.length = Math.min(this.worst.length, 5);
      }
    }
    this.seen = spans.kind.length;
    let tasks = 0;
    let threads = 0;
    let processes = 0;
    const duration = store.duration;
    const events: [number, number][] = [];
    // a thread that runs an event loop is where its tasks run, not something running beside them
    const loopThreads = new Set<number>();
    for (let l = 0; l < lanes.kind.length; l++) {
      const by = lanes.created_by[l];
      if (lanes.kind[l] === LaneKind.task && by >= 0 && lanes.kind[by] === LaneKind.thread) loopThreads.add(by);
      const parent = lanes.parent[l];
      if (lanes.kind[l] === LaneKind.task && parent >= 0 && lanes.kind[parent] === LaneKind.thread) {
        loopThreads.add(parent);
      }
    }
    for (let l = 0; l < lanes.kind.length; l++) {
      const k = lanes.kind[l];
      if (k === LaneKind.task) tasks++;
      else if (k === LaneKind.thread) threads++;
      else processes++;
      if (k !== LaneKind.process && !loopThreads.has(l)) {
        events.push([lanes.start[l], 1]);
        events.push([store.laneEndTime(l) ?? duration, -1]);
      }
    }
    // ends sort before starts at the same instant: a handoff is not concurrency
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let alive = 0;
    let maxConcurrency = 0;
    for (const [, d] of events) {
      alive += d;
      if (alive > maxConcurrency) maxConcurrency = alive;
    }
    return {
      tasks,
      fates: countFates(store),
      threads,
      processes,
      maxConcurrency,
      blockedTotalUs: this.blockedTotal,
      blockedCount: this.blockedCount,
      worstBlocks: this.worst.slice(),
      dropped: store.meta?.dropped ?? 0,
      spans: spans.kind.length,
      durationUs: duration
    };
  }
}
