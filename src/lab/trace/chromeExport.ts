/**
 * Export a trace as Chrome Trace Event JSON (opens in Perfetto and chrome://tracing): one
 * complete ("X") event per span, process/thread names as metadata, per-core CPU as counters,
 * lane ends as instant events (with why a task was cancelled and by whom), and each await edge
 * as a flow arrow from the awaiting task to the one it awaits, at the moment the wait began. Pure.
 */
import {
  LANE_KIND_LABELS,
  LaneKind,
  OUTCOME_LABELS,
  Outcome,
  SPAN_KIND_LABELS,
  SpanKind
} from '../../protocol/trace.js';
import type { Trace } from '../../protocol/trace.js';

export interface ChromeEvent {
  name: string;
  ph: 'X' | 'M' | 'C' | 'i' | 's' | 'f';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 'g' | 'p' | 't';
  /** a flow's id (its start "s" and finish "f" events share it) */
  id?: number;
  /** a flow finish binds to the slice enclosing its time ("e") */
  bp?: 'e';
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

/** A span's event name: its kind, then the lock it concerns or what it awaited / where it blocked. */
function spanName(kind: SpanKind, label: string, lock: string): string {
  const name = SPAN_KIND_LABELS[kind] ?? `kind ${kind}`;
  if (lock) return `${name} ${lock}`;
  return label && kind !== SpanKind.run ? `${name}: ${label}` : name;
}

export function toChromeTrace(trace: Trace): ChromeTrace {
  const str = (i: number): string => (i >= 0 && i < trace.strings.length ? trace.strings[i] : '');
  const { lanes, spans, ends, locks, cpu } = trace;
  const kernelPid = trace.meta.pid;
  const events: ChromeEvent[] = [];
  // Processes are Chrome "processes"; tasks and threads are "threads" of the process they run in.
  const pidOf = (lane: number): number => {
    for (let l = lane, hops = 0; l >= 0 && hops < 64; l = lanes.parent[l], hops++) {
      if (lanes.kind[l] === LaneKind.process) return lanes.os_id[l] > 0 ? lanes.os_id[l] : kernelPid;
    }
    return kernelPid;
  };
  const tidOf = (lane: number): number => lane + 1;
  const pids = new Set<number>();
  for (let l = 0; l < lanes.kind.length; l++) {
    const pid = pidOf(l);
    if (lanes.kind[l] === LaneKind.process) {
      events.push({ name: 'process_name', ph: 'M', pid, args: { name: str(lanes.name[l]) || `process ${pid}` } });
      pids.add(pid);
    }
    const name = `${LANE_KIND_LABELS[lanes.kind[l]] ?? 'lane'}: ${str(lanes.name[l])}`;
    events.push({ name: 'thread_name', ph: 'M', pid, tid: tidOf(l), args: { name } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid, tid: tidOf(l), args: { sort_index: l } });
  }
  if (!pids.has(kernelPid)) events.push({ name: 'process_name', ph: 'M', pid: kernelPid, args: { name: 'kernel' } });
  for (let i = 0; i < spans.lane.length; i++) {
    const lane = spans.lane[i];
    const kind = spans.kind[i];
    const label = str(spans.label[i]);
    const lock = spans.lock[i] >= 0 ? str(locks.name[spans.lock[i]]) : '';
    const args: Record<string, string | number> = {};
    if (label) args[kind === SpanKind.blocked ? 'location' : 'awaiting'] = label;
    if (lock) args.lock = lock;
    events.push({
      name: spanName(kind, label, lock),
      cat: SPAN_KIND_LABELS[kind] ?? 'span',
      ph: 'X',
      ts: spans.start[i],
      dur: Math.max(0, spans.end[i] - spans.start[i]),
      pid: pidOf(lane),
      tid: tidOf(lane),
      ...(Object.keys(args).length ? { args } : {})
    });
  }
  for (let i = 0; i < ends.lane.length; i++) {
    const outcome = ends.outcome[i];
    const args: Record<string, string | number> = {};
    const detail = str(ends.detail[i]);
    if (detail) args.detail = detail;
    const reason = str(ends.reason[i]);
    if (reason) args.reason = reason;
    if (ends.by[i] >= 0) args.by = str(lanes.name[ends.by[i]]);
    events.push({
      name: OUTCOME_LABELS[outcome] ?? OUTCOME_LABELS[Outcome.ok],
      ph: 'i',
      s: 't',
      ts: ends.t[i],
      pid: pidOf(ends.lane[i]),
      tid: tidOf(ends.lane[i]),
      ...(Object.keys(args).length ? { args } : {})
    });
  }
  const { awaits } = trace;
  for (let i = 0; i < awaits.lane.length; i++) {
    const [from, to, ts] = [awaits.lane[i], awaits.target[i], awaits.start[i]];
    const flow = { name: 'await', cat: 'await', id: i + 1, ts };
    events.push({ ...flow, ph: 's', pid: pidOf(from), tid: tidOf(from) });
    events.push({ ...flow, ph: 'f', bp: 'e', pid: pidOf(to), tid: tidOf(to) });
  }
  for (let i = 0; i < cpu.t.length; i++) {
    const name = `cpu core ${cpu.core[i]}`;
    events.push({ name, ph: 'C', ts: cpu.t[i], pid: kernelPid, args: { util: cpu.util[i] } });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      source: 'threadline',
      schema_version: trace.version,
      t0_unix_us: trace.meta.t0_unix_us,
      python: trace.meta.python,
      host_cpus: trace.meta.host_cpus,
      effective_cpus: trace.meta.effective_cpus,
      dropped: trace.meta.dropped,
      ...(trace.meta.label ? { label: trace.meta.label } : {})
    }
  };
}
