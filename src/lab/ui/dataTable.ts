/** An accessible data table: caption, column headers (with an optional tooltip each), empty body. */
export type Column = string | readonly [text: string, title: string];

export function dataTable(
  className: string,
  caption: string,
  columns: readonly Column[]
): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const table = document.createElement('table');
  table.className = className;
  const cap = document.createElement('caption');
  cap.textContent = caption;
  table.append(cap);
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const [text, title] = typeof column === 'string' ? [column, undefined] : column;
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    if (title) th.title = title;
    head.append(th);
  }
  return { table, body: table.createTBody() };
}
