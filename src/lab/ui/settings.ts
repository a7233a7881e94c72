/** The extension's settings (schema/plugin.json), with defaults and a tolerant reader. Pure. */

export type LaneGroup = 'tasks' | 'threads' | 'processes' | 'cores';
export const LANE_GROUPS: LaneGroup[] = ['tasks', 'threads', 'processes', 'cores'];

export interface ThreadlineSettings {
  /** how often the kernel sends CPU samples, ms */
  meterIntervalMs: number;
  /** seconds of per-core history kept by the CPU panel */
  historySeconds: number;
  /** a core above this utilisation (%) counts as busy */
  busyThreshold: number;
  /** a lock whose wait ÷ (wait + hold) is above this is flagged as contended */
  contentionWarning: number;
  /** lane groups shown when a timeline opens */
  defaultLanes: LaneGroup[];
  /** height of one lane, px */
  laneHeight: number;
  /** show the CPU meter in the status bar */
  statusBarMeter: boolean;
}

export const DEFAULT_SETTINGS: ThreadlineSettings = {
  meterIntervalMs: 500,
  historySeconds: 60,
  busyThreshold: 50,
  contentionWarning: 0.3,
  defaultLanes: LANE_GROUPS,
  laneHeight: 18,
  statusBarMeter: true
};

function num(x: unknown, lo: number, hi: number, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback;
}

export function readSettings(raw: Record<string, unknown> | null | undefined): ThreadlineSettings {
  const r = raw ?? {};
  const d = DEFAULT_SETTINGS;
  const lanes = Array.isArray(r.defaultLanes)
    ? (r.defaultLanes.filter(x => typeof x === 'string' && (LANE_GROUPS as string[]).includes(x)) as LaneGroup[])
    : d.defaultLanes;
  return {
    meterIntervalMs: num(r.meterIntervalMs, 100, 10_000, d.meterIntervalMs),
    historySeconds: num(r.historySeconds, 10, 600, d.historySeconds),
    busyThreshold: num(r.busyThreshold, 1, 100, d.busyThreshold),
    contentionWarning: num(r.contentionWarning, 0, 1, d.contentionWarning),
    defaultLanes: lanes,
    laneHeight: num(r.laneHeight, 12, 40, d.laneHeight),
    statusBarMeter: typeof r.statusBarMeter === 'boolean' ? r.statusBarMeter : d.statusBarMeter
  };
}

/** The current settings, shared by the plugins and the MIME renderer (one bundle, one module). */
type Listener = (s: ThreadlineSettings) => void;
class SettingsStore {
  private value: ThreadlineSettings = DEFAULT_SETTINGS;
  private listeners = new Set<Listener>();
  get current(): ThreadlineSettings {
    return this.value;
  }
  set(raw: Record<string, unknown> | null | undefined): void {
    this.value = readSettings(raw);
    for (const l of this.listeners) l(this.value);
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
export const settingsStore = new SettingsStore();
