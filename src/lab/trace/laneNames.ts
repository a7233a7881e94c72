/** How lanes are named to people. Pure. */
import type { TraceStore } from './traceStore.js';

/** A lane's name for people: tasks often share a coroutine name, so repeats are numbered (#1, #2…). */
export function laneDisplayName(store: TraceStore, lane: number): string {
  const { lanes } = store.tables;
  const name = lanes.name[lane];
  let label = store.str(name) || `lane ${lane}`;
  let nth = 0;
  let total = 0;
  for (let l = 0; l < lanes.name.length; l++) {
    if (lanes.name[l] !== name || lanes.kind[l] !== lanes.kind[lane]) continue;
    total++;
    if (l <= lane) nth++;
  }
  if (total > 1) label += ` #${nth}`;
  return label;
}
