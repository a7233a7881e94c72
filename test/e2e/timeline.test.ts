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
import { SERVER_START_TIMEOUT_MS } from '../../bench/_serverProcess.js';
import { TRACE_MIME } from '../../src/protocol/names.js';
import { generateTrace } from '../lab/traceGen.js';
import {
  artifacts,
  collectErrors,
  launchBrowser,
  openNotebook,
  root,
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
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
}, SERVER_START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await lab?.stop();
});

const allErrors: string[] = [];

/** Errors that come from this extension; every console error is also kept in test-artifacts. */
function ours(errors: string[]): string[] {
  allErrors.push(...errors);
  fs.mkdirSync(artifacts, { recursive: true });
  fs.writeFileSync(path.join(artifacts, 'e2e-console-errors.txt'), allErrors.join('\n'));
  return errors.filter(e => /threadline|tl-|vnd\.threadline/i.test(e));
}

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  return { page, errors: collectErrors(page) };
}

describe('saved traces', () => {
  it('draws the lanes of a saved trace, with tooltip, zoom, pinned details and Chrome export', async () => {
    const trace = generateTrace({
      spans: 20_000,
      tasks: 6,
      threads: 2,
      processes: 1,
      locks: 2,
      cores: 4,
      blockEvery: 301
    });
    writeNotebook(lab.dir, 'saved.ipynb', [
      {
        source: '%%timeline\nawait main()',
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: { [TRACE_MIME]: trace, 'text/plain': ['<Threadline trace>'] }
          }
        ]
      }
    ]);
    const { page, errors } = await newPage();
    await openNotebook(page, lab, 'saved.ipynb');
    const tl = page.locator('.tl-Timeline').first();
    await tl.waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('.tl-Timeline')?.dataset.paints ?? 0) > 0
    );
    expect(await tl.getAttribute('data-task-lanes')).toBe('6');
    expect(await tl.getAttribute('data-thread-lanes')).toBe('2');
    expect(await tl.getAttribute('data-spans')).toBe('20000');
    expect(await tl.getAttribute('data-complete')).toBe('true');
    await expect(tl.locator('.tl-Summary').textContent()).resolves.toMatch(
      /6 tasks: 5 returned, 1 cancelled · 2 threads · 2 processes · max concurrency 8/
    );
    await expect(tl.locator('.tl-Blocks').textContent()).resolves.toMatch(/cell\.py:27/);
    expect(await tl.locator('.tl-LockTable tbody tr').count()).toBe(2);
    await tl.scrollIntoViewIfNeeded();
    await screenshot(page, 'timeline-saved');

    // hover over the first task lane shows a tooltip; clicking pins details
    const canvas = tl.locator('canvas.tl-Canvas');
    const box = (await canvas.boundingBox())!;
    // first lane row: axis (22) + group header (18) + half a lane (9)
    const labelW = Number(await tl.getAttribute('data-label-width'));
    await page.mouse.move(box.x + labelW + box.width * 0.05, box.y + 22 + 18 + 9);
    await expect.poll(async () => tl.locator('.tl-Tooltip').isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(tl.locator('.tl-Tooltip').textContent()).resolves.toMatch(/Task-1 main\(\)/);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(async () => tl.locator('.tl-Details').isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(tl.locator('.tl-Details').textContent()).resolves.toMatch(/duration/);

    // lane groups can be hidden from the legend (keyboard reachable checkboxes)
    const height = async (): Promise<number> => (await canvas.boundingBox())!.height;
    const before = await height();
    await tl.locator('.tl-GroupToggles input[data-group="cores"]').uncheck();
    await expect.poll(height, { timeout: 10_000 }).toBeLessThan(before);
    await tl.locator('.tl-GroupToggles input[data-group="cores"]').check();
    await expect.poll(height, { timeout: 10_000 }).toBe(before);

    // keyboard zoom changes the axis; 0 fits again
    await canvas.focus();
    const paints = Number(await tl.getAttribute('data-paints'));
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(async () => Number(await tl.getAttribute('data-paints')), { timeout: 10_000 })
      .toBeGreaterThan(paints);
    await screenshot(page, 'timeline-zoomed');
    await page.keyboard.press('Escape');
    await expect.poll(async () => tl.locator('.tl-Details').isVisible()).toBe(false);
    // n pins the next span of a lane, Shift+N moves to the next lane; notebook shortcuts stay quiet
    await page.keyboard.press('n');
    await expect
      .poll(async () => tl.locator('.tl-Details .tl-InfoTitle').textContent(), { timeout: 10_000 })
      .toMatch(/^Task-1 main\(\)/);
    await page.keyboard.press('Shift+N');
    await expect
      .poll(async () => tl.locator('.tl-Details .tl-InfoTitle').textContent(), { timeout: 10_000 })
      .toMatch(/^Task-2 worker\(1\)/);
    // 'b' would insert a cell below in command mode: on the timeline it does nothing
    await page.keyboard.press('b');
    await page.keyboard.press('a');
    await page.waitForTimeout(500);
    expect(await page.locator('.jp-Notebook .jp-Cell').count()).toBe(1);
    // toolbar buttons work from the keyboard inside a notebook
    const paintsBeforeFit = Number(await tl.getAttribute('data-paints'));
    await tl.getByRole('button', { name: 'Zoom in (+)' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => Number(await tl.getAttribute('data-paints')), { timeout: 10_000 })
      .toBeGreaterThan(paintsBeforeFit);

    // Chrome trace export downloads a file Perfetto can read
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      tl.locator('[data-action="export-chrome"]').click()
    ]);
    const file = path.join(os.tmpdir(), `tl-export-${Date.now()}.json`);
    await download.saveAs(file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { ph: string }[] };
    fs.rmSync(file);
    expect(exported.traceEvents.filter(e => e.ph === 'X').length).toBe(20_000);
    const [png] = await Promise.all([page.waitForEvent('download'), tl.locator('[data-action="export-png"]').click()]);
    expect(png.suggestedFilename()).toMatch(/\.png$/);

    // the canvas follows the theme: switch to dark and the lanes' background goes dark
    const corner = `(() => { const c = document.querySelector('.tl-Canvas'); const [r, g, b] = c.getContext('2d').getImageData(2, 30, 1, 1).data; return r + g + b; })()`;
    const lightSum = (await page.evaluate(corner)) as number;
    const setTheme = async (name: string): Promise<void> => {
      await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Settings' }).click();
      await page.locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ }).hover();
      await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${name}$`) }).click();
      await page.waitForSelector(`body[data-jp-theme-name="${name}"]`, { state: 'attached' });
      // JupyterLab shows its splash while the theme loads
      await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 30_000 });
    };
    await setTheme('JupyterLab Dark');
    await expect
      .poll(async () => (await page.evaluate(corner)) as number, { timeout: 15_000 })
      .toBeLessThan(lightSum / 2);
    await screenshot(page, 'timeline-dark');
    await setTheme('JupyterLab Light');
    expect(ours(errors)).toEqual([]);
    await page.close();
  });

  it('shows a readable error box for a malformed or newer payload, and the notebook keeps working', async () => {
    const newer = { ...generateTrace({ spans: 10 }), version: 3 };
    writeNotebook(lab.dir, 'bad.ipynb', [
      {
        source: 'bad',
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: { [TRACE_MIME]: { version: 1, lanes: 'oops' }, 'text/plain': ['bad'] }
          }
        ]
      },
      {
        source: 'newer',
        outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: newer, 'text/plain': ['newer'] } }]
      },
      { source: 'print("still fine")' },
      {
        source: 'placeholder',
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: { [TRACE_MIME]: { trace_id: 'gone', live: true }, 'text/plain': ['live'] }
          }
        ]
      }
    ]);
    const { page, errors } = await newPage();
    await openNotebook(page, lab, 'bad.ipynb');
    const boxes = page.locator('.tl-Error');
    await expect.poll(async () => boxes.count(), { timeout: 60_000 }).toBe(2);
    await expect(boxes.nth(0).textContent()).resolves.toMatch(/could not be read: "strings" is missing/);
    await expect(boxes.nth(1).textContent()).resolves.toMatch(
      /schema version 3.*reads version 2.*Update the extension/
    );
    await expect.poll(async () => page.locator('.jp-Cell').count()).toBe(4);
    // a live placeholder whose kernel is gone says so instead of showing an empty chart
    await expect(page.locator('.tl-Timeline .tl-Summary').first().textContent()).resolves.toMatch(
      /Waiting for the kernel.*run it again/
    );
    await boxes.first().scrollIntoViewIfNeeded();
    await screenshot(page, 'timeline-error');
    expect(ours(errors)).toEqual([]);
    await page.close();
  }, 300_000);
});

/** Run the cell at `index` and sample `probe()` in the page every 50 ms until it has finished. */
async function runCellSampling<T>(page: Page, index: number, probe: string): Promise<{ running: boolean; value: T }[]> {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  await cell.locator('.jp-InputPrompt').click();
  await page.evaluate(`(() => {
    window.__tlSamples = [];
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[${index}];
    window.__tlTimer = setInterval(() => {
      const prompt = cell.querySelector('.jp-InputPrompt')?.textContent ?? '';
      window.__tlSamples.push({ running: prompt.includes('*'), value: (${probe})(cell) });
    }, 50);
  })()`);
  const run = page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:run-cell-and-select-next"]');
  await run.click();
  // a run sent while the kernel is still connecting can be dropped: try once more if nothing started
  const started = async (): Promise<boolean> =>
    /\[(\*|\d+)\]/.test((await cell.locator('.jp-InputPrompt').textContent()) ?? '');
  await expect
    .poll(started, { timeout: 15_000 })
    .toBe(true)
    .catch(async () => {
      await cell.locator('.jp-InputPrompt').click();
      await run.click();
    });
  // the prompt shows [*] while running and [n] when done
  try {
    await expect
      .poll(async () => cell.locator('.jp-InputPrompt').textContent(), { timeout: 120_000, interval: 200 })
      .toMatch(/\[\d+\]/);
  } catch (e) {
    await screenshot(page, `debug-run-cell-${index}`);
    throw e;
  }
  return page.evaluate(`(() => { clearInterval(window.__tlTimer); return window.__tlSamples; })()`) as Promise<
    { running: boolean; value: T }[]
  >;
}

async function waitForKernelIdle(page: Page): Promise<void> {
  // the status bar shows "<kernel> | Idle" once the kernel is connected and ready
  await expect
    .poll(async () => (await page.locator('#jp-main-statusbar').textContent()) ?? '', {
      timeout: 120_000,
      interval: 250
    })
    .toMatch(/Threadline\) \| Idle/);
}

describe('settings', () => {
  it('are served from schema/plugin.json and change what a new timeline shows', async () => {
    const api = `${lab.url}/lab/api/settings/threadline:plugin`;
    const headers = { Authorization: `token ${lab.token}`, 'Content-Type': 'application/json' };
    const got = (await (await fetch(api, { headers })).json()) as { schema: { properties: Record<string, unknown> } };
    expect(Object.keys(got.schema.properties)).toEqual(
      expect.arrayContaining(['meterIntervalMs', 'busyThreshold', 'contentionWarning', 'defaultLanes', 'laneHeight'])
    );
    const put = await fetch(api, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ raw: JSON.stringify({ defaultLanes: ['tasks'], laneHeight: 24 }) })
    });
    expect(put.status).toBeLessThan(300);
    try {
      const trace = generateTrace({ spans: 500, tasks: 3, threads: 1, processes: 1, cores: 2 });
      writeNotebook(lab.dir, 'settings.ipynb', [
        {
          source: 'saved',
          outputs: [{ output_type: 'display_data', metadata: {}, data: { [TRACE_MIME]: trace, 'text/plain': ['t'] } }]
        }
      ]);
      const { page, errors } = await newPage();
      await openNotebook(page, lab, 'settings.ipynb');
      const tl = page.locator('.tl-Timeline').first();
      await tl.waitFor({ timeout: 60_000 });
      await expect.poll(async () => tl.locator('.tl-GroupToggles input:checked').count(), { timeout: 30_000 }).toBe(1);
      expect(await tl.locator('.tl-GroupToggles input[data-group="tasks"]').isChecked()).toBe(true);
      // header (18) + 3 task lanes of 24 px, plus the axis (22) and 2 px
      await expect
        .poll(async () => Math.round((await tl.locator('canvas').boundingBox())!.height))
        .toBe(22 + 18 + 3 * 24 + 2);
      expect(ours(errors)).toEqual([]);
      await page.close();
    } finally {
      await fetch(api, { method: 'PUT', headers, body: JSON.stringify({ raw: '{}' }) });
    }
  }, 180_000);
});

describe('Notebook 7', () => {
  it('renders a saved timeline in the Notebook 7 interface too', async () => {
    const trace = generateTrace({ spans: 2_000, tasks: 3, threads: 1, processes: 1, cores: 2 });
    writeNotebook(lab.dir, 'nb7.ipynb', [
      {
        source: 'saved',
        outputs: [
          {
            output_type: 'display_data',
            metadata: {},
            data: { [TRACE_MIME]: trace, 'text/plain': ['<Threadline trace>'] }
          }
        ]
      }
    ]);
    const { page, errors } = await newPage();
    await page.goto(`${lab.url}/notebooks/nb7.ipynb?token=${lab.token}`);
    const tl = page.locator('.tl-Timeline').first();
    await tl.waitFor({ timeout: 90_000 });
    await expect.poll(async () => tl.getAttribute('data-task-lanes'), { timeout: 30_000 }).toBe('3');
    await screenshot(page, 'timeline-notebook7');
    expect(ours(errors)).toEqual([]);
    await page.close();
  }, 180_000);
});

describe('live kernel (needs the probe: %%timeline and the meter comm)', () => {
  const probe = fs.readFileSync(path.join(root, 'src', 'probe', 'threadline', 'ipython.py'), 'utf8');
  const probeReady = probe.includes('threadline.trace') || probe.includes('TRACE_COMM_TARGET');

  it.runIf(probeReady)(
    'draws an asyncio cell under %%timeline while it runs, then keeps the saved timeline after reopening',
    async () => {
      writeNotebook(lab.dir, 'live.ipynb', [
        {
          source: [
            '%%timeline gather demo',
            'import asyncio, time',
            'lock = asyncio.Lock()',
            'async def worker(i):',
            '    for step in range(10):',
            '        if i == 0 and step == 2:',
            '            time.sleep(0.3)  # blocks the event loop',
            '        async with lock:',
            '            await asyncio.sleep(0.05)',
            '        await asyncio.sleep(0.25)',
            '        sum(range(20_000))',
            'await asyncio.gather(*(worker(i) for i in range(4)))'
          ].join('\n')
        }
      ]);
      const { page, errors } = await newPage();
      await openNotebook(page, lab, 'live.ipynb');
      await waitForKernelIdle(page);
      const samples = await runCellSampling<{ spans: number; live: string } | null>(
        page,
        0,
        `cell => { const t = cell.querySelector('.tl-LiveCell .tl-Timeline'); return t ? { spans: Number(t.dataset.spans || 0), live: t.dataset.live } : null; }`
      );
      const whileRunning = samples.filter(s => s.running && s.value && s.value.spans > 0).map(s => s.value!.spans);
      expect(whileRunning.length, 'the live timeline drew spans before the cell finished').toBeGreaterThan(0);
      // it grew while running: several distinct sizes were painted
      expect(new Set(whileRunning).size).toBeGreaterThan(1);
      const final = page.locator('.jp-OutputArea-output .tl-Timeline');
      await final.waitFor({ timeout: 60_000 });
      await expect.poll(async () => final.getAttribute('data-complete')).toBe('true');
      const names = JSON.parse((await final.getAttribute('data-task-names')) ?? '[]') as string[];
      expect(names.filter(n => /worker/.test(n)).length, JSON.stringify(names)).toBe(4);
      expect(await final.locator('.tl-LockTable tbody tr').count()).toBeGreaterThanOrEqual(1);
      // the blocking step is highlighted with where it happened
      await expect(final.locator('.tl-Blocks').textContent()).resolves.toMatch(/Event loop blocked at: .*:\d+/);
      await expect(final.locator('.tl-Summary').textContent()).resolves.toMatch(/loop blocked \d/);
      // the live view hands over to the saved output
      await expect.poll(async () => page.locator('.tl-LiveCell').count(), { timeout: 10_000 }).toBe(0);
      await final.scrollIntoViewIfNeeded();
      await screenshot(page, 'timeline-live-final');
      // the lock panel shows the same kernel's latest trace
      await page.locator('.jp-SideBar li[data-id="threadline-lock-panel"]').click();
      await page.locator('#threadline-lock-panel .tl-LockCard').first().waitFor({ timeout: 30_000 });
      await screenshot(page, 'lock-panel');
      await page.locator('.jp-SideBar li[data-id="threadline-lock-panel"]').click();

      // save, close, reopen: the timeline is in the notebook file
      await page.keyboard.press('Control+s');
      await expect
        .poll(
          () => {
            const nb = JSON.parse(fs.readFileSync(path.join(lab.dir, 'live.ipynb'), 'utf8')) as {
              cells: { outputs: { data?: Record<string, unknown> }[] }[];
            };
            return nb.cells[0].outputs.some(o => o.data && TRACE_MIME in o.data);
          },
          { timeout: 30_000 }
        )
        .toBe(true);
      await page.close();
      const again = await newPage();
      await openNotebook(again.page, lab, 'live.ipynb');
      const reopened = again.page.locator('.jp-OutputArea-output .tl-Timeline');
      await reopened.waitFor({ timeout: 60_000 });
      const names2 = JSON.parse((await reopened.getAttribute('data-task-names')) ?? '[]') as string[];
      expect(names2).toEqual(names);
      await reopened.scrollIntoViewIfNeeded();
      await screenshot(again.page, 'timeline-reopened');
      expect(ours([...errors, ...again.errors])).toEqual([]);
      await again.page.close();
    },
    300_000
  );

  const cores = os.availableParallelism();
  it.runIf(probeReady && cores >= 2)(
    'shows at least two busy cores in the CPU meter while a multiprocessing cell runs',
    async () => {
      fs.writeFileSync(
        path.join(lab.dir, 'burn.py'),
        'import time\n\ndef burn(seconds):\n    end = time.time() + seconds\n    n = 0\n    while time.time() < end:\n        n += 1\n    return n\n'
      );
      writeNotebook(lab.dir, 'cores.ipynb', [
        {
          source: [
            'import multiprocessing as mp',
            'import burn',
            'with mp.get_context("spawn").Pool(2) as pool:',
            '    print(sum(pool.map(burn.burn, [5, 5])) > 0)'
          ].join('\n')
        }
      ]);
      const { page, errors } = await newPage();
      await openNotebook(page, lab, 'cores.ipynb');
      await waitForKernelIdle(page);
      const meter = page.locator('.tl-CoreStatus');
      await expect.poll(async () => meter.getAttribute('data-status'), { timeout: 60_000 }).toBe('live');
      const samples = await runCellSampling<number>(
        page,
        0,
        `() => Number(document.querySelector('.tl-CoreStatus')?.dataset.busy ?? 0)`
      );
      const busy = Math.max(0, ...samples.filter(s => s.running).map(s => s.value));
      expect(busy).toBeGreaterThanOrEqual(2);
      await page.evaluate(`window.__tlSamples = null`);
      // after a kernel restart the meter opens a new comm and goes live again
      const opens = Number(await meter.getAttribute('data-opens'));
      await page.locator('.jp-NotebookPanel-toolbar [data-command="notebook:restart-kernel"]').click();
      await page.locator('.jp-Dialog .jp-mod-accept').click();
      await expect
        .poll(async () => Number(await meter.getAttribute('data-opens')), { timeout: 90_000 })
        .toBeGreaterThan(opens);
      await expect.poll(async () => meter.getAttribute('data-status'), { timeout: 90_000 }).toBe('live');
      // hiding the status bar (with the CPU panel closed) stops the meter; showing it starts it again
      const toggleStatusBar = async (): Promise<void> => {
        await page.locator('.lm-MenuBar-itemLabel', { hasText: /^View$/ }).click();
        await page.locator('.lm-Menu-itemLabel', { hasText: /^Appearance$/ }).hover();
        await page.locator('.lm-Menu-itemLabel', { hasText: /^Show Status Bar$/ }).click();
      };
      await toggleStatusBar();
      await expect.poll(async () => meter.getAttribute('data-status'), { timeout: 30_000 }).toBe('paused');
      await toggleStatusBar();
      await expect.poll(async () => meter.getAttribute('data-status'), { timeout: 60_000 }).toBe('live');
      // open the CPU panel from the status bar and look at it
      await meter.click();
      await page.locator('#threadline-cpu-panel .tl-CoreRow').first().waitFor({ timeout: 30_000 });
      await screenshot(page, 'cpu-meter');
      expect(ours(errors)).toEqual([]);
      await page.close();
    },
    300_000
  );
});
