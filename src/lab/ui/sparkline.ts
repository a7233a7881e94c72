/** SVG sparklines: the path is pure, the element takes its colour from CSS (theme variables). */

/** An SVG path for values drawn left to right in a w×h box, 0 at the bottom, `max` at the top. */
export function sparklinePath(values: readonly number[], w: number, h: number, max?: number): string {
  if (values.length === 0) return '';
  const top = max ?? Math.max(...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const y = (v: number): number => h - (Math.min(Math.max(v, 0), top) / top) * (h - 1) - 0.5;
  let d = `M0 ${y(values[0]).toFixed(1)}`;
  for (let i = 1; i < values.length; i++) d += ` L${(i * step).toFixed(1)} ${y(values[i]).toFixed(1)}`;
  return d;
}

const SVG = 'http://www.w3.org/2000/svg';

export function sparkline(values: readonly number[], w: number, h: number, label: string, max?: number): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'tl-Sparkline');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const d = sparklinePath(values, w, h, max);
  const area = document.createElementNS(SVG, 'path');
  area.setAttribute('class', 'tl-Sparkline-area');
  area.setAttribute('d', d ? `${d} L${w} ${h} L0 ${h} Z` : '');
  const line = document.createElementNS(SVG, 'path');
  line.setAttribute('class', 'tl-Sparkline-line');
  line.setAttribute('d', d);
  svg.append(area, line);
  return svg;
}
