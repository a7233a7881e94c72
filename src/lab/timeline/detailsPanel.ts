/** The pinned span's details below the canvas, with a button to clear them. */
import { el } from '../ui/element.js';

export class DetailsPanel {
  readonly node = el('div', 'tl-Details');

  constructor(private readonly onClose: () => void) {
    this.node.setAttribute('aria-live', 'polite');
    this.node.hidden = true;
  }

  show(details: HTMLElement): void {
    const close = el('button', 'tl-Button tl-DetailsClose', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Clear pinned details');
    close.addEventListener('click', this.onClose);
    this.node.replaceChildren(close, details);
    this.node.hidden = false;
  }

  clear(): void {
    this.node.hidden = true;
    this.node.replaceChildren();
  }
}
