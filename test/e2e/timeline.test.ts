/**
 * The extension in a real JupyterLab: saved traces render with the right lanes, interactions
 * work, bad payloads show an error box, a %%timeline cell draws while it runs, the CPU meter
 * sees several busy cores during multiprocessing work, and a saved notebook reopens with its timeline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TRACE_MIME } from '../../src/protocol/names.js';
import { generateTrace } from '../lab/traceGen.js';
import { collectErrors, launchBrowser, openNotebook, screenshot, startLab, writeNotebook } from './labHarness.js';
import type { Lab } from './labHarness.js';

let lab: Lab;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [lab, browser] = await Promise.all([startLab(), launchBrowser()]);
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await lab?.stop();
});

function ours(errors: string[]): string[] {
  return errors.filter(e => /threadline|tl-|vnd\.threadline/i.test(e));
}

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  return { page, errors: collectErrors(page) };
}

describe('saved traces', () => {
  it('draws the lanes of a saved trace, with tooltip, zoom, pinned details and Chrome export', async () => {
    const trace = generateTrace({ spans: 20_000, tasks: 6, threads: 2, processes: 1, locks: 2, cores: 4, blockEvery: 301 });
    writeNotebook(lab.dir, 'saved.ipynb', [
      { source: '%%timeline\nawait main()', outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: trace, 'text/plain': ['<Threadline trace>'] } }] }
    ]);
    const { page, errors } = await newPage();
    await openNotebook(page, lab, 'saved.ipynb');
    const tl = page.locator('.tl-Timeline').first();
    await tl.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('.tl-Timeline')?.dataset.paints ?? 0) > 0);
    expect(await tl.getAttribute('data-task-lanes')).toBe('6');
    expect(await tl.getAttribute('data-thread-lanes')).toBe('2');
    expect(await tl.getAttribute('data-spans')).toBe('20000');
    expect(await tl.getAttribute('data-complete')).toBe('true');
    await expect(tl.locator('.tl-Summary').textContent()).resolves.toMatch(/6 tasks · 2 threads · 2 processes · max concurrency 8/);
    await expect(tl.locator('.tl-Blocks').textContent()).resolves.toMatch(/cell\.py:27/);
    expect(await tl.locator('.tl-LockTable tbody tr').count()).toBe(2);
    await tl.scrollIntoViewIfNeeded();
    await screenshot(page, 'timeline-saved');

    // hover over the first task lane shows a tooltip; clicking pins details
    const canvas = tl.locator('canvas.tl-Canvas');
    const box = (await canvas.boundingBox())!;
    // first lane row: axis (22) + group header (18) + half a lane (9)
    await page.mouse.move(box.x + 170 + box.width * 0.05, box.y + 22 + 18 + 9);
    await expect.poll(async () => tl.locator('.tl-Tooltip').isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(tl.locator('.tl-Tooltip').textContent()).resolves.toMatch(/Task-1 main\(\)/);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(async () => tl.locator('.tl-Details').isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(tl.locator('.tl-Details').textContent()).resolves.toMatch(/duration/);

    // keyboard zoom changes the axis; 0 fits again
    await canvas.focus();
    const paints = Number(await tl.getAttribute('data-paints'));
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => Number(await tl.getAttribute('data-paints')), { timeout: 10_000 }).toBeGreaterThan(paints);
    await screenshot(page, 'timeline-zoomed');
    await page.keyboard.press('Escape');
    await expect.poll(async () => tl.locator('.tl-Details').isVisible()).toBe(false);

    // Chrome trace export downloads a file Perfetto can read
    const [download] = await Promise.all([page.waitForEvent('download'), tl.locator('[data-action="export-chrome"]').click()]);
    const file = path.join(os.tmpdir(), `tl-export-${Date.now()}.json`);
    await download.saveAs(file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { ph: string }[] };
    fs.rmSync(file);
    expect(exported.traceEvents.filter(e => e.ph === 'X').length).toBe(20_000);
    const [png] = await Promise.all([page.waitForEvent('download'), tl.locator('[data-action="export-png"]').click()]);
    expect(png.suggestedFilename()).toMatch(/\.png$/);
    expect(ours(errors)).toEqual([]);
    await page.close();
  });

  it('shows a readable error box for a malformed or newer payload, and the notebook keeps working', async () => {
    const newer = { ...generateTrace({ spans: 10 }), version: 2 };
    writeNotebook(lab.dir, 'bad.ipynb', [
      { source: 'bad', outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: { version: 1, lanes: 'oops' }, 'text/plain': ['bad'] } }] },
      { source: 'newer', outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: newer, 'text/plain': ['newer'] } }] },
      { source: 'print("still fine")' }
    ]);
    const { page, errors } = await newPage();
    await openNotebook(page, lab, 'bad.ipynb');
    const boxes = page.locator('.tl-Error');
    await expect.poll(async () => boxes.count(), { timeout: 60_000 }).toBe(2);
    await expect(boxes.nth(0).textContent()).resolves.toMatch(/could not be read: "strings" is missing/);
    await expect(boxes.nth(1).textContent()).resolves.toMatch(/schema version 2.*reads version 1.*Update the extension/);
    expect(await page.locator('.jp-Cell').count()).toBe(3);
    await boxes.first().scrollIntoViewIfNeeded();
    await screenshot(page, 'timeline-error');
    expect(ours(errors)).toEqual([]);
    await page.close();
  });
});
