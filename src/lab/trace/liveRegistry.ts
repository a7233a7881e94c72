/**
 * Live traces by trace_id. The trace comm handler feeds chunks in; a timeline output for that
 * trace_id (the probe's placeholder display) subscribes and repaints as they arrive. One
 * module instance is shared by the plugins and the MIME renderer (same bundle). Pure.
 */
import type { TraceChunk } from '../../protocol/trace.js';
import { TraceStore } from './traceStore.js';

export interface LiveTrace {
  store: TraceStore;
  kernelId: string | null;
  /** Date.now() of the last chunk */
  updatedAt: number;
  /** first error seen while applying chunks */
  error: Error | null;
}

type Listener = (trace: LiveTrace) => void;

export class LiveRegistry {
  private traces = new Map<string, LiveTrace>();
  private byId = new Map<string, Set<Listener>>();
  private everyone = new Set<Listener>();

  constructor(private readonly keep = 6) {}

  get(traceId: string): LiveTrace {
    let t = this.traces.get(traceId);
    if (!t) {
      t = { store: new TraceStore(traceId), kernelId: null, updatedAt: 0, error: null };
      this.traces.set(traceId, t);
      this.prune();
    }
    return t;
  }

  has(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  ingest(chunk: TraceChunk, kernelId: string | null): LiveTrace {
    const t = this.get(chunk.trace_id);
    if (kernelId) t.kernelId = kernelId;
    try {
      t.store.applyChunk(chunk);
    } catch (e) {
      t.error = e instanceof Error ? e : new Error(String(e));
    }
    t.updatedAt = Date.now();
    this.notify(chunk.trace_id, t);
    return t;
  }

  /** Record that a message for this trace could not be used, and tell its views. */
  fail(traceId: string, error: Error, kernelId: string | null): LiveTrace {
    const t = this.get(traceId);
    if (kernelId) t.kernelId = kernelId;
    t.error ??= error;
    t.updatedAt = Date.now();
    this.notify(traceId, t);
    return t;
  }

  private notify(traceId: string, t: LiveTrace): void {
    for (const l of this.byId.get(traceId) ?? []) l(t);
    for (const l of this.everyone) l(t);
  }

  /** Call `fn` on every update of one trace; returns the unsubscribe function. */
  subscribe(traceId: string, fn: Listener): () => void {
    let set = this.byId.get(traceId);
    if (!set) this.byId.set(traceId, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.byId.delete(traceId);
    };
  }

  subscribeAll(fn: Listener): () => void {
    this.everyone.add(fn);
    return () => this.everyone.delete(fn);
  }

  /** The most recently updated trace from a kernel. */
  latestFor(kernelId: string | null): LiveTrace | null {
    let best: LiveTrace | null = null;
    for (const t of this.traces.values()) {
      if (kernelId !== null && t.kernelId !== kernelId) continue;
      if (!best || t.updatedAt > best.updatedAt) best = t;
    }
    return best;
  }

  /** Forget the oldest traces nobody watches, beyond `keep`. */
  private prune(): void {
    if (this.traces.size <= this.keep) return;
    const idle = [...this.traces.entries()]
      .filter(([id]) => !this.byId.has(id))
      .sort((a, b) => a[1].updatedAt - b[1].updatedAt);
    for (const [id] of idle.slice(0, this.traces.size - this.keep)) this.traces.delete(id);
  }
}

export const liveRegistry = new LiveRegistry();
