/**
 * Which part of the trace the canvas shows: the time window (zoom and pan), how far the lanes
 * are scrolled, and whether the view follows a growing trace. Pure: no DOM.
 */
import { TimeScale } from './timeScale.js';

/** Width of the lane labels left of the plot, px. */
export const LABEL_WIDTH = 210;
/** Height of the time axis above the lanes, px. */
export const AXIS_HEIGHT = 22;
/** The lanes scroll inside a body of at most this height, px. */
const MAX_BODY_HEIGHT = 460;
const MIN_BODY_HEIGHT = 40;
/** One step of the zoom buttons and keys. */
export const ZOOM_STEP = 1.6;
/** The time window may go this far (a share of the duration) beyond either end of the trace. */
const OVERSCROLL = 0.05;

export class Viewport {
  readonly scale = new TimeScale(0, 1, 1);
  /** how far the lanes are scrolled down, px */
  scrollY = 0;
  /** true: show the whole trace, also as it grows; zooming or panning turns it off */
  follow = true;
  /** height of all rows, px (from the layout) */
  contentHeight = 0;

  /** `duration`: µs traced so far, at least 1 */
  constructor(private readonly duration: () => number) {}

  /** Height of the scrolling lane area, px. */
  get bodyHeight(): number {
    return Math.min(MAX_BODY_HEIGHT, Math.max(this.contentHeight, MIN_BODY_HEIGHT));
  }

  /** Before a paint: the plot's width, the scroll kept inside the rows, the whole trace when following. */
  frame(plotWidth: number, growing: boolean): void {
    this.scrollY = Math.max(0, Math.min(this.scrollY, this.contentHeight - this.bodyHeight));
    this.scale.width = plotWidth;
    const duration = this.duration();
    // a growing trace gets room on the right, so its newest spans are not glued to the edge
    if (this.follow) this.scale.fit(0, growing ? duration * 1.05 : duration);
  }

  /** Zoom by `factor` (> 1 zooms in) around plot x. */
  zoomBy(factor: number, x = this.scale.width / 2): void {
    this.follow = false;
    this.scale.zoom(factor, x, 1e-3, (this.duration() * 1.5) / Math.max(1, this.scale.width));
    this.clamp();
  }

  /** Pan by dx px (positive brings earlier times into view). */
  pan(dx: number): void {
    this.follow = false;
    this.scale.pan(dx);
    this.clamp();
  }

  /** Scroll the lanes by dy px; false when they cannot move that way. */
  scrollBy(dy: number): boolean {
    const next = Math.max(0, Math.min(this.contentHeight - this.bodyHeight, this.scrollY + dy));
    if (next === this.scrollY) return false;
    this.scrollY = next;
    return true;
  }

  /** Show the whole trace from the top, and follow it as it grows. */
  fit(): void {
    this.follow = true;
    this.scrollY = 0;
  }

  /** Show [start, end] across the plot. */
  show(start: number, end: number): void {
    this.follow = false;
    this.scale.fit(start, end);
  }

  /** Centre [start, end] when none of it is in view. */
  reveal(start: number, end: number): void {
    const { scale } = this;
    if (end >= scale.t0 && start <= scale.t1) return;
    this.follow = false;
    scale.t0 = (start + end) / 2 - (scale.t1 - scale.t0) / 2;
    this.clamp();
  }

  /** Scroll so that the rows in [y, y + h) are in view. */
  revealRows(y: number, h: number): void {
    if (y < this.scrollY) this.scrollY = y;
    else if (y + h > this.scrollY + this.bodyHeight) this.scrollY = y + h - this.bodyHeight;
  }

  /** Keep the time window near the trace. */
  clamp(): void {
    const duration = this.duration();
    const pad = duration * OVERSCROLL;
    this.scale.clamp(-pad, duration + pad);
  }
}
