/**
 * The legend under the canvas: a swatch per span kind and per CPU measure, the end marker of each
 * task fate (drawn by the canvas's own code), the await connector, lane group toggles, a hint.
 */
import { SPAN_KIND_LABELS, SpanKind } from '../../protocol/trace.js';
import { FATES, FATE_LABELS } from '../trace/taskFates.js';
import type { Fate } from '../trace/taskFates.js';
import { el } from '../ui/element.js';
import type { LaneGroup } from '../ui/settings.js';
import { drawFateMarker } from './fateMarkers.js';
import { GROUP_LABELS } from './laneLayout.js';
import type { Palette } from './palette.js';

/** Swatches: CSS class suffix (style/base.css) and what it means. */
const SWATCHES: [string, string][] = [
  ...Object.entries(SpanKind).map(([name, kind]): [string, string] => [name, SPAN_KIND_LABELS[kind]]),
  ['cpu', 'CPU use of a thread/process'],
  ['core', 'core utilisation']
];

const HINT = 'Ctrl/⌘+wheel or +/− zoom · drag, Shift+wheel or ←/→ pan · click or n/p pins details';

export class Legend {
  readonly node = el('div', 'tl-Legend');
  private readonly toggles = el('span', 'tl-GroupToggles');
  private togglesFor = '';
  private readonly markers: [Fate, HTMLImageElement][] = [];
  private readonly arrow = marker();
  private markersPalette: Palette | null = null;

  /** `shown`: the lane groups shown, changed in place; `onChange`: after a toggle */
  constructor(
    private readonly shown: Set<LaneGroup>,
    private readonly onChange: () => void
  ) {
    this.node.setAttribute('aria-label', 'Legend');
    for (const [name, text] of SWATCHES) {
      const item = el('span', 'tl-LegendItem');
      item.append(el('span', `tl-Swatch tl-Swatch-${name}`), document.createTextNode(text));
      this.node.append(item);
    }
    for (const fate of FATES) {
      if (fate === 'running') continue;
      const item = el('span', 'tl-LegendItem tl-LegendFate');
      const img = marker();
      item.dataset.fate = fate;
      item.append(img, document.createTextNode(FATE_LABELS[fate]));
      this.markers.push([fate, img]);
      this.node.append(item);
    }
    const awaits = el('span', 'tl-LegendItem');
    awaits.append(this.arrow, document.createTextNode('awaits another task'));
    this.node.append(awaits);
    this.toggles.setAttribute('role', 'group');
    this.toggles.setAttribute('aria-label', 'Lane groups shown');
    this.node.append(this.toggles, el('span', 'tl-Hint', HINT));
  }

  /** Draw the fate markers and the await connector in the canvas's colours (again after a theme change). */
  showMarkers(palette: Palette): void {
    if (palette === this.markersPalette) return;
    this.markersPalette = palette;
    for (const [fate, img] of this.markers) drawInto(img, 12, 12, ctx => drawFateMarker(ctx, fate, 6, 6, 9, palette));
    drawInto(this.arrow, 10, 14, ctx => {
      ctx.strokeStyle = ctx.fillStyle = palette.awaits;
      ctx.beginPath();
      ctx.moveTo(5, 3);
      ctx.lineTo(5, 13);
      ctx.stroke();
      ctx.beginPath();
      ctx.rect(3, 0.5, 4, 4);
      ctx.moveTo(5, 14);
      ctx.lineTo(1.5, 8.5);
      ctx.lineTo(8.5, 8.5);
      ctx.fill();
    });
  }

  /** A checkbox per lane group present in the trace, to show or hide it (keyboard reachable). */
  showGroups(present: LaneGroup[]): void {
    const key = present.join();
    if (key === this.togglesFor) return;
    this.togglesFor = key;
    this.toggles.replaceChildren();
    for (const group of present) {
      const label = el('label', 'tl-GroupToggle');
      const box = el('input', '');
      box.type = 'checkbox';
      box.checked = this.shown.has(group);
      box.dataset.group = group;
      box.addEventListener('change', () => {
        if (box.checked) this.shown.add(group);
        else this.shown.delete(group);
        this.onChange();
      });
      label.append(box, document.createTextNode(GROUP_LABELS[group]));
      this.toggles.append(label);
    }
  }
}

/** A legend symbol: an image, so the timeline's only canvas stays the timeline. */
function marker(): HTMLImageElement {
  const img = el('img', 'tl-LegendMarker');
  img.alt = '';
  return img;
}

/** Set `img` to what `draw` paints on a w × h (css px) canvas, sharp on high-DPI screens. */
function drawInto(img: HTMLImageElement, w: number, h: number, draw: (ctx: CanvasRenderingContext2D) => void): void {
  const dpr = window.devicePixelRatio || 1;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  draw(ctx);
  img.src = canvas.toDataURL();
  img.style.width = `${w}px`;
  img.style.height = `${h}px`;
}
