import { describe, expect, it } from 'vitest';
import { generateTrace } from '../traceGen.js';
import { TraceStore } from '../../../src/lab/trace/traceStore.js';
import { layoutRows, visibleRows } from '../../../src/lab/timeline/laneLayout.js';

describe('lane layout', () => {
  it('groups lanes and collapses groups', () => {
    const store = TraceStore.fromTrace(generateTrace({ spans: 100, tasks: 3, threads: 2, processes: 1, cores: 2 }));
    const all = new Set(['tasks', 'threads', 'processes', 'cores'] as const);
    const full = layoutRows(store, { laneHeight: 10, collapsed: new Set(), shown: all });
    expect(full.counts).toEqual({ tasks: 3, threads: 2, processes: 2, cores: 2 });
    const groups = full.rows.filter(r => r.type === 'group').map(r => r.type === 'group' && r.group);
    expect(groups).toEqual(['tasks', 'threads', 'processes', 'cores']);
    const shown = new Set(['tasks', 'threads'] as const);
    const folded = layoutRows(store, { laneHeight: 10, collapsed: new Set(['tasks']), shown });
    expect(folded.counts.tasks).toBe(0);
    expect(folded.rows.filter(r => r.type === 'lane').length).toBe(2);
    const vis = visibleRows(full.rows, 25, 45);
    expect(vis[0].y).toBeLessThanOrEqual(25);
    expect(vis.every(r => r.y < 45 && r.y + r.h > 25)).toBe(true);
  });
});
