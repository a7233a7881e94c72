/**
 * The mark at the end of a lane that says how it ended, one shape and colour per fate so that
 * shape alone tells them apart (colour-blind readers, print): returned ●, raised ✕, cancelled ■,
 * destroyed while pending ○, never awaited △. The legend draws the same shapes.
 */
import type { Fate } from '../trace/taskFates.js';
import type { Palette } from './palette.js';

/** Draw `fate`'s marker centred on (x, y), `size` px across. Still running lanes get none. */
export function drawFateMarker(
  ctx: CanvasRenderingContext2D,
  fate: Fate,
  x: number,
  y: number,
  size: number,
  pal: Palette
): void {
  if (fate === 'running') return;
  const r = size / 2;
  ctx.save();
  ctx.lineWidth = Math.max(1.5, size / 5);
  ctx.beginPath();
  switch (fate) {
    case 'returned':
      ctx.fillStyle = pal.returned;
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      break;
    case 'raised':
      ctx.strokeStyle = pal.raised;
      ctx.lineWidth = Math.max(2, size / 3.5);
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.stroke();
      break;
    case 'cancelled':
      ctx.fillStyle = pal.cancelled;
      ctx.rect(x - r, y - r, size, size);
      ctx.fill();
      break;
    case 'destroyed':
      ctx.strokeStyle = pal.destroyed;
      ctx.arc(x, y, r - ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.stroke();
      break;
    case 'neverAwaited':
      ctx.strokeStyle = pal.neverAwaited;
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.lineTo(x - r, y + r);
      ctx.closePath();
      ctx.stroke();
      break;
  }
  ctx.restore();
}
