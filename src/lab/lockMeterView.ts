/** The lock-contention table: per lock acquisitions, wait, hold, contention, waiters over time, top waiters. */
import { formatCount, formatDuration, formatPercent } from './format.js';
import type { LockStat } from './lockStats.js';
import { sparkline } from './sparkline.js';

export function renderLockTable(stats: LockStat[], contentionWarning: number): HTMLElement {
  if (stats.length === 0) {
    const p = document.createElement('p');
    p.className = 'tl-Empty';
    p.textContent = 'No locks, semaphores or queues were used in this trace.';
    return p;
  }
  const table = document.createElement('table');
  table.className = 'tl-LockTable';
  const caption = document.createElement('caption');
  caption.textContent = 'Lock contention: how long tasks and threads waited for each lock, and how long they held it';
  table.append(caption);
  const head = table.createTHead().insertRow();
  for (const [text, title] of [
    ['Lock', 'name and type'],
    ['Acq.', 'acquisitions'],
    ['Wait total', 'total time spent waiting to acquire'],
    ['Mean', 'mean wait per acquisition'],
    ['Max', 'longest single wait'],
    ['Held', 'total time held'],
    ['Contention', 'wait ÷ (wait + hold)'],
    ['Waiters', 'mean number of waiters over the trace'],
    ['Waited most', 'tasks or threads that waited longest']
  ]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    th.title = title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of stats) {
    const tr = body.insertRow();
    tr.dataset.lock = s.name;
    const name = tr.insertCell();
    name.innerHTML = '';
    const strong = document.createElement('span');
    strong.className = 'tl-LockName';
    strong.textContent = s.name;
    const kind = document.createElement('span');
    kind.className = 'tl-Dim';
    kind.textContent = ` ${s.kind}`;
    name.append(strong, kind);
    if (s.site) name.title = `created at ${s.site}`;
    tr.insertCell().textContent = formatCount(s.acquisitions);
    tr.insertCell().textContent = formatDuration(s.totalWaitUs);
    tr.insertCell().textContent = formatDuration(s.meanWaitUs);
    tr.insertCell().textContent = formatDuration(s.maxWaitUs);
    tr.insertCell().textContent = formatDuration(s.totalHoldUs);
    const c = tr.insertCell();
    const bar = document.createElement('span');
    bar.className = 'tl-Ratio' + (s.contention > contentionWarning ? ' tl-mod-warn' : '');
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', String(Math.round(s.contention * 100)));
    bar.setAttribute('aria-label', `contention of ${s.name}`);
    const fill = document.createElement('span');
    fill.className = 'tl-Ratio-fill';
    fill.style.width = `${Math.round(s.contention * 100)}%`;
    bar.append(fill);
    const pct = document.createElement('span');
    pct.textContent = ` ${formatPercent(s.contention)}`;
    c.append(bar, pct);
    tr.insertCell().append(sparkline(s.waiters, 80, 16, `waiters over time for ${s.name}, peak ${Math.max(...s.waiters).toFixed(1)}`));
    tr.insertCell().textContent = s.topWaiters.map(w => `${w.name} (${formatDuration(w.waitUs)})`).join(', ') || '–';
  }
  return table;
}
