/** The MIME renderer extension (package.json `jupyterlab.mimeExtension`): draws saved and live traces. */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TRACE_MIME } from '../protocol/names.js';
import { TimelineRenderer } from './timeline/timelineRenderer.js';

export const rendererFactory: IRenderMime.IRendererFactory = {
  // only text from the payload reaches the page (textContent), never HTML: safe for untrusted notebooks
  safe: true,
  mimeTypes: [TRACE_MIME],
  defaultRank: 10,
  createRenderer: options => new TimelineRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'threadline:timeline-renderer',
  description: `Draws Threadline traces (${TRACE_MIME}) as a task timeline.`,
  rendererFactory,
  rank: 10,
  dataType: 'json'
};

export default extension;
