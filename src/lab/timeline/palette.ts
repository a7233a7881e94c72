/** Canvas colours resolved from JupyterLab theme variables (--jp-*), so light and dark themes both work. */

export interface Palette {
  bg: string;
  rowAlt: string;
  header: string;
  text: string;
  textDim: string;
  grid: string;
  run: string;
  suspended: string;
  lockWait: string;
  lockHold: string;
  blocked: string;
  core: string;
  /** CPU use of a thread or process, drawn over its bar */
  cpu: string;
  focus: string;
  /** task fates, drawn as end markers */
  returned: string;
  raised: string;
  cancelled: string;
  destroyed: string;
  neverAwaited: string;
  /** the await connectors between lanes */
  awaits: string;
  font: string;
}

/** Each colour's theme variable and the value used when no JupyterLab theme is loaded. */
const VARS: Record<Exclude<keyof Palette, 'font'>, [string, string]> = {
  bg: ['--jp-layout-color0', '#ffffff'],
  rowAlt: ['--jp-layout-color1', '#fafafa'],
  header: ['--jp-layout-color2', '#eeeeee'],
  text: ['--jp-ui-font-color1', 'rgba(0,0,0,0.87)'],
  textDim: ['--jp-ui-font-color2', 'rgba(0,0,0,0.54)'],
  grid: ['--jp-border-color2', '#e0e0e0'],
  run: ['--jp-brand-color1', '#1976d2'],
  suspended: ['--jp-layout-color4', '#757575'],
  lockWait: ['--jp-warn-color1', '#f57c00'],
  lockHold: ['--jp-success-color1', '#388e3c'],
  blocked: ['--jp-error-color1', '#d32f2f'],
  core: ['--jp-brand-color1', '#1976d2'],
  cpu: ['--jp-brand-color0', '#0d47a1'],
  focus: ['--jp-ui-font-color0', 'rgba(0,0,0,1)'],
  returned: ['--jp-success-color1', '#388e3c'],
  raised: ['--jp-error-color1', '#d32f2f'],
  cancelled: ['--jp-warn-color1', '#f57c00'],
  destroyed: ['--jp-ui-font-color2', 'rgba(0,0,0,0.54)'],
  // no JupyterLab variable is purple: style/base.css sets this one for light and dark themes
  neverAwaited: ['--tl-never-awaited-color', '#8e24aa'],
  awaits: ['--jp-ui-font-color1', 'rgba(0,0,0,0.87)']
};

export function resolvePalette(el: Element): Palette {
  const style = getComputedStyle(el);
  const out: Record<string, string> = {};
  for (const [key, [name, fallback]] of Object.entries(VARS)) {
    out[key] = style.getPropertyValue(name).trim() || fallback;
  }
  const family = style.getPropertyValue('--jp-ui-font-family').trim() || 'system-ui, sans-serif';
  out.font = `11px ${family}`;
  return out as unknown as Palette;
}

/** Resolves again only when the theme changes (JupyterLab sets data-jp-theme-name on body). */
export class PaletteCache {
  private key = '';
  private value: Palette | null = null;
  get(el: Element): Palette {
    const key = document.body?.getAttribute('data-jp-theme-name') ?? '';
    if (!this.value || key !== this.key) {
      this.value = resolvePalette(el);
      this.key = key;
    }
    return this.value;
  }
  invalidate(): void {
    this.value = null;
  }
}

const rgbaCache = new Map<string, number>();

/** A CSS colour as a little-endian RGBA pixel (for writing ImageData through a Uint32Array). */
export function pixelOf(css: string): number {
  let v = rgbaCache.get(css);
  if (v !== undefined) return v;
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) return 0xff808080;
  ctx.fillStyle = css;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  v = ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
  rgbaCache.set(css, v);
  return v;
}

/** Call `fn` after JupyterLab switches theme (it sets data-jp-theme-name on body); returns the unsubscribe. */
export function onThemeChange(fn: () => void): () => void {
  if (typeof MutationObserver === 'undefined' || !document.body) return () => undefined;
  const observer = new MutationObserver(() => {
    // the theme's CSS variables apply once its stylesheet is in: repaint on the next frame
    requestAnimationFrame(fn);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light'] });
  return () => observer.disconnect();
}
