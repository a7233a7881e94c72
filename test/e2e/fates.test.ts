/**
 * Task fates and the await graph in a real JupyterLab: a saved v2 trace of the TaskGroup demo shows
 * a marker per fate, the await connectors, the fate in the tooltip and the details, the fate counts
 * in the summary line, and the await chain of a clicked suspended bar; a v1 trace saved by the
 * previous version still opens. A live TaskGroup cell whose child `boom` raises while `slow1` and
 * `slow2` sleep shows the same from the probe's real data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { TRACE_MIME } from '../../src/protocol/names.js';
import { asV1, taskGroupTrace } from '../lab/fatesTrace.js';
import {
  artifacts,
  collectErrors,
  launchBrowser,
  openNotebook,
  screenshot,
  startLab,
  writeNotebook
} from './labHarness.js';
import type { Lab } from './labHarness.js';

let lab: Lab;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [lab, browser] = await Promise.all([startLab(), launchBrowser()]);
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await lab?.stop();
});

/** Console errors that come from this extension. */
function ours(errors: string[]): string[] {
  return errors.filter(e => /threadline|tl-|vnd\.threadline/i.test(e));
}

function output(trace: unknown): { source: string; outputs: unknown[] } {
  return {
    source: '%%timeline TaskGroup',
    outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: trace, 'text/plain': ['<trace>'] } }]
  };
}

async function painted(tl: Locator): Promise<void> {
  await tl.waitFor({ timeout: 60_000 });
  await expect
    .poll(async () => Number((await tl.getAttribute('data-paints')) ?? 0), { timeout: 30_000 })
    .toBeGreaterThan(0);
}

/** Element screenshot of one timeline, under test-artifacts/. */
async function shoot(tl: Locator, name: string): Promise<string> {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await tl.screenshot({ path: file });
  return file;
}

describe('saved traces', () => {
  it('shows fates, await connectors and the await chain of a clicked suspended bar', async () => {
    const trace = taskGroupTrace();
    writeNotebook(lab.dir, 'fates.ipynb', [output(trace), output(asV1(trace))]);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await openNotebook(page, lab, 'fates.ipynb');
    const tl = page.locator('.tl-Timeline').first();
    await painted(tl);
    await expect(tl.locator('.tl-Summary').textContent()).resolves.toMatch(
      /^10 tasks: 2 returned, 1 raised, 4 cancelled, 1 destroyed while pending, 1 never awaited, 1 still running · /
    );
    expect(JSON.parse((await tl.getAttribute('data-fates')) ?? '{}')).toMatchObject({ raised: 1, cancelled: 4 });
    expect(await tl.getAttribute('data-awaits')).toBe('4');
    expect(await tl.getAttribute('data-await-arrows')).toBe('4');
    expect(await tl.getAttribute('data-fate-markers')).toBe('9');
    const legend = (await tl.locator('.tl-Legend').textContent()) ?? '';
    for (const word of [
      'returned',
      'raised',
      'cancelled',
      'destroyed while pending',
      'never awaited',
      'awaits another task'
    ]) {
      expect(legend).toContain(word);
    }

    // lanes in start order under the axis (22) and the group header (18), 18 px each; the plot fits 0…60 ms
    const canvas = tl.locator('canvas.tl-Canvas');
    const box = (await canvas.boundingBox())!;
    const labelW = Number(await tl.getAttribute('data-label-width'));
    const at = (t: number, lane: number): [number, number] => [
      box.x + labelW + (t / 60_000) * (box.width - labelW),
      box.y + 22 + 18 + lane * 18 + 8
    ];
    // hover over slow1's end marker (lane 2, 20.2 ms): the tooltip says why it was cancelled
    await page.mouse.move(...at(20_200, 2));
    await expect
      .poll(async () => tl.locator('.tl-Tooltip').textContent(), { timeout: 10_000 })
      .toContain('cancelled: TaskGroup abort, because boom raised ValueError');
    // click slow1's suspended bar at 10 ms: the details show its fate and the await chain then
    await page.mouse.click(...at(10_000, 2));
    const details = tl.locator('.tl-Details');
    await expect.poll(async () => details.textContent(), { timeout: 10_000 }).toMatch(/slow1 — suspended/);
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('fatecancelled: TaskGroup abort, because boom raised ValueError');
    expect(text).toMatch(/await chainmain → awaits slow1 → awaits asyncio\.sleep\(1\) \(at 10(\.\d+)? ms\)/);
    // and boom's: what it raised
    await page.mouse.click(...at(10_000, 1));
    await expect.poll(async () => details.textContent(), { timeout: 10_000 }).toContain('fateraised ValueError: boom');
    // main's, during the TaskGroup: one child followed, the other two listed
    await page.mouse.click(...at(10_000, 0));
    await expect
      .poll(async () => details.textContent(), { timeout: 10_000 })
      .toMatch(/await chainmain → awaits (boom|slow1|slow2) → awaits asyncio\.sleep.*also awaits/);
    await page.mouse.click(...at(10_000, 2));
    await expect.poll(async () => details.textContent(), { timeout: 10_000 }).toMatch(/slow1 — suspended/);
    await page.mouse.move(...at(20_200, 2));
    await tl.scrollIntoViewIfNeeded();
    await expect.poll(async () => tl.locator('.tl-Tooltip').isVisible(), { timeout: 10_000 }).toBe(true);
    await shoot(tl, 'fates-saved-hover');
    // every end marker and connector in sight, the details still pinned
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await expect.poll(async () => tl.locator('.tl-Tooltip').isVisible(), { timeout: 10_000 }).toBe(false);
    await shoot(tl, 'fates-saved');

    // the same trace as v1 wrote it opens: fates from the outcomes, no connectors
    const v1 = page.locator('.tl-Timeline').nth(1);
    await v1.scrollIntoViewIfNeeded();
    await painted(v1);
    await expect(v1.locator('.tl-Summary').textContent()).resolves.toMatch(
      /^10 tasks: 2 returned, 1 raised, 4 cancelled/
    );
    expect(await v1.getAttribute('data-awaits')).toBe('0');
    expect(await v1.getAttribute('data-await-arrows')).toBe('0');
    expect(await page.locator('.tl-Error').count()).toBe(0);
    await shoot(v1, 'fates-saved-v1');
    expect(ours(errors)).toEqual([]);
    await page.close();
  }, 240_000);
});

