/**
 * The grading toolbar in a real JupyterLab driven by Debian's Chromium: Check in a learner's
 * notebook (per-exercise results and score badge), Validate and Student preview in an instructor
 * source. Screenshots go to test-artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_START_TIMEOUT_MS } from '../../bench/_serverProcess.js';
import { collectErrors, launchBrowser, openNotebook, screenshot, startLab, type Lab } from '../e2e/labHarness.js';
import { courseDir, CORRECT, sourcePath, submission } from './helpers.js';

let lab: Lab;
let browser: Browser;

beforeAll(async () => {
  lab = await startLab();
  fs.copyFileSync(path.join(courseDir, 'helper.py'), path.join(lab.dir, 'helper.py'));
  fs.copyFileSync(sourcePath, path.join(lab.dir, 'source-tiny.ipynb'));
  // a learner who solved the first exercise only
  fs.writeFileSync(path.join(lab.dir, 'tiny.ipynb'), JSON.stringify(submission(() => {}, { double: CORRECT.double! })));
  browser = await launchBrowser();
}, SERVER_START_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

const item = (page: Page, name: string) =>
  page.locator(`.jp-NotebookPanel:not(.lm-mod-hidden) [data-jp-item-name="${name}"]`).first();

async function runAll(page: Page): Promise<void> {
  await page.locator('.jp-Notebook').first().click();
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
  // idle again once every cell ran
  await page.waitForFunction(
    () =>
      document.querySelectorAll('.jp-InputArea-prompt').length > 0 &&
      ![...document.querySelectorAll('.jp-InputArea-prompt')].some(p => p.textContent?.includes('[*]')),
    undefined,
    { timeout: 120_000 }
  );
}

describe('grading toolbar', () => {
  it('Check shows ✓/✗, points and messages per exercise and a score badge; instructor buttons stay hidden', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors = collectErrors(page);
    await openNotebook(page, lab, 'tiny.ipynb');
    // the kernel is up (running cells before that asks which kernel to start)
    await page
      .getByText(/Python 3 \(Threadline\) \| Idle/)
      .first()
      .waitFor({ timeout: 90_000 });
    await runAll(page);
    await expect(item(page, 'threadline-check').isVisible()).resolves.toBe(true);
    await expect(item(page, 'threadline-validate').isVisible()).resolves.toBe(false);
    await expect(item(page, 'threadline-student-preview').isVisible()).resolves.toBe(false);
    const dialog = await page.locator('.jp-Dialog').allTextContents();
    expect(dialog, 'no dialog in the way').toEqual([]);
    await item(page, 'threadline-check').locator('button').click();
    await page.waitForFunction(
      () => document.querySelector('.tl-ScoreBadge')?.textContent?.startsWith('Score'),
      undefined,
      { timeout: 120_000 }
    );
    const badge = await page.locator('.tl-ScoreBadge').first().textContent();
    expect(badge).toBe('Score 1 / 7');
    const lines = await page.locator('.tl-CheckResult').allTextContents();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^✓ test_double: 1 \/ 1 points/);
    expect(lines[1]).toMatch(/^✗ test_gather: 0 \/ 2 points — NotImplementedError/);
    expect(lines[2]).toMatch(/^✗ test_count: 0 \/ 3 points/);
    await page.locator('.tl-CheckResult').nth(1).scrollIntoViewIfNeeded();
    await screenshot(page, 'grading-check');
    expect(errors.filter(e => /threadline|tl-/i.test(e))).toEqual([]);
    await page.close();
  }, 300_000);

  it('Validate runs an instructor source to full marks; Student preview hides solutions and hidden tests', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await openNotebook(page, lab, 'source-tiny.ipynb');
    await page.waitForFunction(
      () =>
        document.querySelector(
          '.jp-NotebookPanel:not(.lm-mod-hidden) [data-jp-item-name="threadline-validate"]:not(.lm-mod-hidden)'
        ) !== null,
      undefined,
      {
        timeout: 60_000
      }
    );
    await item(page, 'threadline-validate').locator('button').click();
    await page.waitForFunction(
      () => document.querySelector('.tl-ScoreBadge')?.textContent?.startsWith('Score'),
      undefined,
      { timeout: 180_000 }
    );
    expect(await page.locator('.tl-ScoreBadge').first().textContent()).toBe('Score 7 / 7');
    expect(await page.locator('.tl-CheckResult-failed').count()).toBe(0);
    await screenshot(page, 'grading-validate');

    await item(page, 'threadline-student-preview').locator('button').click();
    const preview = page.locator('.tl-StudentPreview');
    await preview.waitFor({ timeout: 30_000 });
    const text = (await preview.textContent()) ?? '';
    expect(text).toContain('raise NotImplementedError()');
    expect(text).toContain('YOUR ANSWER HERE');
    expect(text).not.toContain('double(-3)');
    expect(text).not.toContain('return 2 * x');
    await screenshot(page, 'grading-student-preview');
    await page.close();
  }, 300_000);
});
