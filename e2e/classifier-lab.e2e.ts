/**
 * The Classifier lab in the real app and worker: a population of 4 tiny MNIST classifiers trains
 * with one live curve per model and joins the workspace; the barrier-vs-width preset runs at a
 * tiny size with its figure beside the paper's claim; Share → a new page replays the same numbers.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { appState, launchIdleApp, plotTraces, screenshot, waitForState, watchErrors } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

async function fill(p: Page, testId: string, value: string): Promise<void> {
  const input = p.getByTestId(testId);
  await input.fill(value);
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('false');
}

/** Lines drawn in a plotly chart, once plotly has drawn it (it loads on a chart's first use). */
const traces = async (p: Page, testId: string): Promise<number> => {
  await plotTraces(p, testId);
  return p.locator(`[data-testid="${testId}"] .scatterlayer .trace`).count();
};

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

describe('Classifier lab', () => {
  it('trains 4 classifiers with a live curve each; they join the workspace', async () => {
    await page.getByRole('tab', { name: 'Classifiers' }).click();
    await fill(page, 'cls-hidden', '16');
    await fill(page, 'cls-epochs', '2');
    await fill(page, 'cls-batch', '256');
    await fill(page, 'cls-population', '4');
    const before = await appState<number>(page, 's.models.length');
    await page.getByTestId('cls-train').click();
    await page.waitForSelector('[data-testid="cls-curves"][data-epochs="2"]', { timeout: 180_000 });
    await waitForState(page, `s.models.length === ${before + 4}`);
    const added = await appState<{ name: string; accuracy: number; arch: { widths: number[] } }[]>(
      page,
      `s.models.slice(${before})`,
    );
    for (const m of added) {
      expect(m.arch.widths).toEqual([784, 16, 10]);
      expect(m.accuracy).toBeGreaterThan(0.5);
    }
    expect(await traces(page, 'cls-loss-chart')).toBe(4);
    expect(await traces(page, 'cls-acc-chart')).toBe(4);
    await expect.poll(() => page.getByTestId('cls-curves').textContent()).toMatch(/4 classifiers joined/);
    // Trained on the fused kernel (tfjs would name itself and the reason in the badge).
    expect(await page.getByTestId('cls-kernel').getAttribute('title')).toMatch(
      /^fused wasm (relaxed|simd) × 1 worker$/,
    );
    await screenshot(page, 'classifier-train');
  });

  it('runs the barrier-vs-width preset at a tiny size, then a shared link replays it', async () => {
    await fill(page, 'preset-epochs', '1');
    await fill(page, 'preset-widths', '16, 32');
    await page.getByTestId('preset-run-widths').click();
    await page.waitForSelector('[data-testid="preset-result"][data-preset="widths"]', { timeout: 180_000 });
    const summary = await page.getByTestId('preset-result').getAttribute('data-summary');
    const points = JSON.parse(summary!) as { width: number; naiveBarrier: number; alignedBarrier: number }[];
    expect(points.map((p) => p.width)).toEqual([16, 32]);
    for (const p of points) expect(p.alignedBarrier).toBeLessThan(p.naiveBarrier);
    expect(await traces(page, 'preset-width-chart')).toBe(2);
    const text = await page.getByTestId('preset-result').textContent();
    expect(text).toMatch(/What the paper reported/);
    expect(text).toMatch(/Wider models exhibit better linear mode connectivity/);
    await screenshot(page, 'classifier-preset-widths');

    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    const other = await context.newPage();
    const otherErrors = watchErrors(other);
    await other.goto(url);
    await other.waitForSelector('[data-testid="preset-result"][data-preset="widths"]', { timeout: 180_000 });
    expect(await other.getByTestId('preset-result').getAttribute('data-summary')).toBe(summary);
    await screenshot(other, 'classifier-preset-replayed');
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  });
});