const TASKGROUP_CELL = [
  '%%timeline TaskGroup',
  'import asyncio',
  'async def boom():',
  '    await asyncio.sleep(0.3)',
  '    raise ValueError("boom")',
  'async def slow(seconds):',
  '    await asyncio.sleep(seconds)',
  'try:',
  '    async with asyncio.TaskGroup() as tg:',
  '        tg.create_task(boom(), name="boom")',
  '        tg.create_task(slow(5), name="slow1")',
  '        tg.create_task(slow(5), name="slow2")',
  'except* ValueError as group:',
  '    print("caught", group.exceptions)'
].join('\n');

async function runFirstCell(page: Page): Promise<void> {
  await expect
    .poll(async () => (await page.locator('#jp-main-statusbar').textContent()) ?? '', {
      timeout: 120_000,
      interval: 250
    })
    .toMatch(/Threadline\) \| Idle/);
  const cell = page.locator('.jp-Notebook .jp-Cell').first();
  await cell.locator('.jp-InputPrompt').click();
  const run = page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:run-cell-and-select-next"]');
  await run.click();
  const started = async (): Promise<boolean> =>
    /\[(\*|\d+)\]/.test((await cell.locator('.jp-InputPrompt').textContent()) ?? '');
  // a run sent while the kernel is still connecting can be dropped: try once more if nothing started
  await expect
    .poll(started, { timeout: 15_000 })
    .toBe(true)
    .catch(async () => {
      await cell.locator('.jp-InputPrompt').click();
      await run.click();
    });
  await expect
    .poll(async () => cell.locator('.jp-InputPrompt').textContent(), { timeout: 120_000, interval: 200 })
    .toMatch(/\[\d+\]/);
}

describe('live kernel', () => {
  it('a TaskGroup whose child raises: boom raised, slow1 and slow2 cancelled by it, main awaits all three', async () => {
    writeNotebook(lab.dir, 'taskgroup.ipynb', [{ source: TASKGROUP_CELL }]);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await openNotebook(page, lab, 'taskgroup.ipynb');
    await runFirstCell(page);
    const tl = page.locator('.jp-OutputArea-output .tl-Timeline').first();
    await painted(tl);
    await expect.poll(async () => tl.getAttribute('data-complete'), { timeout: 60_000 }).toBe('true');
    await expect(page.locator('.jp-OutputArea-output').first().textContent()).resolves.toContain('caught');
    const summary = (await tl.locator('.tl-Summary').textContent()) ?? '';
    expect(summary).toMatch(/tasks: .*1 raised, 2 cancelled/);
    const names = JSON.parse((await tl.getAttribute('data-task-names')) ?? '[]') as string[];
    for (const name of ['boom', 'slow1', 'slow2'])
      expect(
        names.some(n => n.includes(name)),
        JSON.stringify(names)
      ).toBe(true);
    expect(Number(await tl.getAttribute('data-awaits'))).toBeGreaterThanOrEqual(3);
    expect(Number(await tl.getAttribute('data-await-arrows'))).toBeGreaterThanOrEqual(3);
    expect(Number(await tl.getAttribute('data-fate-markers'))).toBeGreaterThanOrEqual(3);

    // pin spans from the keyboard until slow1's suspended bar is pinned: its fate and await chain show
    const canvas = tl.locator('canvas.tl-Canvas');
    await canvas.focus();
    const details = tl.locator('.tl-Details');
    const title = async (): Promise<string> =>
      (await details
        .locator('.tl-InfoTitle')
        .textContent()
        .catch(() => '')) ?? '';
    await page.keyboard.press('n');
    for (let i = 0; i < 12 && !/slow1/.test(await title()); i++) await page.keyboard.press('Shift+N');
    for (let i = 0; i < 6 && !/slow1.* — suspended/.test(await title()); i++) await page.keyboard.press('n');
    expect(await title()).toMatch(/slow1.* — suspended/);
    const text = (await details.textContent()) ?? '';
    expect(text).toMatch(/fatecancelled: TaskGroup abort, because boom.* raised ValueError/);
    expect(text).toMatch(/await chain.* → awaits slow1.* → awaits .*sleep/);
    await tl.scrollIntoViewIfNeeded();
    await shoot(tl, 'fates-live-taskgroup');
    await screenshot(page, 'fates-live-taskgroup-page');
    expect(ours(errors)).toEqual([]);
    await page.close();
  }, 300_000);
});
