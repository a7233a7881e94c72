/** Human formatting of times (microseconds) and ratios. Pure. */

const UNITS: { limit: number; div: number; unit: string }[] = [
  { limit: 1, div: 1e-3, unit: 'ns' },
  { limit: 1e3, div: 1, unit: 'µs' },
  { limit: 1e6, div: 1e3, unit: 'ms' },
  { limit: Infinity, div: 1e6, unit: 's' }
];

/** A duration in microseconds as "12.3 ms", "850 µs", "2.05 s", "90 ns". */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  if (a === 0) return '0 s';
  if (a >= 60e6) {
    const minutes = Math.floor(a / 60e6);
    const seconds = (a - minutes * 60e6) / 1e6;
    return `${sign}${minutes} min ${trimNumber(Math.round(seconds * 10) / 10)} s`;
  }
  const u = UNITS.find(x => a < x.limit) ?? UNITS[UNITS.length - 1];
  return `${sign}${trimNumber(a / u.div)} ${u.unit}`;
}

/** Three significant digits, no trailing zeros. */
export function trimNumber(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return stripZeros(x.toFixed(1));
  return stripZeros(x.toFixed(2));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A ratio 0..1 as "37%". */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  const p = ratio * 100;
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p).toString()}%`;
}

/** An integer with thin thousands separators: 1 234 567. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}
