import { describe, expect, it } from 'vitest';
import { Viewport } from '../../../src/lab/timeline/viewport.js';

/** A viewport 100 px wide over a trace of `duration` µs, framed once. */
function framed(duration: () => number, growing = false): Viewport {
  const viewport = new Viewport(duration);
  viewport.frame(100, growing);
  return viewport;
}

describe('viewport', () => {
  it('shows the whole trace, and follows it as it grows with room on the right', () => {
    let duration = 1000;
    const viewport = framed(() => duration);
    expect(viewport.scale.t0).toBe(0);
    expect(viewport.scale.t1).toBeCloseTo(1000);
    duration = 2000;
    viewport.frame(100, true);
    expect(viewport.scale.t1).toBeCloseTo(2100);
  });

  it('stops following once zoomed or panned, stays near the trace, and fits again', () => {
    const viewport = framed(() => 1000);
    viewport.zoomBy(2, 0);
    expect(viewport.follow).toBe(false);
    expect(viewport.scale.t0).toBe(0);
    expect(viewport.scale.t1).toBeCloseTo(500);
    viewport.pan(-10_000);
    expect(viewport.scale.t1).toBeCloseTo(1050);
    viewport.zoomBy(1 / 100);
    expect(viewport.scale.usPerPx).toBeCloseTo(15);
    viewport.fit();
    viewport.frame(100, false);
    expect(viewport.follow).toBe(true);
    expect(viewport.scale.t1).toBeCloseTo(1000);
  });

  it('scrolls the lanes only as far as they go', () => {
    const viewport = framed(() => 1000);
    viewport.contentHeight = 1000;
    expect(viewport.bodyHeight).toBe(460);
    expect(viewport.scrollBy(10_000)).toBe(true);
    expect(viewport.scrollY).toBe(540);
    expect(viewport.scrollBy(10)).toBe(false);
    viewport.contentHeight = 20;
    expect(viewport.scrollBy(-10)).toBe(true);
    viewport.frame(100, false);
    expect(viewport.scrollY).toBe(0);
  });

  it('centres a span that is out of view, and scrolls just enough to show a row', () => {
    const viewport = framed(() => 1000);
    viewport.zoomBy(10, 0);
    expect(viewport.scale.t1).toBeCloseTo(100);
    viewport.reveal(50, 60);
    expect(viewport.scale.t0).toBe(0);
    viewport.reveal(800, 820);
    expect(viewport.scale.t0).toBeCloseTo(760);
    viewport.contentHeight = 1000;
    viewport.revealRows(500, 18);
    expect(viewport.scrollY).toBe(58);
    viewport.revealRows(10, 18);
    expect(viewport.scrollY).toBe(10);
  });
});
