/**
 * The timeline output: a header with the toolbar, the summary line, the canvas with its lanes and
 * tooltip, the pinned details, the legend and the lock-contention table. Plain DOM (no Lumino), so
 * the same view runs in JupyterLab and in the benchmark page. This file holds the parts together
 * and paints the canvas; input, viewport, texts and widgets are each in their own file.
 */
import { LaneKind } from '../../protocol/trace.js';
import { awaitChain } from '../trace/awaitChain.js';
import type { LaneIndex } from '../trace/laneIndex.js';
import { SampleIndex } from '../trace/laneSamples.js';
import type { TraceStore } from '../trace/traceStore.js';
import { SummaryTracker } from '../trace/traceSummary.js';
import type { BlockedStep, TraceSummary } from '../trace/traceSummary.js';
import { el } from '../ui/element.js';
import { LANE_GROUPS } from '../ui/settings.js';
import type { LaneGroup, ThreadlineSettings } from '../ui/settings.js';
import { connectorsInView, paintAwaitArrows } from './awaitArrows.js';
import { BarCompositor } from './barCompositor.js';
import { BarLayer } from './barLayer.js';
import { bindCanvasInput } from './canvasInput.js';
import { DetailsPanel } from './detailsPanel.js';
import { TimelineHeader } from './header.js';
import { hitTest } from './hitTest.js';
import type { Hit } from './hitTest.js';
import { LaneLabels } from './laneLabels.js';
import { groupsIn, layoutRows } from './laneLayout.js';
import type { LaneRow, Layout } from './laneLayout.js';
import { Legend } from './legend.js';
import { LockSection } from './lockSection.js';
import { PaletteCache, onThemeChange } from './palette.js';
import type { Palette } from './palette.js';
import type { Scene } from './scene.js';
import { describeHit, describeSpan } from './spanInfo.js';
import type { Describer } from './spanInfo.js';
import { stepAcrossLanes, stepAlongLane } from './spanStepping.js';
import { SummaryLine } from './summaryLine.js';
import { paintTimeline } from './timelinePainter.js';
import type { PaintStats } from './timelinePainter.js';
import type { TimeScale } from './timeScale.js';
import { Tooltip } from './tooltip.js';
import { downloadChromeTrace, downloadPng } from './traceDownloads.js';
import { AXIS_HEIGHT, LABEL_WIDTH, Viewport, ZOOM_STEP } from './viewport.js';

export interface PaintInfo {
  revision: number;
  spans: number;
  ms: number;
  stats: PaintStats;
}

const CANVAS_LABEL =
  'Timeline of tasks, threads and processes; a mark at the end of a lane says how it ended, and arrows go ' +
  'from a task to the tasks it awaits (the summary above and the pinned details say the same in words). ' +
  'Arrow keys pan and scroll, plus and minus zoom, 0 fits; ' +
  'n and p pin the next and previous span of a lane, Shift+N and Shift+P move to the next and previous lane; ' +
  'Escape clears the pinned span.';
/** Lane names go on the node for tests and assistive tech up to this many lanes. */
const NAMED_LANES_MAX = 200;

export class TimelineView {
  readonly node = el('div', 'tl-Timeline');
  /** called after each paint (benchmarks measure live latency with it) */
  onPaint: ((info: PaintInfo) => void) | null = null;
  private readonly viewport = new Viewport(() => Math.max(this.store?.duration ?? 1, 1));
  private readonly canvas = el('canvas', 'tl-Canvas');
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly header: TimelineHeader;
  private readonly summaryLine: SummaryLine;
  private readonly tooltip = new Tooltip();
  private readonly details: DetailsPanel;
  private readonly legend: Legend;
  private readonly locks = new LockSection();
  private readonly bars = new BarLayer();
  private readonly compositor = new BarCompositor();
  private readonly palette = new PaletteCache();
  private readonly collapsed = new Set<LaneGroup>();
  private readonly shown: Set<LaneGroup>;
  private store: TraceStore | null = null;
  private live = false;
  private layout: Layout = { rows: [], height: 0, counts: { tasks: 0, threads: 0, processes: 0, cores: 0 } };
  private layoutKey = '';
  private rowOfLane = new Map<number, LaneRow>();
  private lanes: LaneIndex[] = [];
  private samples = new SampleIndex();
  private summary = new SummaryTracker();
  private labels: LaneLabels | null = null;
  private hoverSpan = -1;
  private pinnedSpan = -1;
  /** the await rows of the pinned span's await chain, drawn stronger */
  private chainRows = new Set<number>();
  private frame = 0;
  private paintedRevision = -1;
  private width = 0;
  private paints = 0;
  private resize: ResizeObserver | null = null;
  private stopTheme: (() => void) | null = null;

