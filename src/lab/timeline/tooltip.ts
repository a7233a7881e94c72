/** The tooltip that follows the pointer over the canvas. */
import { el } from '../ui/element.js';

export class Tooltip {
  readonly node = el('div', 'tl-Tooltip');

  constructor() {
    this.node.setAttribute('role', 'tooltip');
    this.node.hidden = true;
  }

  /** Show `content` below and right of client point (x, y), kept inside `box` (the canvas's). */
  show(content: HTMLElement, clientX: number, clientY: number, box: DOMRect): void {
    this.node.replaceChildren(content);
    this.node.hidden = false;
    const width = this.node.offsetWidth || 200;
    this.node.style.left = `${Math.min(clientX - box.left + 12, Math.max(0, box.width - width - 4))}px`;
    this.node.style.top = `${clientY - box.top + 16}px`;
  }

  hide(): void {
    this.node.hidden = true;
  }
}
