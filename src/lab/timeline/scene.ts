/** What the canvas shows at a moment: a trace, its rows top to bottom, its lane indexes, the viewport. */
import type { LaneIndex } from '../trace/laneIndex.js';
import type { TraceStore } from '../trace/traceStore.js';
import type { Row } from './laneLayout.js';
import type { Viewport } from './viewport.js';

export interface Scene {
  readonly store: TraceStore;
  readonly rows: readonly Row[];
  /** span index per lane */
  readonly lanes: readonly LaneIndex[];
  readonly viewport: Viewport;
}