  constructor(private settings: ThreadlineSettings) {
    this.shown = new Set(settings.defaultLanes.length ? settings.defaultLanes : LANE_GROUPS);
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Threadline task timeline');
    this.node.dataset.labelWidth = String(LABEL_WIDTH);
    this.header = new TimelineHeader({
      zoomIn: () => this.zoomBy(ZOOM_STEP),
      zoomOut: () => this.zoomBy(1 / ZOOM_STEP),
      fit: () => this.fit(),
      exportChrome: () => this.exportChrome(),
      exportPng: () => this.exportPng()
    });
    this.summaryLine = new SummaryLine(step => this.zoomToBlock(step));
    this.details = new DetailsPanel(() => this.pin(-1));
    this.legend = new Legend(this.shown, () => this.update());

    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', CANVAS_LABEL);
    this.ctx = this.canvas.getContext('2d');
    const wrap = el('div', 'tl-CanvasWrap');
    wrap.append(this.canvas, this.tooltip.node);
    this.node.append(
      this.header.node,
      this.summaryLine.summary,
      this.summaryLine.blocks,
      wrap,
      this.legend.node,
      this.details.node,
      this.locks.node
    );
    bindCanvasInput(this.canvas, {
      viewport: this.viewport,
      hitAt: (x, y) => this.hitAt(x, y),
      hover: (hit, clientX, clientY) => this.hover(hit, clientX, clientY),
      click: hit => this.click(hit),
      pin: span => this.pin(span),
      step: (dir, acrossLanes) => (acrossLanes ? this.stepLane(dir) : this.stepSpan(dir)),
      keyScroll: () => this.settings.laneHeight * 2,
      update: () => this.update()
    });
  }

