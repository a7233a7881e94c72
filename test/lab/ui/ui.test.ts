import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatPercent } from '../../../src/lab/ui/format.js';
import { readSettings, DEFAULT_SETTINGS } from '../../../src/lab/ui/settings.js';

describe('format', () => {
  it('picks a unit a person reads at a glance', () => {
    expect(formatDuration(0.09)).toBe('90 ns');
    expect(formatDuration(850)).toBe('850 µs');
    expect(formatDuration(12_340)).toBe('12.3 ms');
    expect(formatDuration(2_050_000)).toBe('2.05 s');
    expect(formatDuration(125e6)).toBe('2 min 5 s');
    expect(formatDuration(-1500)).toBe('-1.5 ms');
    expect(formatDuration(NaN)).toBe('–');
  });
  it('formats ratios and counts', () => {
    expect(formatPercent(0.374)).toBe('37%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatCount(1234567)).toBe('1\u202f234\u202f567');
  });
});

describe('settings', () => {
  it('falls back to defaults for bad values and clamps ranges', () => {
    const s = readSettings({ meterIntervalMs: 5, busyThreshold: 'x', defaultLanes: ['tasks', 'nope'] });
    expect(s.meterIntervalMs).toBe(100);
    expect(s.busyThreshold).toBe(DEFAULT_SETTINGS.busyThreshold);
    expect(s.defaultLanes).toEqual(['tasks']);
  });
});

describe('sparklines and file names', () => {
  it('draws values bottom-up inside the box', async () => {
    const { sparklinePath } = await import('../../../src/lab/ui/sparkline.js');
    expect(sparklinePath([], 10, 10)).toBe('');
    const d = sparklinePath([0, 5, 10], 100, 11, 10);
    expect(d).toBe('M0 10.5 L50.0 5.5 L100.0 0.5');
    // values above max are clipped to the top
    expect(sparklinePath([20], 10, 11, 10)).toBe('M0 0.5');
  });
  it('names exports after the traced cell', async () => {
    const { fileNameFor } = await import('../../../src/lab/ui/download.js');
    expect(fileNameFor('%%timeline fetch all (v2)', 'json')).toBe('threadline-fetch-all-v2.json');
    expect(fileNameFor(undefined, 'png')).toBe('threadline.png');
  });
});
