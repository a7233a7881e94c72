/**
 * `npm run bench -- render`: the timeline renderer in headless Chromium (Debian's, via
 * playwright-core). First paint and pan/zoom frame time for traces of 1k, 100k and 1M spans,
 * measured side by side in one page, and live append of 10k events/s for 10 s (latency from
 * the moment a chunk "arrives" as JSON text to the end of the paint that shows it).
 * Frame time includes rasterisation (a 1-pixel readback forces it).
 * Last line:
 * BENCH render {"first_paint_1m_ms":…,"frame_ratio_1m_vs_1k":…,"frame_ms_1m_p95":…,"live_latency_p95_ms":…}
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../test/e2e/labHarness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

const pageEntry = `
import { TimelineView } from './src/lab/timeline/timelineView.js';
import { TraceStore } from './src/lab/trace/traceStore.js';
import { parsePayload } from './src/lab/trace/traceValidate.js';
import { LiveRegistry } from './src/lab/trace/liveRegistry.js';
import { DEFAULT_SETTINGS } from './src/lab/ui/settings.js';
import { generateTrace, toChunks } from './test/lab/traceGen.js';

const host = document.getElementById('host');
const nextFrame = () => new Promise(r => requestAnimationFrame(() => r(undefined)));
const shape = { tasks: 48, threads: 8, processes: 2, locks: 4, cores: 4, blockEvery: 301 };

function mount() {
  host.replaceChildren();
  const view = new TimelineView(DEFAULT_SETTINGS);
  host.append(view.node);
  return view;
}

function flush(view) {
  // force rasterisation of what was drawn, so frame time is real work
  view.node.querySelector('canvas').getContext('2d').getImageData(0, 0, 1, 1);
}

window.firstPaint = async (spans) => {
  const trace = generateTrace({ spans, ...shape });
  await nextFrame();
  const t0 = performance.now();
  const payload = parsePayload(trace);
  const store = TraceStore.fromTrace(payload.trace);
  const view = mount();
  view.setStore(store, false);
  view.paint();
  flush(view);
  const t1 = performance.now();
  window.current = view;
  return t1 - t0;
};

/** Pan/zoom frames on the current view: zoom in step by step around moving anchors, pan, zoom out. */
window.frames = async (count) => {
  const view = window.current;
  const s = view.viewScale;
  const times = [];
  for (let i = 0; i < count; i++) {
    const phase = i % 40;
    if (phase === 0) view.fit();
    else if (phase < 20) view.zoomBy(1.45, s.width * (0.2 + 0.6 * ((i * 7) % 10) / 10));
    else if (phase < 30) { s.pan(phase % 2 ? 37 : -61); }
    else view.zoomBy(1 / 1.45, s.width / 2);
    const t0 = performance.now();
    view.paint();
    flush(view);
    times.push(performance.now() - t0);
    if (i % 10 === 9) await nextFrame();
  }
  return times;
};

