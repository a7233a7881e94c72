/** A timeline scene as the view builds it, 1000 px of plot over a synthetic trace, for hit and step tests. */
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { layoutRows } from '../../../src/lab/timeline/laneLayout.js';
import type { LaneRow } from '../../../src/lab/timeline/laneLayout.js';
import type { Scene } from '../../../src/lab/timeline/scene.js';
import { Viewport } from '../../../src/lab/timeline/viewport.js';
import { LANE_GROUPS } from '../../../src/lab/ui/settings.js';

export function sceneOf(spans: number): Scene {
  const store = TraceStore.fromTrace(generateTrace({ spans, tasks: 4, threads: 1, processes: 0, locks: 1, cores: 1 }));
  const layout = layoutRows(store, { laneHeight: 18, collapsed: new Set(), shown: new Set(LANE_GROUPS) });
  const viewport = new Viewport(() => Math.max(store.duration, 1));
  viewport.contentHeight = layout.height;
  viewport.frame(1000, false);
  return { store, rows: layout.rows, lanes: store.index(), viewport };
}

export function laneRows(scene: Scene): LaneRow[] {
  return scene.rows.filter((row): row is LaneRow => row.type === 'lane');
}
