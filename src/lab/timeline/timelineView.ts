/**
 * The timeline output: header with export buttons, summary line, canvas with lanes, tooltip,
 * pinned details, legend and the lock-contention table. Plain DOM (no Lumino), so the same view
 * runs in JupyterLab and in the benchmark page.
 */
import { LaneKind, Outcome, SpanKind } from '../../protocol/trace.js';
import { toChromeTrace } from '../trace/chromeExport.js';
import { downloadBlob, fileNameFor } from '../ui/download.js';
import { formatCount, formatDuration, formatPercent } from '../ui/format.js';
import type { LaneIndex } from '../trace/laneIndex.js';
import { defaultRank } from '../trace/laneIndex.js';
import { GROUP_LABELS, layoutRows } from './laneLayout.js';
import { laneDisplayName } from '../trace/laneNames.js';
import type { Layout, Row } from './laneLayout.js';
import { SampleIndex } from '../trace/laneSamples.js';
import { lockStats } from '../trace/lockStats.js';
import { renderLockTable } from '../meters/lockTable.js';
import { PaletteCache, onThemeChange, pixelOf } from './palette.js';
import type { Palette } from './palette.js';
import type { LaneGroup, ThreadlineSettings } from '../ui/settings.js';
import { TimeScale } from './timeScale.js';
import { BarLayer, bands, paintTimeline } from './timelinePainter.js';
import type { PaintStats } from './timelinePainter.js';
import type { TraceStore } from '../trace/traceStore.js';
import { SummaryTracker } from '../trace/traceSummary.js';
import type { TraceSummary } from '../trace/traceSummary.js';

const LABEL_W = 210;
const AXIS_H = 22;
const MAX_BODY_H = 460;

const KIND_LABEL: Record<number, string> = {
  [SpanKind.run]: 'running',
  [SpanKind.suspended]: 'suspended',
  [SpanKind.lockWait]: 'waiting for lock',
  [SpanKind.lockHold]: 'holding lock',
  [SpanKind.blocked]: 'blocked the event loop'
};

export interface PaintInfo {
  revision: number;
  spans: number;
  ms: number;
  stats: PaintStats;
}

