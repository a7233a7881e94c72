/**
 * Puts the bar layer on the canvas: one putImageData onto a scratch canvas, one drawImage, so a
 * frame costs the plot's pixels whatever the number of spans.
 */
import { SpanKind } from '../../protocol/trace.js';
import type { BarLayer } from './barLayer.js';
import { pixelOf } from './palette.js';
import type { Palette } from './palette.js';

export class BarCompositor {
  private scratch: HTMLCanvasElement | null = null;
  private image: ImageData | null = null;
  private palette: Palette | null = null;

  /** Colour the bars from the theme: slot k is span kind k (BarLayer's convention). */
  usePalette(bars: BarLayer, palette: Palette): void {
    if (palette === this.palette) return;
    this.palette = palette;
    for (const [name, kind] of Object.entries(SpanKind) as [keyof typeof SpanKind, SpanKind][]) {
      bars.colors[kind] = pixelOf(palette[name]);
    }
  }

  composite(ctx: CanvasRenderingContext2D, bars: BarLayer, x: number, y: number): void {
    this.scratch ??= document.createElement('canvas');
    const scratch = this.scratch;
    if (scratch.width !== bars.width || scratch.height !== bars.height) {
      scratch.width = bars.width;
      scratch.height = bars.height;
      this.image = null;
    }
    const scratchCtx = scratch.getContext('2d');
    if (!scratchCtx) return;
    if (!this.image || this.image.width !== bars.width || this.image.height !== bars.height) {
      // a view of the layer's own buffer: no copy per frame
      const { buffer, byteOffset, byteLength } = bars.pixels;
      this.image = new ImageData(new Uint8ClampedArray(buffer, byteOffset, byteLength), bars.width, bars.height);
    }
    scratchCtx.putImageData(this.image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(scratch, x, y);
  }
}
