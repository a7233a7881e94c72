/**
 * Pointer, wheel and keys on the timeline canvas. Drag, Shift+wheel and ←/→ pan; Ctrl/⌘+wheel,
 * +/− and double-click (Shift: out) zoom; 0 or Home fits; the wheel and ↑/↓ scroll the lanes;
 * hovering shows what is under the pointer; a click pins a span or folds a group; n/p step along
 * a lane, Shift+N/P across lanes; Escape unpins.
 */
import type { Hit } from './hitTest.js';
import { LABEL_WIDTH, ZOOM_STEP } from './viewport.js';
import type { Viewport } from './viewport.js';

/** What the input acts on besides the viewport. */
export interface CanvasInputTarget {
  readonly viewport: Viewport;
  /** what is under canvas point (x, y), px from its top-left corner */
  hitAt(x: number, y: number): Hit;
  /** the pointer rests over `hit` at client point (x, y); null: over nothing (dragging or gone) */
  hover(hit: Hit | null, clientX: number, clientY: number): void;
  /** a click that did not drag */
  click(hit: Hit): void;
  /** pin a span's details (-1 clears) */
  pin(span: number): void;
  /** pin the next (1) or previous (-1) span, along the pinned span's lane or across lanes */
  step(dir: 1 | -1, acrossLanes: boolean): void;
  /** how far ↑/↓ scroll the lanes, px */
  keyScroll(): number;
  /** repaint */
  update(): void;
}

/** ←/→ pan by this share of the plot's width. */
const KEY_PAN = 0.15;
/** A press that moves less than this (px, |dx| + |dy|) is a click, not a drag. */
const DRAG_SLOP = 3;
const WHEEL_ZOOM_RATE = 0.002;

export function bindCanvasInput(canvas: HTMLCanvasElement, target: CanvasInputTarget): void {
  const { viewport } = target;
  const local = (e: MouseEvent): { x: number; y: number } => {
    const box = canvas.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const hitAt = (e: MouseEvent): Hit => {
    const { x, y } = local(e);
    return target.hitAt(x, y);
  };
  const zoom = (factor: number, plotX?: number): void => {
    viewport.zoomBy(factor, plotX);
    target.update();
  };
  let drag: { x: number; y: number; moved: boolean } | null = null;

  canvas.addEventListener('pointerdown', e => {
    drag = { x: e.clientX, y: e.clientY, moved: false };
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener('pointermove', e => {
    if (!drag || (e.buttons & 1) !== 1) return target.hover(hitAt(e), e.clientX, e.clientY);
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) <= DRAG_SLOP) return;
    drag = { x: e.clientX, y: e.clientY, moved: true };
    viewport.pan(dx);
    viewport.scrollBy(-dy);
    target.hover(null, e.clientX, e.clientY);
    target.update();
  });
  canvas.addEventListener('pointerup', e => {
    const clicked = drag && !drag.moved;
    drag = null;
    if (clicked) target.click(hitAt(e));
  });
  canvas.addEventListener('pointerleave', e => target.hover(null, e.clientX, e.clientY));
  canvas.addEventListener('dblclick', e => {
    const plotX = local(e).x - LABEL_WIDTH;
    if (plotX >= 0) zoom(e.shiftKey ? 1 / 2 : 2, plotX);
  });

  canvas.addEventListener(
    'wheel',
    e => {
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        return zoom(Math.exp(-e.deltaY * WHEEL_ZOOM_RATE), Math.max(0, local(e).x - LABEL_WIDTH));
      }
      const dx = e.shiftKey ? e.deltaY : e.deltaX;
      if (Math.abs(dx) > 0) {
        e.preventDefault();
        viewport.pan(-dx);
        return target.update();
      }
      // the vertical wheel scrolls the lanes while they can scroll; otherwise the page scrolls
      if (viewport.scrollBy(e.deltaY)) {
        e.preventDefault();
        target.update();
      }
    },
    { passive: false }
  );

  /** Keys that move the view or the pin; false for keys that are not the timeline's. */
  const move = (key: string): boolean => {
    const width = viewport.scale.width;
    switch (key) {
      case 'ArrowLeft':
        viewport.pan(width * KEY_PAN);
        return true;
      case 'ArrowRight':
        viewport.pan(-width * KEY_PAN);
        return true;
      case 'ArrowUp':
        viewport.scrollBy(-target.keyScroll());
        return true;
      case 'ArrowDown':
        viewport.scrollBy(target.keyScroll());
        return true;
      case 'Escape':
        target.pin(-1);
        return true;
      case 'n':
      case 'p':
        target.step(key === 'n' ? 1 : -1, false);
        return true;
      case 'N':
      case 'P':
        target.step(key === 'N' ? 1 : -1, true);
        return true;
      default:
        return false;
    }
  };
  canvas.addEventListener('keydown', e => {
    switch (e.key) {
      case '+':
      case '=':
        e.preventDefault();
        return zoom(ZOOM_STEP);
      case '-':
      case '_':
        e.preventDefault();
        return zoom(1 / ZOOM_STEP);
      case '0':
      case 'Home':
        e.preventDefault();
        viewport.fit();
        return target.update();
    }
    if (!move(e.key)) return;
    e.preventDefault();
    e.stopPropagation();
    viewport.clamp();
    target.update();
  });
}
