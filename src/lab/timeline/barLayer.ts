/**
 * The bars of every lane as a pixel buffer, written straight into pixels: the cost is bounded by
 * the plot's area, whatever the number of spans. Colour slot k is span kind k.
 */
import { KIND_COUNT } from '../trace/coverageMipmap.js';

export class BarLayer {
  width = 0;
  height = 0;
  pixels = new Uint32Array(0);
  /** pixels written this frame: a measure of work */
  written = 0;
  /** RGBA pixel per colour slot, set from the palette */
  colors = new Uint32Array(KIND_COUNT);

  resize(width: number, height: number): void {
    width = Math.max(1, Math.floor(width));
    height = Math.max(1, Math.floor(height));
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.pixels = new Uint32Array(width * height);
    } else this.pixels.fill(0);
    this.written = 0;
  }

  /** Fill columns [x0, x1) of rows [y0, y0 + h) with colour slot `slot`. */
  fill(slot: number, x0: number, x1: number, y0: number, h: number): void {
    x0 = Math.max(0, x0 | 0);
    x1 = Math.min(this.width, x1 | 0);
    const ya = Math.max(0, y0 | 0);
    const yb = Math.min(this.height, (y0 + h) | 0);
    if (x1 <= x0 || yb <= ya) return;
    const c = this.colors[slot];
    const w = this.width;
    const px = this.pixels;
    if (x1 - x0 <= 8) {
      // narrow runs are the common case when zoomed out: a plain loop beats many fill() calls
      for (let y = ya; y < yb; y++) {
        const row = y * w;
        for (let x = x0; x < x1; x++) px[row + x] = c;
      }
    } else {
      for (let y = ya; y < yb; y++) px.fill(c, y * w + x0, y * w + x1);
    }
    this.written += (x1 - x0) * (yb - ya);
  }
}
