import { mkdtempSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium with a WebGPU adapter (SwiftShader, on the CPU) in pages and workers, and no
 * background networking (the machine has no network). Never a downloaded browser.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--ignore-gpu-blocklist',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const ARTIFACTS = path.resolve('e2e/artifacts');

export async function launch(): Promise<BrowserContext> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'weightscope-e2e-')), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
}

/** Collects console errors and uncaught page errors. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** The app's state, read through the hook main.tsx exposes for automation. */
export async function appState<T>(page: Page, pick: string): Promise<T> {
  return page.evaluate((expr) => {
    const s = (window as unknown as { __weightscope: { getState(): unknown } }).__weightscope.getState();
    return new Function('s', `return ${expr}`)(s);
  }, pick) as Promise<T>;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until `expr` (over the app state `s`) is truthy. */
export async function waitForState(page: Page, expr: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    (e) =>
      new Function('s', `return ${e}`)(
        (window as unknown as { __weightscope?: { getState(): unknown } }).__weightscope?.getState(),
      ),
    expr,
    { timeout, polling: 250 },
  );
}

/**
 * Opens the app, stops the default experiment it starts on load (so the engine is free), and
 * waits for the sample models: six SIRENs and three MNIST classifiers.
 */
export async function openIdleApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForState(page, "s && s.run.status === 'training'");
  await page.getByRole('button', { name: 'Stop' }).click();
  await waitForState(page, 's.run.jobId === null');
  await waitForState(page, "s.models.filter((m) => m.source === 'sample').length === 9");
}
