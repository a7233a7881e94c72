/** The line above the canvas: what the trace holds, and links to the steps that blocked the event loop. */
import { LANE_KIND_LABELS, LaneKind } from '../../protocol/trace.js';
import type { TraceMeta } from '../../protocol/trace.js';
import { formatFates } from '../trace/taskFates.js';
import type { BlockedStep, TraceSummary } from '../trace/traceSummary.js';
import { el } from '../ui/element.js';
import { formatCount, formatDuration } from '../ui/format.js';

/** How many blocking steps get a link. */
const BLOCK_LINKS = 3;

function plural(n: number, word: string): string {
  const words = n === 1 ? word : word.endsWith('s') ? `${word}es` : `${word}s`;
  return `${formatCount(n)} ${words}`;
}

export class SummaryLine {
  readonly summary = el('div', 'tl-Summary');
  readonly blocks = el('div', 'tl-Blocks');

  /** `onBlock`: a blocking step's link was clicked */
  constructor(private readonly onBlock: (step: BlockedStep) => void) {
    this.summary.setAttribute('aria-live', 'polite');
  }

  /** Nothing arrived yet from a live trace: say so, and what to do if nothing comes. */
  showWaiting(): void {
    this.summary.textContent =
      'Waiting for the kernel to send the trace… (if nothing comes, the cell is no longer running: run it again)';
    this.blocks.replaceChildren();
  }

  show(s: TraceSummary, meta: TraceMeta | null): void {
    const parts: string[] = [];
    // "3 tasks: 1 returned, 1 raised, 1 cancelled"
    const fates = formatFates(s.fates);
    if (s.tasks) parts.push(`${plural(s.tasks, LANE_KIND_LABELS[LaneKind.task])}${fates ? `: ${fates}` : ''}`);
    if (s.threads) parts.push(plural(s.threads, LANE_KIND_LABELS[LaneKind.thread]));
    if (s.processes) parts.push(plural(s.processes, LANE_KIND_LABELS[LaneKind.process]));
    parts.push(`max concurrency ${s.maxConcurrency}`);
    const blocked = `loop blocked ${formatDuration(s.blockedTotalUs)} (${s.blockedCount}×)`;
    parts.push(s.blockedCount ? blocked : 'loop never blocked');
    parts.push(`${formatDuration(s.durationUs)} traced`);
    parts.push(plural(s.spans, 'span'));
    if (meta) parts.push(`${meta.effective_cpus} of ${meta.host_cpus} cores usable`);
    this.summary.replaceChildren(document.createTextNode(parts.join(' · ')));
    if (s.dropped > 0) {
      const dropped = ` · ${formatCount(s.dropped)} events dropped (buffer full: the trace is incomplete)`;
      this.summary.append(el('span', 'tl-Dropped', dropped));
    }
    this.blocks.replaceChildren();
    if (!s.worstBlocks.length) return;
    this.blocks.append(el('span', 'tl-BlocksTitle', 'Event loop blocked at: '));
    for (const step of s.worstBlocks.slice(0, BLOCK_LINKS)) {
      const text = `${step.location || 'unknown location'} (${formatDuration(step.duration)})`;
      const link = el('button', 'tl-BlockLink', text);
      link.type = 'button';
      link.title = 'Zoom to this step and pin it';
      link.addEventListener('click', () => this.onBlock(step));
      this.blocks.append(link);
    }
  }
}