/** Live: chunks of JSON text arrive every 50 ms for 10 s carrying 10k events/s. */
window.live = async (seconds, eventsPerSecond) => {
  const intervalMs = 50;
  const nChunks = Math.round((seconds * 1000) / intervalMs);
  const trace = generateTrace({ spans: seconds * eventsPerSecond, ...shape });
  const texts = toChunks(trace, nChunks, 'live-1').map(c => JSON.stringify(c));
  const registry = new LiveRegistry();
  const view = mount();
  const live = registry.get('live-1');
  view.setStore(live.store, true);
  const pending = [];
  const latencies = [];
  view.onPaint = () => {
    const now = performance.now();
    for (const t of pending) latencies.push(now - t);
    pending.length = 0;
  };
  registry.subscribe('live-1', () => view.update());
  const start = performance.now();
  for (let i = 0; i < texts.length; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    const sent = performance.now();
    const payload = parsePayload(JSON.parse(texts[i]));
    registry.ingest(payload.chunk, 'kernel');
    pending.push(sent);
  }
  while (pending.length) await nextFrame();
  return { latencies, spans: live.store.spanCount, complete: live.store.complete };
};
`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const median = (xs: number[]): number => pct(xs, 50);

async function main(): Promise<void> {
  const bundle = await build({
    stdin: { contents: pageEntry, resolveDir: root, loader: 'ts', sourcefile: 'bench-page.ts' },
    bundle: true,
    format: 'iife',
    write: false,
    target: 'es2022',
    logLevel: 'silent'
  });
  const script = bundle.outputFiles[0].text;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', e => errors.push(e.message));
    await page.setContent(`<!doctype html><html><head><style>
      :root { --jp-layout-color0:#fff; --jp-layout-color1:#fafafa; --jp-layout-color2:#eee; --jp-layout-color4:#757575;
        --jp-ui-font-color1:rgba(0,0,0,.87); --jp-ui-font-color2:rgba(0,0,0,.54); --jp-border-color2:#e0e0e0;
        --jp-brand-color1:#1976d2; --jp-warn-color1:#f57c00; --jp-success-color1:#388e3c; --jp-error-color1:#d32f2f;
        --jp-ui-font-color0:#000; }
      body { margin: 0; font: 12px sans-serif; } #host { width: 1300px; }
    </style></head><body><div id="host"></div></body></html>`);
    await page.addScriptTag({ content: script });

    const sizes: [string, number][] = [
      ['1k', 1_000],
      ['100k', 100_000]
    ];
    if (!quick) sizes.push(['1m', 1_000_000]);
    const rounds = quick ? 1 : 3;
    const frameCount = quick ? 80 : 160;
    const first: Record<string, number[]> = {};
    const frames: Record<string, number[]> = {};
    // interleave sizes round by round, so machine noise hits every size alike
    for (let r = 0; r < rounds; r++) {
      for (const [name, n] of sizes) {
        const fp = (await page.evaluate(`window.firstPaint(${n})`)) as number;
        const ft = (await page.evaluate(`window.frames(${frameCount})`)) as number[];
        (first[name] ??= []).push(fp);
        (frames[name] ??= []).push(...ft);
      }
    }
    for (const [name] of sizes) {
      console.log(
        `${name.padStart(5)} spans: first paint median ${median(first[name]).toFixed(1)} ms, ` +
          `frame median ${median(frames[name]).toFixed(2)} ms, p95 ${pct(frames[name], 95).toFixed(2)} ms ` +
          `(${frames[name].length} frames)`
      );
    }
    const big = quick ? '100k' : '1m';
    const ratio = median(frames[big]) / median(frames['1k']);
    console.log(`frame time ratio ${big} vs 1k (medians): ${ratio.toFixed(2)}`);

    const liveSeconds = quick ? 3 : 10;
    const live = (await page.evaluate(`window.live(${liveSeconds}, 10000)`)) as {
      latencies: number[];
      spans: number;
      complete: boolean;
    };
    console.log(
      `live: ${live.spans} spans in ${liveSeconds} s (10k events/s), ${live.latencies.length} chunks; ` +
        `latency median ${median(live.latencies).toFixed(1)} ms, p95 ${pct(live.latencies, 95).toFixed(1)} ms, ` +
        `complete=${live.complete}`
    );
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const result = {
      first_paint_1m_ms: Math.round(median(first[big]) * 10) / 10,
      frame_ratio_1m_vs_1k: Math.round(ratio * 100) / 100,
      frame_ms_1m_p95: Math.round(pct(frames[big], 95) * 100) / 100,
      live_latency_p95_ms: Math.round(pct(live.latencies, 95) * 10) / 10,
      first_paint_1k_ms: Math.round(median(first['1k']) * 10) / 10,
      frame_ms_1k_median: Math.round(median(frames['1k']) * 100) / 100,
      frame_ms_1m_median: Math.round(median(frames[big]) * 100) / 100,
      live_latency_median_ms: Math.round(median(live.latencies) * 10) / 10,
      ...(quick ? { quick: true } : {})
    };
    console.log(`BENCH render ${JSON.stringify(result)}`);
  } finally {
    await browser.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
