/** The legend under the canvas: a swatch per span kind and per CPU measure, lane group toggles, a hint. */
import { SPAN_KIND_LABELS, SpanKind } from '../../protocol/trace.js';
import { el } from '../ui/element.js';
import type { LaneGroup } from '../ui/settings.js';
import { GROUP_LABELS } from './laneLayout.js';

/** Swatches: CSS class suffix (style/base.css) and what it means. */
const SWATCHES: [string, string][] = [
  ...Object.entries(SpanKind).map(([name, kind]): [string, string] => [name, SPAN_KIND_LABELS[kind]]),
  ['cpu', 'CPU use of a thread/process'],
  ['core', 'core utilisation']
];

const HINT = 'Ctrl/⌘+wheel or +/− zoom · drag, Shift+wheel or ←/→ pan · click or n/p pins details';

export class Legend {
  readonly node = el('div', 'tl-Legend');
  private readonly toggles = el('span', 'tl-GroupToggles');
  private togglesFor = '';

  /** `shown`: the lane groups shown, changed in place; `onChange`: after a toggle */
  constructor(
    private readonly shown: Set<LaneGroup>,
    private readonly onChange: () => void
  ) {
    this.node.setAttribute('aria-label', 'Legend');
    for (const [name, text] of SWATCHES) {
      const item = el('span', 'tl-LegendItem');
      item.append(el('span', `tl-Swatch tl-Swatch-${name}`), document.createTextNode(text));
      this.node.append(item);
    }
    this.toggles.setAttribute('role', 'group');
    this.toggles.setAttribute('aria-label', 'Lane groups shown');
    this.node.append(this.toggles, el('span', 'tl-Hint', HINT));
  }

  /** A checkbox per lane group present in the trace, to show or hide it (keyboard reachable). */
  showGroups(present: LaneGroup[]): void {
    const key = present.join();
    if (key === this.togglesFor) return;
    this.togglesFor = key;
    this.toggles.replaceChildren();
    for (const group of present) {
      const label = el('label', 'tl-GroupToggle');
      const box = el('input', '');
      box.type = 'checkbox';
      box.checked = this.shown.has(group);
      box.dataset.group = group;
      box.addEventListener('change', () => {
        if (box.checked) this.shown.add(group);
        else this.shown.delete(group);
        this.onChange();
      });
      label.append(box, document.createTextNode(GROUP_LABELS[group]));
      this.toggles.append(label);
    }
  }
}
