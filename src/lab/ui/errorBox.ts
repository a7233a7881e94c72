/** A readable error box in place of a timeline: what went wrong and what to do, never a broken notebook. */
export function errorBox(error: unknown): HTMLElement {
  const box = document.createElement('div');
  box.className = 'tl-Error';
  box.setAttribute('role', 'alert');
  const title = document.createElement('div');
  title.className = 'tl-ErrorTitle';
  title.textContent = 'Threadline could not show this timeline';
  const message = document.createElement('div');
  message.className = 'tl-ErrorMessage';
  message.textContent = error instanceof Error ? error.message : String(error);
  box.append(title, message);
  return box;
}