const FOCUSABLE = new Set(['button', 'input', 'canvas', 'summary']);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  // keys typed on the timeline's controls are theirs: without this, notebook command-mode
  // shortcuts would fire too (b inserts a cell, d d deletes one, Enter edits the cell);
  // Lumino checks the attribute on the focused element itself
  if (FOCUSABLE.has(tag)) e.setAttribute('data-lm-suppress-shortcuts', '');
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class TimelineView {
  readonly node: HTMLDivElement;
  /** called after each paint (benchmarks measure live latency with it) */
  onPaint: ((info: PaintInfo) => void) | null = null;
  private store: TraceStore | null = null;
  private live = false;
  private canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D | null;
  private titleEl: HTMLElement;
  private liveBadge: HTMLElement;
  private summaryEl: HTMLElement;
  private blocksEl: HTMLElement;
  private tooltip: HTMLElement;
  private details: HTMLElement;
  private locksEl: HTMLDetailsElement;
  private locksBody: HTMLElement;
  private scale = new TimeScale(0, 1, 1);
  private follow = true;
  private scrollY = 0;
  private layout: Layout = { rows: [], height: 0, counts: { tasks: 0, threads: 0, processes: 0, cores: 0 } };
  private layoutKey = '';
  private lanes: LaneIndex[] = [];
  private samples = new SampleIndex();
  private summary = new SummaryTracker();
  private palette = new PaletteCache();
  private collapsed = new Set<LaneGroup>();
  private shown: Set<LaneGroup>;
  private hoverSpan = -1;
  private pinnedSpan = -1;
  private frame = 0;
  private paintedRevision = -1;
  private locksRevision = -1;
  private locksTimer = 0;
  private width = 0;
  private resize: ResizeObserver | null = null;
  private drag: { x: number; y: number; moved: boolean } | null = null;
  private labels = new Map<number, string>();
  private paints = 0;
  private stopTheme: (() => void) | null = null;
  private groupToggles: HTMLElement;
  private togglesKey = '';
  private bars = new BarLayer();
  private barCanvas: HTMLCanvasElement | null = null;
  private barImage: ImageData | null = null;
  private barPalette: Palette | null = null;

  constructor(private settings: ThreadlineSettings) {
    this.shown = new Set(settings.defaultLanes.length ? settings.defaultLanes : ['tasks', 'threads', 'processes', 'cores']);
    this.node = el('div', 'tl-Timeline');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Threadline task timeline');
    this.node.dataset.labelWidth = String(LABEL_W);


    const header = el('div', 'tl-Header');
    this.titleEl = el('span', 'tl-Title', 'Threadline timeline');
    this.liveBadge = el('span', 'tl-LiveBadge', 'live');
    this.liveBadge.setAttribute('aria-live', 'polite');
    const toolbar = el('div', 'tl-Toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Timeline actions');
    const button = (text: string, label: string, fn: () => void): HTMLButtonElement => {
      const b = el('button', 'tl-Button jp-Button', text);
      b.type = 'button';
      b.title = label;
      b.setAttribute('aria-label', label);
      b.addEventListener('click', fn);
      toolbar.append(b);
      return b;
    };
    button('−', 'Zoom out (-)', () => this.zoomBy(1 / 1.6));
    button('+', 'Zoom in (+)', () => this.zoomBy(1.6));
    button('Fit', 'Show the whole trace (0)', () => this.fit());
    button('Chrome trace', 'Download as Chrome Trace JSON (opens in Perfetto)', () => this.exportChrome()).dataset.action = 'export-chrome';
    button('PNG', 'Download this view as a PNG image', () => this.exportPng()).dataset.action = 'export-png';
    header.append(this.titleEl, this.liveBadge, toolbar);

    this.summaryEl = el('div', 'tl-Summary');
    this.summaryEl.setAttribute('aria-live', 'polite');
    this.blocksEl = el('div', 'tl-Blocks');

    const wrap = el('div', 'tl-CanvasWrap');
    this.canvas = el('canvas', 'tl-Canvas');
    this.canvas.tabIndex = 0;

    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute(
      'aria-label',
      'Timeline of tasks, threads and processes. Arrow keys pan and scroll, plus and minus zoom, 0 fits; n and p pin the next and previous span of a lane, Shift+N and Shift+P move to the next and previous lane; Escape clears the pinned span.'
    );
    this.ctx = this.canvas.getContext('2d');
    this.tooltip = el('div', 'tl-Tooltip');
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    wrap.append(this.canvas, this.tooltip);

    const legend = el('div', 'tl-Legend');
    legend.setAttribute('aria-label', 'Legend');
    for (const [cls, text] of [
      ['run', 'running'],
      ['suspended', 'suspended (awaiting)'],
      ['blocked', 'blocked the event loop'],
      ['lockWait', 'waiting for a lock'],
      ['lockHold', 'holding a lock'],
      ['cpu', 'CPU use of a thread/process'],
      ['core', 'core utilisation']
    ]) {
      const item = el('span', 'tl-LegendItem');
      item.append(el('span', `tl-Swatch tl-Swatch-${cls}`), document.createTextNode(text));
      legend.append(item);
    }
    this.groupToggles = el('span', 'tl-GroupToggles');
    this.groupToggles.setAttribute('role', 'group');
    this.groupToggles.setAttribute('aria-label', 'Lane groups shown');
    legend.append(this.groupToggles);
    legend.append(el('span', 'tl-Hint', 'Ctrl/⌘+wheel or +/− zoom · drag, Shift+wheel or ←/→ pan · click or n/p pins details'));

    this.details = el('div', 'tl-Details');
    this.details.setAttribute('aria-live', 'polite');
    this.details.hidden = true;

    this.locksEl = el('details', 'tl-Locks');
    this.locksEl.open = true;
    const summary = el('summary', 'tl-LocksTitle', 'Lock contention');
    this.locksBody = el('div', 'tl-LocksBody');
    this.locksEl.append(summary, this.locksBody);
    this.locksEl.hidden = true;

    this.node.append(header, this.summaryEl, this.blocksEl, wrap, legend, this.details, this.locksEl);
    this.bindEvents();
  }

  /** Show a (possibly still growing) trace. */
  setStore(store: TraceStore, live: boolean): void {
    if (store !== this.store) {
      this.store = store;
      this.summary = new SummaryTracker();
      this.samples = new SampleIndex();
      this.labels.clear();
      this.layoutKey = '';
      this.paintedRevision = -1;
      this.locksRevision = -1;
      this.pinnedSpan = this.hoverSpan = -1;
      this.follow = true;
    }
    this.live = live;
    this.update();
  }

  /** The store changed: repaint on the next animation frame. */
  update(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  setSettings(settings: ThreadlineSettings): void {
    this.settings = settings;
    this.layoutKey = '';
    this.update();
  }

  /** Attach a resize observer; call when the node is in the document. */
  attach(): void {
    if (!this.stopTheme) {
      this.stopTheme = onThemeChange(() => {
        this.palette.invalidate();
        this.update();
      });
    }
    if (this.resize || typeof ResizeObserver === 'undefined') return;
    this.resize = new ResizeObserver(() => this.update());
    this.resize.observe(this.node);
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    clearTimeout(this.locksTimer);
    this.resize?.disconnect();
    this.resize = null;
    this.stopTheme?.();
    this.stopTheme = null;
    this.onPaint = null;
  }

  get viewScale(): TimeScale {
    return this.scale;
  }

  /** Paint now (synchronously); returns what was drawn. */
  paint(): PaintStats | null {
    const store = this.store;
    const ctx = this.ctx;
    if (!store || !ctx) return null;
    const started = performance.now();
    this.lanes = store.index();
    this.samples.update(store);
    const width = Math.max(200, Math.floor(this.canvas.parentElement?.clientWidth || this.width || 800));
    this.width = width;
    const key = `${store.laneCount}|${store.tables.cpu.t.length > 0}|${[...this.collapsed].join()}|${[...this.shown].join()}|${this.settings.laneHeight}`;
    if (key !== this.layoutKey) {
      this.layout = layoutRows(store, { laneHeight: this.settings.laneHeight, collapsed: this.collapsed, shown: this.shown });
      this.layoutKey = key;
    }
    const bodyH = Math.min(MAX_BODY_H, Math.max(this.layout.height, 40));
    const height = AXIS_H + bodyH + 2;
    this.scrollY = Math.max(0, Math.min(this.scrollY, this.layout.height - bodyH));
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.scale.width = width - LABEL_W;
    const duration = Math.max(store.duration, 1);
    if (this.follow) this.scale.fit(0, this.live && !store.complete ? duration * 1.05 : duration);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const palette = this.palette.get(this.node);
    if (palette !== this.barPalette) {
      this.barPalette = palette;
      this.bars.colors.set([palette.run, palette.suspended, palette.lockWait, palette.lockHold, palette.blocked, palette.core].map(pixelOf));
    }
    const stats = paintTimeline({
      ctx,
      width,
      height,
      labelW: LABEL_W,
      axisH: AXIS_H,
      scrollY: this.scrollY,
      store,
      lanes: this.lanes,
      rows: this.layout.rows,
      scale: this.scale,
      palette,
      bars: this.bars,
      composite: (bars, x, y) => this.composite(ctx, bars, x, y),
      samples: this.samples,
      hoverSpan: this.hoverSpan,
      pinnedSpan: this.pinnedSpan,
      laneLabel: lane => this.laneLabel(lane),
      live: this.live && !store.complete
    });
    if (this.paintedRevision !== store.revision) {
      this.paintedRevision = store.revision;
      this.renderText(store);
      this.renderToggles(store);
    }
    this.paints++;
    this.node.dataset.paints = String(this.paints);
    this.onPaint?.({ revision: store.revision, spans: store.spanCount, ms: performance.now() - started, stats });
    return stats;
  }

  /** Put the bar pixels on the canvas: one putImageData on a scratch canvas, one drawImage. */
  private composite(ctx: CanvasRenderingContext2D, bars: BarLayer, x: number, y: number): void {
    if (!this.barCanvas) this.barCanvas = document.createElement('canvas');
    const c = this.barCanvas;
    if (c.width !== bars.width || c.height !== bars.height) {
      c.width = bars.width;
      c.height = bars.height;
      this.barImage = null;
    }
    const bctx = c.getContext('2d');
    if (!bctx) return;
    if (!this.barImage || this.barImage.width !== bars.width || this.barImage.height !== bars.height) {
      this.barImage = new ImageData(new Uint8ClampedArray(bars.pixels.buffer, bars.pixels.byteOffset, bars.pixels.byteLength), bars.width, bars.height);
    }
    bctx.putImageData(this.barImage, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(c, x, y);
  }

  private laneLabel(lane: number): string {
    let label = this.labels.get(lane);
    if (label !== undefined) return label;
    const store = this.store!;
    const { lanes } = store.tables;
    label = laneDisplayName(store, lane);
    // CPU share over the lane's life: what tells threads under the GIL from processes
    const endRow = lanes.kind[lane] === LaneKind.task ? -1 : store.tables.ends.lane.lastIndexOf(lane);
    if (endRow >= 0 && store.tables.ends.cpu_us[endRow] >= 0) {
      const life = store.tables.ends.t[endRow] - lanes.start[lane];
      if (life > 0) label += ` · ${formatPercent(store.tables.ends.cpu_us[endRow] / life)} CPU`;
    }
    const cores = this.samples.laneCores.get(lane);
    if (cores && cores.size) label += ` · core${cores.size > 1 ? 's' : ''} ${[...cores].sort((a, b) => a - b).join(',')}`;
    if (lanes.kind[lane] === LaneKind.process && lanes.os_id[lane] > 0) label += ` · pid ${lanes.os_id[lane]}`;
    // labels with cores change as samples arrive: cache only complete traces
    if (store.complete) this.labels.set(lane, label);
    return label;
  }

  private renderText(store: TraceStore): void {
    const s = this.summary.update(store);
    const meta = store.meta;
    this.titleEl.textContent = meta?.label ? meta.label : 'Threadline timeline';
    this.liveBadge.hidden = !(this.live && !store.complete);
    this.liveBadge.textContent = this.live && !store.complete ? 'live' : '';
    this.summarize(s, store);
    const d = this.node.dataset;
    d.lanes = String(store.laneCount);
    d.taskLanes = String(s.tasks);
    d.threadLanes = String(s.threads);
    d.processLanes = String(s.processes);
    d.spans = String(store.spanCount);
    d.revision = String(store.revision);
    d.live = String(this.live && !store.complete);
    d.complete = String(store.complete);
    if (store.laneCount <= 200) {
      // lane names for tests and assistive tech: the canvas itself has no text nodes
      const names: string[] = [];
      store.tables.lanes.kind.forEach((k, l) => {
        if (k === LaneKind.task) names.push(store.str(store.tables.lanes.name[l]));
      });
      d.taskNames = JSON.stringify(names);
    }
    // the lock table is cheap but not free: at most twice a second while live
    if (store.tables.locks.name.length && this.locksRevision !== store.revision && !this.locksTimer) {
      const wait = this.live && !store.complete ? 500 : 0;
      this.locksTimer = window.setTimeout(() => {
        this.locksTimer = 0;
        this.locksRevision = store.revision;
        this.locksEl.hidden = false;
        this.locksBody.replaceChildren(renderLockTable(lockStats(store), this.settings.contentionWarning, false));
      }, wait);
    }
  }

  /** A checkbox per lane group present in the trace, to show or hide it (keyboard reachable). */
  private renderToggles(store: TraceStore): void {
    const present: LaneGroup[] = [];
    const kinds = new Set(store.tables.lanes.kind);
    if (kinds.has(LaneKind.task)) present.push('tasks');
    if (kinds.has(LaneKind.thread)) present.push('threads');
    if (kinds.has(LaneKind.process)) present.push('processes');
    if (store.tables.cpu.t.length) present.push('cores');
    const key = present.join();
    if (key === this.togglesKey) return;
    this.togglesKey = key;
    this.groupToggles.replaceChildren();
    for (const group of present) {
      const label = el('label', 'tl-GroupToggle');
      const box = el('input', '');
      box.type = 'checkbox';
      box.checked = this.shown.has(group);
      box.dataset.group = group;
      box.addEventListener('change', () => {
        if (box.checked) this.shown.add(group);
        else this.shown.delete(group);
        this.update();
      });
      label.append(box, document.createTextNode(GROUP_LABELS[group]));
      this.groupToggles.append(label);
    }
  }

  private summarize(s: TraceSummary, store: TraceStore): void {
    if (this.live && !store.complete && store.chunks === 0) {
      this.summaryEl.textContent = 'Waiting for the kernel to send the trace… (if nothing comes, the cell is no longer running: run it again)';
      this.blocksEl.replaceChildren();
      return;
    }
    const parts: string[] = [];
    const plural = (n: number, w: string): string => `${formatCount(n)} ${w}${n === 1 ? '' : 's'}`;
    if (s.tasks) parts.push(plural(s.tasks, 'task'));
    if (s.threads) parts.push(plural(s.threads, 'thread'));
    if (s.processes) parts.push(plural(s.processes, 'process').replace(/processs$/, 'processes'));
    parts.push(`max concurrency ${s.maxConcurrency}`);
    parts.push(s.blockedCount ? `loop blocked ${formatDuration(s.blockedTotalUs)} (${s.blockedCount}×)` : 'loop never blocked');
    parts.push(`${formatDuration(s.durationUs)} traced`);
    parts.push(plural(s.spans, 'span'));
    const meta = store.meta;
    if (meta) parts.push(`${meta.effective_cpus} of ${meta.host_cpus} cores usable`);
    this.summaryEl.replaceChildren(document.createTextNode(parts.join(' · ')));
    if (s.dropped > 0) {
      const warn = el('span', 'tl-Dropped', ` · ${formatCount(s.dropped)} events dropped (buffer full: the trace is incomplete)`);
      this.summaryEl.append(warn);
    }
    this.blocksEl.replaceChildren();
    if (s.worstBlocks.length) {
      this.blocksEl.append(el('span', 'tl-BlocksTitle', 'Event loop blocked at: '));
      for (const b of s.worstBlocks.slice(0, 3)) {
        const btn = el('button', 'tl-BlockLink', `${b.location || 'unknown location'} (${formatDuration(b.duration)})`);
        btn.type = 'button';
        btn.title = 'Zoom to this step and pin it';
        btn.addEventListener('click', () => {
          this.follow = false;
          this.scale.fit(b.start - b.duration, b.start + b.duration * 2);
          this.pin(b.span);
        });
        this.blocksEl.append(btn);
      }
    }
  }

  // ---- interaction ----

  private bindEvents(): void {
    const c = this.canvas;
    c.addEventListener('wheel', e => this.onWheel(e), { passive: false });
    c.addEventListener('pointerdown', e => {
      this.drag = { x: e.clientX, y: e.clientY, moved: false };
      c.setPointerCapture?.(e.pointerId);
    });
    c.addEventListener('pointermove', e => {
      if (this.drag && (e.buttons & 1) === 1) {
        const dx = e.clientX - this.drag.x;
        const dy = e.clientY - this.drag.y;
        if (this.drag.moved || Math.abs(dx) + Math.abs(dy) > 3) {
          this.drag.moved = true;
          this.follow = false;
          this.scale.pan(dx);
          this.scrollY -= dy;
          this.drag.x = e.clientX;
          this.drag.y = e.clientY;
          this.tooltip.hidden = true;
          this.clampView();
          this.update();
        }
        return;
      }
      this.onHover(e);
    });
    c.addEventListener('pointerup', e => {
      const drag = this.drag;
      this.drag = null;
      if (drag && !drag.moved) this.onClick(e);
    });
    c.addEventListener('pointerleave', () => {
      this.tooltip.hidden = true;
      if (this.hoverSpan !== -1) {
        this.hoverSpan = -1;
        this.update();
      }
    });
    c.addEventListener('dblclick', e => {
      const x = this.localX(e);
      if (x >= 0) this.zoomBy(e.shiftKey ? 1 / 2 : 2, x);
    });
    c.addEventListener('keydown', e => this.onKey(e));
  }

  private localX(e: MouseEvent): number {
    return e.clientX - this.canvas.getBoundingClientRect().left - LABEL_W;
  }

  private localY(e: MouseEvent): number {
    return e.clientY - this.canvas.getBoundingClientRect().top;
  }

  private onWheel(e: WheelEvent): void {
    const x = this.localX(e);
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      this.zoomBy(Math.exp(-e.deltaY * 0.002), Math.max(0, x));
      return;
    }
    const dx = e.shiftKey ? e.deltaY : e.deltaX;
    if (Math.abs(dx) > 0) {
      e.preventDefault();
      this.follow = false;
      this.scale.pan(-dx);
      this.clampView();
      this.update();
      return;
    }
    // vertical wheel scrolls the lanes while they can scroll; otherwise the page scrolls
    const bodyH = Math.min(MAX_BODY_H, this.layout.height);
    const maxScroll = this.layout.height - bodyH;
    const next = Math.max(0, Math.min(maxScroll, this.scrollY + e.deltaY));
    if (next !== this.scrollY) {
      e.preventDefault();
      this.scrollY = next;
      this.update();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const w = this.scale.width;
    let handled = true;
    switch (e.key) {
      case 'ArrowLeft':
        this.follow = false;
        this.scale.pan(w * 0.15);
        break;
      case 'ArrowRight':
        this.follow = false;
        this.scale.pan(-w * 0.15);
        break;
      case 'ArrowUp':
        this.scrollY -= this.settings.laneHeight * 2;
        break;
      case 'ArrowDown':
        this.scrollY += this.settings.laneHeight * 2;
        break;
      case '+':
      case '=':
        this.zoomBy(1.6);
        return void e.preventDefault();
      case '-':
      case '_':
        this.zoomBy(1 / 1.6);
        return void e.preventDefault();
      case '0':
      case 'Home':
        this.fit();
        return void e.preventDefault();
      case 'Escape':
        this.pin(-1);
        break;
      case 'n':
      case 'p':
        this.stepSpan(e.key === 'n' ? 1 : -1);
        break;
      case 'N':
      case 'P':
        this.stepLane(e.key === 'N' ? 1 : -1);
        break;
      default:
        handled = false;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
      this.clampView();
      this.update();
    }
  }

  /** Keyboard: pin the next/previous span of the pinned span's lane (or of the first lane). */
  stepSpan(dir: 1 | -1): void {
    const store = this.store;
    if (!store) return;
    const spans = store.tables.spans;
    const lanes = this.layout.rows.filter(r => r.type === 'lane');
    if (!lanes.length) return;
    const pinned = this.pinnedSpan;
    const lane = pinned >= 0 ? spans.lane[pinned] : (lanes[0] as { lane: number }).lane;
    const idx = this.lanes[lane];
    if (!idx) return;
    const t = pinned >= 0 ? spans.start[pinned] : dir > 0 ? this.scale.t0 - 1 : this.scale.t1 + 1;
    const next = dir > 0 ? idx.nextAfter(t) : idx.prevBefore(t);
    if (next >= 0) this.pinAndReveal(next);
  }

  /** Keyboard: move the pin to the next/previous lane, at the same time. */
  stepLane(dir: 1 | -1): void {
    const store = this.store;
    if (!store) return;
    const spans = store.tables.spans;
    const rows = this.layout.rows.filter((r): r is Extract<Row, { type: 'lane' }> => r.type === 'lane');
    if (!rows.length) return;
    const pinned = this.pinnedSpan;
    const at = pinned >= 0 ? rows.findIndex(r => r.lane === spans.lane[pinned]) : -1;
    const t = pinned >= 0 ? spans.start[pinned] : this.scale.t((this.scale.width / 2) | 0);
    for (let i = at + dir; i >= 0 && i < rows.length; i += dir) {
      const idx = this.lanes[rows[i].lane];
      if (!idx || idx.count === 0) continue;
      let span = idx.hit(t, this.scale.usPerPx * 2);
      if (span < 0) span = idx.nextAfter(t);
      if (span < 0) span = idx.prevBefore(t);
      if (span >= 0) {
        this.pinAndReveal(span);
        const row = rows[i];
        const bodyH = Math.min(MAX_BODY_H, this.layout.height);
        if (row.y < this.scrollY) this.scrollY = row.y;
        else if (row.y + row.h > this.scrollY + bodyH) this.scrollY = row.y + row.h - bodyH;
        return;
      }
    }
  }

  private pinAndReveal(span: number): void {
    const spans = this.store!.tables.spans;
    const start = spans.start[span];
    const end = spans.end[span];
    if (end < this.scale.t0 || start > this.scale.t1) {
      this.follow = false;
      const w = this.scale.t1 - this.scale.t0;
      this.scale.t0 = (start + end) / 2 - w / 2;
      this.clampView();
    }
    this.pin(span);
  }

  zoomBy(factor: number, x = this.scale.width / 2): void {
    this.follow = false;
    const duration = Math.max(this.store?.duration ?? 1, 1);
    this.scale.zoom(factor, x, 1e-3, (duration * 1.5) / Math.max(1, this.scale.width));
    this.clampView();
    this.update();
  }

  fit(): void {
    this.follow = true;
    this.scrollY = 0;
    this.update();
  }

  private clampView(): void {
    const duration = Math.max(this.store?.duration ?? 1, 1);
    const pad = duration * 0.05;
    this.scale.clamp(-pad, duration + pad);
  }

  private rowAt(y: number): Row | null {
    const yy = y - AXIS_H + this.scrollY;
    if (y < AXIS_H) return null;
    for (const r of this.layout.rows) if (yy >= r.y && yy < r.y + r.h) return r;
    return null;
  }

  private spanAt(e: MouseEvent): { row: Row | null; span: number; x: number } {
    const x = this.localX(e);
    const y = this.localY(e);
    const row = this.rowAt(y);
    if (!row || row.type !== 'lane' || x < 0) return { row, span: -1, x };
    const idx = this.lanes[row.lane];
    if (!idx) return { row, span: -1, x };
    const g = bands(AXIS_H + row.y - this.scrollY, row.h);
    const inLock = y >= g.lockY - 1;
    const rank = inLock ? (k: number) => (k === SpanKind.lockWait || k === SpanKind.lockHold ? 10 + k : defaultRank(k)) : (k: number) => (k === SpanKind.lockWait || k === SpanKind.lockHold ? -1 : defaultRank(k));
    const span = idx.hit(this.scale.t(x), this.scale.usPerPx * 2, rank);
    if (span >= 0 && rank(this.store!.tables.spans.kind[span]) < 0) return { row, span: -1, x };
    return { row, span, x };
  }

  private onHover(e: PointerEvent): void {
    if (!this.store) return;
    const { row, span, x } = this.spanAt(e);
    let html: HTMLElement | null = null;
    if (span >= 0) html = this.describeSpan(span, false);
    else if (row && row.type === 'core' && x >= 0) {
      const s = this.samples.cores[row.core];
      const i = s ? s.at(this.scale.t(x)) : -1;
      if (s && i >= 0) html = el('div', '', `core ${row.core}: ${Math.round(s.v[i])}% busy at ${formatDuration(s.t[i])}`);
    } else if (row && row.type === 'lane' && x >= 0) {
      html = el('div', '', this.laneLabel(row.lane));
    } else if (row && row.type === 'group') {
      html = el('div', '', `${GROUP_LABELS[row.group]}: click to ${row.collapsed ? 'expand' : 'collapse'}`);
    }
    if (span !== this.hoverSpan) {
      this.hoverSpan = span;
      this.update();
    }
    if (!html) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(html);
    this.tooltip.hidden = false;
    const box = this.canvas.getBoundingClientRect();
    const lx = e.clientX - box.left;
    const ly = e.clientY - box.top;
    const tw = this.tooltip.offsetWidth || 200;
    this.tooltip.style.left = `${Math.min(lx + 12, Math.max(0, box.width - tw - 4))}px`;
    this.tooltip.style.top = `${ly + 16}px`;
  }

  private onClick(e: PointerEvent): void {
    const { row, span } = this.spanAt(e);
    if (row && row.type === 'group') {
      if (this.collapsed.has(row.group)) this.collapsed.delete(row.group);
      else this.collapsed.add(row.group);
      this.update();
      return;
    }
    this.pin(span);
  }

  /** Pin the details of a span below the canvas (-1 clears). */
  pin(span: number): void {
    this.pinnedSpan = span;
    if (span < 0) {
      this.details.hidden = true;
      this.details.replaceChildren();
    } else {
      const close = el('button', 'tl-Button tl-DetailsClose', '×');
      close.type = 'button';
      close.setAttribute('aria-label', 'Clear pinned details');
      close.addEventListener('click', () => this.pin(-1));
      this.details.replaceChildren(close, this.describeSpan(span, true));
      this.details.hidden = false;
    }
    this.update();
  }

  private describeSpan(span: number, full: boolean): HTMLElement {
    const store = this.store!;
    const { spans, lanes, locks, ends } = store.tables;
    const lane = spans.lane[span];
    const kind = spans.kind[span];
    const box = el('div', 'tl-SpanInfo');
    const line = (k: string, v: string): void => {
      if (!v) return;
      const row = el('div', 'tl-InfoRow');
      row.append(el('span', 'tl-InfoKey', k), el('span', 'tl-InfoVal', v));
      box.append(row);
    };
    box.append(el('div', 'tl-InfoTitle', `${this.laneLabel(lane)} — ${KIND_LABEL[kind] ?? 'span'}`));
    line('start', formatDuration(spans.start[span]));
    line('duration', formatDuration(spans.end[span] - spans.start[span]));
    const label = store.str(spans.label[span]);
    if (kind === SpanKind.suspended) line('awaiting', label);
    else if (kind === SpanKind.blocked) line('at', label);
    else line('label', label);
    if (spans.lock[span] >= 0) {
      const l = spans.lock[span];
      line('lock', `${store.str(locks.name[l])} (${store.str(locks.kind[l])})`);
    }
    if (full) {
      line('lane kind', ['task', 'thread', 'process'][lanes.kind[lane]] ?? '');
      line('created at', store.str(lanes.site[lane]));
      const by = lanes.created_by[lane];
      if (by >= 0) line('created by', this.laneLabel(by));
      const endRow = ends.lane.lastIndexOf(lane);
      if (endRow >= 0) {
        const outcome = ends.outcome[endRow];
        line('ended', `${formatDuration(ends.t[endRow])}, ${outcome === Outcome.ok ? 'ok' : outcome === Outcome.error ? 'with an error' : 'cancelled'}`);
        line('detail', store.str(ends.detail[endRow]));
        if (ends.cpu_us[endRow] >= 0) {
          const life = ends.t[endRow] - lanes.start[lane];
          line('CPU time', `${formatDuration(ends.cpu_us[endRow])}${life > 0 ? ` (${formatPercent(ends.cpu_us[endRow] / life)} of its life)` : ''}`);
        }
      }
    }
    return box;
  }

  // ---- export ----

  exportChrome(): void {
    if (!this.store) return;
    const json = JSON.stringify(toChromeTrace(this.store.toTrace()));
    downloadBlob(new Blob([json], { type: 'application/json' }), fileNameFor(this.store.meta?.label, 'json'));
  }

  exportPng(): void {
    if (!this.store) return;
    const name = fileNameFor(this.store.meta?.label, 'png');
    this.canvas.toBlob(blob => {
      if (blob) downloadBlob(blob, name);
    }, 'image/png');
  }
}
