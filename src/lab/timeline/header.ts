/** The timeline's header: what was traced, a live badge while it grows, and the toolbar. */
import { el } from '../ui/element.js';

export interface ToolbarActions {
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  exportChrome(): void;
  exportPng(): void;
}

const UNTITLED = 'Threadline timeline';

export class TimelineHeader {
  readonly node = el('div', 'tl-Header');
  private readonly title = el('span', 'tl-Title', UNTITLED);
  private readonly liveBadge = el('span', 'tl-LiveBadge', 'live');

  constructor(actions: ToolbarActions) {
    this.liveBadge.setAttribute('aria-live', 'polite');
    const toolbar = el('div', 'tl-Toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Timeline actions');
    const button = (text: string, label: string, action: () => void, name?: string): void => {
      const b = el('button', 'tl-Button jp-Button', text);
      b.type = 'button';
      b.title = label;
      b.setAttribute('aria-label', label);
      if (name) b.dataset.action = name;
      b.addEventListener('click', action);
      toolbar.append(b);
    };
    button('−', 'Zoom out (-)', actions.zoomOut);
    button('+', 'Zoom in (+)', actions.zoomIn);
    button('Fit', 'Show the whole trace (0)', actions.fit);
    button('Chrome trace', 'Download as Chrome Trace JSON (opens in Perfetto)', actions.exportChrome, 'export-chrome');
    button('PNG', 'Download this view as a PNG image', actions.exportPng, 'export-png');
    this.node.append(this.title, this.liveBadge, toolbar);
  }

  /** `label`: what was traced (the cell's first line); `live`: the trace is still growing. */
  show(label: string | undefined, live: boolean): void {
    this.title.textContent = label || UNTITLED;
    this.liveBadge.hidden = !live;
    this.liveBadge.textContent = live ? 'live' : '';
  }
}
