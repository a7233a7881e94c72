/** Recent per-core CPU samples from the meter comm, as a bounded history. Pure. */
import type { MeterSample } from '../../protocol/trace.js';

export class CpuHistory {
  private samples: MeterSample[] = [];
  /** most busy cores seen in one sample since the last reset */
  peakBusy = 0;
  constructor(
    public capacity = 120,
    public busyThreshold = 50
  ) {}

  push(s: MeterSample): void {
    this.samples.push(s);
    if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity);
    this.peakBusy = Math.max(this.peakBusy, this.busyCores(s));
  }

  busyCores(s: MeterSample | undefined = this.latest): number {
    if (!s) return 0;
    return s.per_core.filter(u => u >= this.busyThreshold).length;
  }

  get latest(): MeterSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  get all(): readonly MeterSample[] {
    return this.samples;
  }

  /** Utilisation of one core over the kept history, oldest first. */
  series(core: number): number[] {
    return this.samples.map(s => s.per_core[core] ?? 0);
  }

  /** Total throttled time over the kept history, µs. */
  get throttledUs(): number {
    return this.samples.reduce((a, s) => a + (s.throttled_us || 0), 0);
  }

  clear(): void {
    this.samples = [];
    this.peakBusy = 0;
  }
}

/** Check a message from the meter comm; returns null for anything that is not a CPU sample. */
export function asMeterSample(x: unknown): MeterSample | null {
  if (typeof x !== 'object' || x === null) return null;
  const s = x as Record<string, unknown>;
  if (s.type !== 'cpu' || !Array.isArray(s.per_core) || !s.per_core.every(v => typeof v === 'number')) return null;
  return {
    type: 'cpu',
    t_unix_us: typeof s.t_unix_us === 'number' ? s.t_unix_us : Date.now() * 1000,
    per_core: s.per_core as number[],
    host_cpus: typeof s.host_cpus === 'number' ? s.host_cpus : (s.per_core as number[]).length,
    effective_cpus: typeof s.effective_cpus === 'number' ? s.effective_cpus : (s.per_core as number[]).length,
    effective_cpus_reason: typeof s.effective_cpus_reason === 'string' ? s.effective_cpus_reason : '',
    throttled_us: typeof s.throttled_us === 'number' ? s.throttled_us : 0,
    processes: Array.isArray(s.processes)
      ? (s.processes as unknown[]).filter((p): p is MeterSample['processes'][number] => {
          const q = p as Record<string, unknown>;
          return typeof q === 'object' && q !== null && typeof q.pid === 'number' && typeof q.cpu === 'number';
        })
      : []
  };
}
