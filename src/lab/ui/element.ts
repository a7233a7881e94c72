/** The one DOM helper the views share: an element with a class and, optionally, its text. */

/** Elements that take keys from the user. */
const TAKES_KEYS = new Set(['button', 'input', 'canvas', 'summary']);

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  // keys typed on the timeline's controls are theirs: without this, notebook command-mode
  // shortcuts would fire too (b inserts a cell, d d deletes one, Enter edits the cell);
  // Lumino checks the attribute on the focused element itself
  if (TAKES_KEYS.has(tag)) e.setAttribute('data-lm-suppress-shortcuts', '');
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
