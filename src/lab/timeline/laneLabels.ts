/** A lane's label on the timeline: its name, its CPU share over its life, the cores it ran on, its pid. */
import { LaneKind } from '../../protocol/trace.js';
import { laneDisplayName } from '../trace/laneNames.js';
import type { SampleIndex } from '../trace/laneSamples.js';
import type { TraceStore } from '../trace/traceStore.js';
import { formatPercent } from '../ui/format.js';

export class LaneLabels {
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly store: TraceStore,
    private readonly samples: SampleIndex
  ) {}

  label(lane: number): string {
    const cached = this.cache.get(lane);
    if (cached !== undefined) return cached;
    const { store } = this;
    const { lanes, ends } = store.tables;
    let label = laneDisplayName(store, lane);
    // CPU share over the lane's life: what tells threads under the GIL from processes
    const end = lanes.kind[lane] === LaneKind.task ? -1 : ends.lane.lastIndexOf(lane);
    if (end >= 0 && ends.cpu_us[end] >= 0) {
      const life = ends.t[end] - lanes.start[lane];
      if (life > 0) label += ` · ${formatPercent(ends.cpu_us[end] / life)} CPU`;
    }
    const cores = this.samples.laneCores.get(lane);
    if (cores?.size) label += ` · core${cores.size > 1 ? 's' : ''} ${[...cores].sort((a, b) => a - b).join(',')}`;
    if (lanes.kind[lane] === LaneKind.process && lanes.os_id[lane] > 0) label += ` · pid ${lanes.os_id[lane]}`;
    // labels with cores change as samples arrive: cache only complete traces
    if (store.complete) this.cache.set(lane, label);
    return label;
  }
}
