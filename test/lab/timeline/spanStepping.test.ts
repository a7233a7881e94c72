import { describe, expect, it } from 'vitest';
import { stepAcrossLanes, stepAlongLane } from '../../../src/lab/timeline/spanStepping.js';
import { laneRows, sceneOf } from './canvasScene.js';

describe('stepping through spans by keyboard', () => {
  const scene = sceneOf(2000);
  const { spans } = scene.store.tables;
  const rows = laneRows(scene);

  it('starts on the top lane and walks along the pinned span’s lane in start order', () => {
    const first = stepAlongLane(scene, -1, 1);
    expect(spans.lane[first]).toBe(rows[0].lane);
    const next = stepAlongLane(scene, first, 1);
    expect(spans.lane[next]).toBe(rows[0].lane);
    expect(spans.start[next]).toBeGreaterThan(spans.start[first]);
    const back = stepAlongLane(scene, next, -1);
    expect(spans.start[back]).toBeLessThan(spans.start[next]);
  });

  it('moves across to the next lane down, and stops at the last one', () => {
    const first = stepAlongLane(scene, -1, 1);
    const step = stepAcrossLanes(scene, first, 1);
    expect(step?.row).toBe(rows[1]);
    expect(spans.lane[step?.span ?? -1]).toBe(rows[1].lane);
    const withSpans = rows.filter(row => (scene.lanes[row.lane]?.count ?? 0) > 0);
    const last = withSpans[withSpans.length - 1];
    expect(stepAcrossLanes(scene, spans.lane.lastIndexOf(last.lane), 1)).toBeNull();
  });
});
