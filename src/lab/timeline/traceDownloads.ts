/** What the timeline's toolbar downloads: the trace as Chrome Trace JSON, the view as a PNG. */
import { toChromeTrace } from '../trace/chromeExport.js';
import type { TraceStore } from '../trace/traceStore.js';
import { downloadBlob, fileNameFor } from '../ui/download.js';

export function downloadChromeTrace(store: TraceStore): void {
  const json = JSON.stringify(toChromeTrace(store.toTrace()));
  downloadBlob(new Blob([json], { type: 'application/json' }), fileNameFor(store.meta?.label, 'json'));
}

export function downloadPng(canvas: HTMLCanvasElement, label: string | undefined): void {
  const name = fileNameFor(label, 'png');
  canvas.toBlob(blob => {
    if (blob) downloadBlob(blob, name);
  }, 'image/png');
}
