/**
 * The production build, served as people get it (`weightscope open`: minified, cross-origin
 * isolated, with the Content-Security-Policy): training — on tfjs-wasm's *threaded* build where
 * a C compiler can fake the core count — alignment with its plots, and a shared link all work,
 * and no CSP violation is reported by the page or its workers.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, screenshot } from './browser';
import {
  buildApp,
  documentViolations,
  fakeCoresEnv,
  recordViolations,
  serve,
  until,
  type Served,
} from './served';

let served: Served;
let context: BrowserContext;
let threaded = false;
const pthreadRequests: string[] = [];

beforeAll(async () => {
  await buildApp();
  served = await serve([]);
  const env = fakeCoresEnv(6);
  threaded = env !== null;
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'ws-csp-')), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    ...(env ? { env } : {}),
  });
  context.on('request', (r) => {
    if (/tfjs-pthread-|threaded-simd/.test(r.url())) pthreadRequests.push(new URL(r.url()).pathname);
  });
}, 180_000);
afterAll(async () => {
  await context?.close();
  served?.stop();
});

async function open(url: string): Promise<{ page: Page; console: string[] }> {
  const page = await context.newPage();
  const console = await recordViolations(page);
  page.on('pageerror', (e) => console.push(`pageerror: ${String(e)}`));
  await page.goto(url);
  return { page, console };
}

describe('the production build under its CSP', () => {
  it('trains (threaded wasm), aligns with plots, and replays a shared link, with no violation', async () => {
    const { page, console } = await open(served.url);
    // The default experiment starts training on load; stop it and train small on wasm.
    await until(page, (s) => s.status === 'training', 'the default experiment to train');
    await page.getByRole('button', { name: 'Stop' }).click();
    await until(page, (s) => s.status !== 'training', 'training to stop');
    await page.getByTestId('backend').selectOption('wasm');
    await page.getByTestId('size').fill('16');
    await page.getByTestId('hidden').fill('16, 16');
    await page.getByTestId('pop-size').fill('2');
    await page.getByTestId('steps').fill('30');
    await page.getByTestId('train').click();
    const trained = await until(page, (s) => s.status === 'done' && s.step >= 30, 'wasm training to finish');
    expect(trained.backend).toBe('wasm');
    if (threaded) {
      // The pthread scripts are real files of the build, not blobs of minified code.
      expect(pthreadRequests.some((p) => /\/assets\/tfjs-pthread-main-[0-9a-f]{8}\.js$/.test(p))).toBe(true);
      expect(pthreadRequests.some((p) => /\/assets\/tfjs-pthread-worker-[0-9a-f]{8}\.js$/.test(p))).toBe(
        true,
      );
    } else process.stderr.write('csp-build: no C compiler, so the threaded wasm path was not exercised\n');

    // Alignment of two sample models, with its heatmaps (plotly) drawn.
    const s = await until(page, (x) => x.models.filter((m) => m.source === 'sample').length >= 2, 'samples');
    const [first, second] = s.models.filter((m) => m.source === 'sample');
    await page.getByRole('tab', { name: 'Align' }).click();
    await page.getByTestId('align-reference').selectOption(first!.id);
    await page.locator(`[data-testid="align-models"] input[data-model-id="${second!.id}"]`).check();
    await page.getByTestId('align-weight').check();
    await page.getByTestId('align-run').click();
    const row = page.getByTestId('align-table').locator('tbody tr').first();
    await row.waitFor({ timeout: 90_000 });
    expect(await row.getAttribute('data-proof')).toBe('ok');
    await page.locator('[data-testid="align-heatmap-after"] .main-svg').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'csp-align');

    // A shared link replays in a fresh page under the same policy.
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#x=[A-Za-z0-9_-]+$/);
    const other = await open(url);
    await until(other.page, (x) => x.status === 'done' && x.step >= 30, 'the shared link to replay');
    await screenshot(other.page, 'csp-shared-link');

    for (const p of [page, other.page]) expect(await documentViolations(p)).toEqual([]);
    expect([...console, ...other.console]).toEqual([]);
    // The listener is live: an inline script (which the policy forbids) is refused and reported.
    // (Code evaluated through DevTools, as page.evaluate is, is exempt from CSP: inject a tag.)
    await page.evaluate(() => {
      const el = document.createElement('script');
      el.textContent = 'window.__inlineRan = true';
      document.body.append(el);
    });
    expect(
      await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan),
    ).toBeUndefined();
    await expect.poll(() => documentViolations(page)).toEqual([expect.stringContaining('script-src')]);
    await other.page.close();
    await page.close();
  }, 400_000);
});
