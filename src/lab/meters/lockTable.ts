/** The lock-contention table: per lock acquisitions, wait, hold, contention, waiters over time, top waiters. */
import { dataTable } from '../ui/dataTable.js';
import { formatCount, formatDuration, formatPercent } from '../ui/format.js';
import type { LockStat } from '../trace/lockStats.js';
import { sparkline } from '../ui/sparkline.js';

/** The lock's name, then its kind dimmed: how a lock is labelled in cards and table rows. */
function lockLabel(s: LockStat): HTMLElement[] {
  const name = document.createElement('span');
  name.className = 'tl-LockName';
  name.textContent = s.name;
  const kind = document.createElement('span');
  kind.className = 'tl-Dim';
  kind.textContent = ` ${s.kind}`;
  return [name, kind];
}

function contentionMeter(s: LockStat, contentionWarning: number): HTMLElement {
  const wrap = document.createElement('span');
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
  wrap.append(bar, document.createTextNode(` ${formatPercent(s.contention)}`));
  return wrap;
}

function waitersSparkline(s: LockStat, width: number, height: number): SVGSVGElement {
  const label = `waiters over time for ${s.name}, peak ${Math.max(...s.waiters).toFixed(1)}`;
  return sparkline(s.waiters, width, height, label);
}

/** One card per lock, for narrow places (the side panel). */
function renderLockCards(stats: LockStat[], contentionWarning: number): HTMLElement {
  const list = document.createElement('div');
  list.className = 'tl-LockCards';
  for (const s of stats) {
    const card = document.createElement('section');
    card.className = 'tl-LockCard' + (s.contention > contentionWarning ? ' tl-mod-warn' : '');
    card.dataset.lock = s.name;
    card.setAttribute('aria-label', `lock ${s.name}`);
    const head = document.createElement('div');
    head.append(...lockLabel(s));
    const dl = document.createElement('dl');
    dl.className = 'tl-LockFacts';
    const fact = (k: string, v: string | Node): void => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.append(v);
      dl.append(dt, dd);
    };
    fact('acquisitions', formatCount(s.acquisitions));
    const [total, mean, max] = [s.totalWaitUs, s.meanWaitUs, s.maxWaitUs].map(formatDuration);
    fact('wait', `${total} total, ${mean} mean, ${max} max`);
    fact('held', formatDuration(s.totalHoldUs));
    fact('contention', contentionMeter(s, contentionWarning));
    fact('waiters', waitersSparkline(s, 140, 18));
    fact('waited most', s.topWaiters.map(w => `${w.name} (${formatDuration(w.waitUs)})`).join(', ') || '–');
    card.append(head, dl);
    list.append(card);
  }
  return list;
}

export function renderLockTable(stats: LockStat[], contentionWarning: number, compact = false): HTMLElement {
  if (stats.length === 0) {
    const p = document.createElement('p');
    p.className = 'tl-Empty';
    p.textContent = 'No locks, semaphores or queues were used in this trace.';
    return p;
  }
  if (compact) return renderLockCards(stats, contentionWarning);
  const { table, body } = dataTable(
    'tl-LockTable',
    'Lock contention: how long tasks and threads waited for each lock, and how long they held it',
    [
      ['Lock', 'name and type'],
      ['Acq.', 'acquisitions'],
      ['Wait total', 'total time spent waiting to acquire'],
      ['Mean', 'mean wait per acquisition'],
      ['Max', 'longest single wait'],
      ['Held', 'total time held'],
      ['Contention', 'wait ÷ (wait + hold)'],
      ['Waiters', 'mean number of waiters over the trace'],
      ['Waited most', 'tasks or threads that waited longest']
    ]
  );
  for (const s of stats) {
    const tr = body.insertRow();
    tr.dataset.lock = s.name;
    const name = tr.insertCell();
    name.append(...lockLabel(s));
    if (s.site) name.title = `created at ${s.site}`;
    tr.insertCell().textContent = formatCount(s.acquisitions);
    tr.insertCell().textContent = formatDuration(s.totalWaitUs);
    tr.insertCell().textContent = formatDuration(s.meanWaitUs);
    tr.insertCell().textContent = formatDuration(s.maxWaitUs);
    tr.insertCell().textContent = formatDuration(s.totalHoldUs);
    tr.insertCell().append(contentionMeter(s, contentionWarning));
    tr.insertCell().append(waitersSparkline(s, 80, 16));
    tr.insertCell().textContent = s.topWaiters.map(w => `${w.name} (${formatDuration(w.waitUs)})`).join(', ') || '–';
  }
  return table;
}
