/**
 * A real JupyterLab from .venv on 127.0.0.1 (token, temp notebook and settings dirs) and Debian's
 * Chromium through playwright-core, for the extension's end-to-end tests.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startJupyterServer } from '../../bench/_jupyterServer.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = path.join(root, 'test-artifacts');

export interface Lab {
  url: string;
  token: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts JupyterLab. By default the development one (.venv, with the course's kernel spec on
 * JUPYTER_PATH); with `prefix`, the JupyterLab of that Python environment exactly as installed there.
 */
export async function startLab(options: { prefix?: string } = {}): Promise<Lab> {
  const prefix = options.prefix ?? path.join(root, '.venv');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-e2e-'));
  const nbDir = path.join(dir, 'notebooks');
  fs.mkdirSync(nbDir);
  const token = randomBytes(16).toString('hex');

  // no "get notified about Jupyter news?" toast over the screenshots
  const notification = path.join(dir, 'settings', '@jupyterlab', 'apputils-extension');
  fs.mkdirSync(notification, { recursive: true });
  fs.writeFileSync(
    path.join(notification, 'notification.jupyterlab-settings'),
    JSON.stringify({ fetchNews: 'false', checkForUpdates: false })
  );
  const env = {
    ...process.env,
    PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    JUPYTERLAB_SETTINGS_DIR: path.join(dir, 'settings'),
    JUPYTERLAB_WORKSPACES_DIR: path.join(dir, 'workspaces'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
    JUPYTER_CONFIG_DIR: path.join(dir, 'config'),
    // the course's kernel: the probe is loaded with --ext threadline
    ...(options.prefix ? {} : { JUPYTER_PATH: path.join(root, '.venv', 'share', 'jupyter') })
  };
  const server = await startJupyterServer({
    app: 'lab',
    prefix,
    token,
    rootDir: nbDir,
    env,
    // stop by itself if a test run is killed
    idleSeconds: 900,
    args: [
      '--MultiKernelManager.default_kernel_name=threadline',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      '--MappingKernelManager.cull_idle_timeout=900'
    ]
  }).catch(error => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: server.url.replace(/\/$/, ''),
    token,
    dir: nbDir,
    async stop() {
      const log = server.output();
      await server.stop();
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(path.join(artifacts, 'e2e-jupyterlab.log'), log);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--headless'
    ]
  });
}

/** Console errors and uncaught exceptions of a page, for asserting there are none of ours. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', msg => {
    if (msg.type() === 'error') errors.push(`${msg.text()} (at ${msg.location().url || 'unknown'})`);
  });
  page.on('pageerror', err => errors.push(`${err.name}: ${err.message}\n${err.stack ?? ''}`));
  return errors;
}

export function writeNotebook(dir: string, name: string, cells: { source: string; outputs?: unknown[] }[]): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'threadline', display_name: 'Python 3 (Threadline)', language: 'python' },
      language_info: { name: 'python' }
    },
    cells: cells.map((c, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      metadata: {},
      execution_count: c.outputs?.length ? i + 1 : null,
      source: c.source,
      outputs: c.outputs ?? []
    }))
  };
  fs.writeFileSync(path.join(dir, name), JSON.stringify(nb));
}

export async function openNotebook(page: Page, lab: Lab, name: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${encodeURIComponent(name)}?token=${lab.token}&reset`);
  await page.waitForSelector('.jp-NotebookPanel', { timeout: 90_000 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
