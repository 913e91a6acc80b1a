/**
 * The production build, served as people get it (`weightscope open`: minified, cross-origin
 * isolated, with the Content-Security-Policy): training — on tfjs-wasm's *threaded* build where
 * a C compiler can fake the core count — alignment with its plots, and a shared link all work,
 * and no CSP violation is reported by the page or its workers.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultExperiment } from '../src/engine/experiment/schema';
import { encodeExperiment } from '../src/engine/experiment/url';
import { launch, screenshot } from './browser';
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
  context = await launch(env ? { env, enforceCsp: true } : { enforceCsp: true });
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
    // A link to a small experiment on wasm: it trains at once, with no backend calibration.
    const spec = defaultExperiment();
    spec.backend = 'wasm';
    spec.data.size = 16;
    spec.arch.hidden = [16, 16];
    spec.population.size = 2;
    spec.training.steps = 30;
    const { page, console } = await open(served.url + encodeExperiment(spec));
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
    // The link's view is Align over two sample models, so replaying it re-runs that alignment
    // (not the population, which the view does not use).
    await until(
      other.page,
      (x) => x.models.some((m) => m.source === 'aligned'),
      'the shared link to replay its alignment',
    );
    await other.page.getByTestId('align-table').locator('tbody tr').first().waitFor({ timeout: 60_000 });
    await screenshot(other.page, 'csp-shared-link');

    // A 3-D cloud map: plotly's gl3d bundle (a chunk of its own) under the same policy.
    await page.getByRole('tab', { name: 'Cloud' }).click();
    await page.getByTestId('cloud-3d').check();
    await page.getByTestId('cloud-run').click();
    await page
      .locator('[data-testid="cloud-scatter-raw-0"] .gl-container canvas')
      .first()
      .waitFor({ timeout: 90_000 });
    await screenshot(page, 'csp-cloud-3d');

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