  /** Show a (possibly still growing) trace. */
  setStore(store: TraceStore, live: boolean): void {
    if (store !== this.store) {
      this.store = store;
      this.summary = new SummaryTracker();
      this.samples = new SampleIndex();
      this.labels = new LaneLabels(store, this.samples);
      this.layoutKey = '';
      this.paintedRevision = -1;
      this.pinnedSpan = this.hoverSpan = -1;
      this.viewport.follow = true;
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

  /** Follow resizes and theme changes; call when the node is in the document. */
  attach(): void {
    this.stopTheme ??= onThemeChange(() => {
      this.palette.invalidate();
      this.update();
    });
    if (this.resize || typeof ResizeObserver === 'undefined') return;
    this.resize = new ResizeObserver(() => this.update());
    this.resize.observe(this.node);
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.locks.dispose();
    this.resize?.disconnect();
    this.resize = null;
    this.stopTheme?.();
    this.stopTheme = null;
    this.onPaint = null;
  }

  get viewScale(): TimeScale {
    return this.viewport.scale;
  }

  zoomBy(factor: number, x?: number): void {
    this.viewport.zoomBy(factor, x);
    this.update();
  }

  /** Show the whole trace, and follow it as it grows. */
  fit(): void {
    this.viewport.fit();
    this.update();
  }

  /**
   * Pin the details of a span below the canvas (-1 clears), with a task's await chain at time `at`
   * (where it was clicked; by default the span's middle).
   */
  pin(span: number, at?: number): void {
    const { store } = this;
    this.pinnedSpan = span;
    this.chainRows = new Set();
    if (span >= 0 && store) {
      const { spans, lanes } = store.tables;
      const t = Math.min(spans.end[span], Math.max(spans.start[span], at ?? (spans.start[span] + spans.end[span]) / 2));
      this.details.show(describeSpan(this.describer(store), span, true, t));
      if (lanes.kind[spans.lane[span]] === LaneKind.task)
        this.chainRows = new Set(awaitChain(store, spans.lane[span], t).rows);
    } else this.details.clear();
    this.update();
  }

  /** Keyboard: pin the next/previous span of the pinned span's lane (or of the first lane). */
  stepSpan(dir: 1 | -1): void {
    const scene = this.scene();
    if (!scene) return;
    const span = stepAlongLane(scene, this.pinnedSpan, dir);
    if (span >= 0) this.pinAndReveal(span);
  }

  /** Keyboard: move the pin to the next/previous lane, at the same time. */
  stepLane(dir: 1 | -1): void {
    const scene = this.scene();
    const step = scene && stepAcrossLanes(scene, this.pinnedSpan, dir);
    if (!step) return;
    this.pinAndReveal(step.span);
    this.viewport.revealRows(step.row.y, step.row.h);
  }

  exportChrome(): void {
    if (this.store) downloadChromeTrace(this.store);
  }

  exportPng(): void {
    if (this.store) downloadPng(this.canvas, this.store.meta?.label);
  }

  /** Paint now (synchronously); returns what was drawn. */
  paint(): PaintStats | null {
    const { store, ctx } = this;
    if (!store || !ctx) return null;
    const started = performance.now();
    this.lanes = store.index();
    this.samples.update(store);
    this.width = Math.max(200, Math.floor(this.canvas.parentElement?.clientWidth || this.width || 800));
    const width = this.width;
    this.viewport.contentHeight = this.layoutOf(store).height;
    const height = AXIS_HEIGHT + this.viewport.bodyHeight + 2;
    const dpr = window.devicePixelRatio || 1;
    this.sizeCanvas(width, height, dpr);
    this.viewport.frame(width - LABEL_WIDTH, this.growing);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const palette = this.palette.get(this.node);
    this.compositor.usePalette(this.bars, palette);
    this.legend.showMarkers(palette);
    const stats = paintTimeline({
      ctx,
      width,
      height,
      labelW: LABEL_WIDTH,
      axisH: AXIS_HEIGHT,
      scrollY: this.viewport.scrollY,
      store,
      lanes: this.lanes,
      rows: this.layout.rows,
      scale: this.viewport.scale,
      palette,
      bars: this.bars,
      composite: (bars, x, y) => this.compositor.composite(ctx, bars, x, y),
      samples: this.samples,
      hoverSpan: this.hoverSpan,
      pinnedSpan: this.pinnedSpan,
      laneLabel: lane => this.laneLabel(lane),
      live: this.growing
    });
    stats.arrows = this.paintArrows(ctx, store, width, height, palette);
    if (this.paintedRevision !== store.revision) {
      this.paintedRevision = store.revision;
      this.renderTexts(store);
    }
    this.paints++;
    this.node.dataset.paints = String(this.paints);
    this.node.dataset.awaitArrows = String(stats.arrows);
    this.node.dataset.fateMarkers = String(stats.markers);
    this.onPaint?.({ revision: store.revision, spans: store.spanCount, ms: performance.now() - started, stats });
    return stats;
  }

  /** The await connectors in view, over the bars and clipped to the rows' area; returns how many. */
  private paintArrows(
    ctx: CanvasRenderingContext2D,
    store: TraceStore,
    width: number,
    height: number,
    palette: Palette
  ): number {
    const bodyH = height - AXIS_HEIGHT;
    const connectors = connectorsInView({
      awaits: store.awaits(),
      table: store.tables.awaits,
      scale: this.viewport.scale,
      labelW: LABEL_WIDTH,
      axisH: AXIS_HEIGHT,
      scrollY: this.viewport.scrollY,
      bodyH,
      rowOf: lane => this.rowOfLane.get(lane)
    });
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_WIDTH, AXIS_HEIGHT, width - LABEL_WIDTH, bodyH);
    ctx.clip();
    paintAwaitArrows(ctx, connectors, palette, this.chainRows);
    ctx.restore();
    return connectors.length;
  }

  /** A live trace that has not ended yet. */
  private get growing(): boolean {
    return this.live && this.store !== null && !this.store.complete;
  }

  private layoutOf(store: TraceStore): Layout {
    const { laneHeight } = this.settings;
    const hasCpu = store.tables.cpu.t.length > 0;
    const key = `${store.laneCount}|${hasCpu}|${[...this.collapsed].join()}|${[...this.shown].join()}|${laneHeight}`;
    if (key !== this.layoutKey) {
      this.layout = layoutRows(store, { laneHeight, collapsed: this.collapsed, shown: this.shown });
      this.layoutKey = key;
      this.rowOfLane = new Map(this.layout.rows.flatMap(row => (row.type === 'lane' ? [[row.lane, row]] : [])));
    }
    return this.layout;
  }

  private sizeCanvas(width: number, height: number, dpr: number): void {
    const { canvas } = this;
    if (canvas.width === Math.round(width * dpr) && canvas.height === Math.round(height * dpr)) return;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }

  /** Everything around the canvas that depends on the trace's content. */
  private renderTexts(store: TraceStore): void {
    const summary = this.summary.update(store);
    this.header.show(store.meta?.label, this.growing);
    if (this.growing && store.chunks === 0) this.summaryLine.showWaiting();
    else this.summaryLine.show(summary, store.meta);
    this.publish(store, summary);
    this.locks.show(store, this.growing, this.settings.contentionWarning);
    this.legend.showGroups(groupsIn(store));
  }

  /** What the trace holds, on the node's data attributes: the canvas has no text for tests or assistive tech. */
  private publish(store: TraceStore, summary: TraceSummary): void {
    const data = this.node.dataset;
    data.lanes = String(store.laneCount);
    data.taskLanes = String(summary.tasks);
    data.threadLanes = String(summary.threads);
    data.processLanes = String(summary.processes);
    data.spans = String(store.spanCount);
    data.fates = JSON.stringify(summary.fates);
    data.awaits = String(store.tables.awaits.lane.length);
    data.revision = String(store.revision);
    data.live = String(this.growing);
    data.complete = String(store.complete);
    if (store.laneCount > NAMED_LANES_MAX) return;
    const { kind, name } = store.tables.lanes;
    const tasks = kind.flatMap((k, lane) => (k === LaneKind.task ? [store.str(name[lane])] : []));
    data.taskNames = JSON.stringify(tasks);
  }

  private laneLabel(lane: number): string {
    return this.labels?.label(lane) ?? '';
  }

  private describer(store: TraceStore): Describer {
    return { store, laneLabel: lane => this.laneLabel(lane) };
  }

  private scene(): Scene | null {
    const { store, viewport, lanes } = this;
    return store && { store, rows: this.layout.rows, lanes, viewport };
  }

  private hitAt(x: number, y: number): Hit {
    const scene = this.scene();
    return scene ? hitTest(scene, x, y) : { row: null, span: -1, x: x - LABEL_WIDTH };
  }

  private hover(hit: Hit | null, clientX: number, clientY: number): void {
    const { store } = this;
    if (hit && !store) return;
    const span = hit?.span ?? -1;
    if (span !== this.hoverSpan) {
      this.hoverSpan = span;
      this.update();
    }
    const scale = this.viewport.scale;
    const content = hit && store ? describeHit({ ...this.describer(store), samples: this.samples, scale }, hit) : null;
    if (content) this.tooltip.show(content, clientX, clientY, this.canvas.getBoundingClientRect());
    else this.tooltip.hide();
  }

  /** A click on a group's header folds or unfolds it; anywhere else it pins what is there. */
  private click({ row, span, x }: Hit): void {
    if (row?.type !== 'group') return this.pin(span, this.viewport.scale.t(x));
    if (this.collapsed.has(row.group)) this.collapsed.delete(row.group);
    else this.collapsed.add(row.group);
    this.update();
  }

  private pinAndReveal(span: number): void {
    const { spans } = this.store!.tables;
    this.viewport.reveal(spans.start[span], spans.end[span]);
    this.pin(span);
  }

  /** A blocking step's link: show it with room around it, and pin it. */
  private zoomToBlock(step: BlockedStep): void {
    this.viewport.show(step.start - step.duration, step.start + step.duration * 2);
    this.pin(step.span);
  }
}
