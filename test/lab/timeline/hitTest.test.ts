import { describe, expect, it } from 'vitest';
import { hitTest } from '../../../src/lab/timeline/hitTest.js';
import { AXIS_HEIGHT, LABEL_WIDTH } from '../../../src/lab/timeline/viewport.js';
import { SpanKind } from '../../../src/protocol/trace.js';
import { laneRows, sceneOf } from './canvasScene.js';

describe('hit test', () => {
  const scene = sceneOf(2000);
  const { spans } = scene.store.tables;
  const { scale } = scene.viewport;
  const row = laneRows(scene)[0];

  it('finds no row over the axis and no span over the labels', () => {
    expect(hitTest(scene, LABEL_WIDTH + 10, AXIS_HEIGHT - 1).row).toBeNull();
    const overLabel = hitTest(scene, 10, AXIS_HEIGHT + row.y + 5);
    expect(overLabel.row).toBe(row);
    expect(overLabel.span).toBe(-1);
  });

  it('finds a group header', () => {
    expect(hitTest(scene, 50, AXIS_HEIGHT + 1).row).toMatchObject({ type: 'group', group: 'tasks' });
  });

  it('finds the span under the pointer on its lane: no lock span above the lock strip', () => {
    const span = spans.lane.findIndex((lane, i) => lane === row.lane && spans.kind[i] === SpanKind.run);
    const t = (spans.start[span] + spans.end[span]) / 2;
    const hit = hitTest(scene, LABEL_WIDTH + scale.x(t), AXIS_HEIGHT + row.y + 5);
    expect(hit.span).toBeGreaterThanOrEqual(0);
    expect(spans.lane[hit.span]).toBe(row.lane);
    expect([SpanKind.lockWait, SpanKind.lockHold]).not.toContain(spans.kind[hit.span]);
    const tolerance = scale.usPerPx * 2;
    expect(spans.start[hit.span] - tolerance).toBeLessThanOrEqual(t);
    expect(spans.end[hit.span] + tolerance).toBeGreaterThanOrEqual(t);
  });
});
