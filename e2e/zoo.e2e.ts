/**
 * The Zoo tab in the real app and worker: build a tiny MNIST-INR zoo, see its grid, map its
 * cloud, train mlp and np side by side (both accuracy curves, the invariance check: np
 * invariant, mlp not), and download the zoo, which opens again through the engine's reader.
 * Then a tiny zoo of MNIST classifiers labelled by task: paused (no progress while paused) and
 * resumed, its input-weight maps, and the accuracy curves growing while a method trains.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readZoo } from '../src/engine/zoo/index';
import { ARTIFACTS, idlePage, launch, plotTraces, screenshot } from './browser';

let context: BrowserContext;
const base = inject('baseUrl');

beforeAll(async () => {
  context = await launch();
});
afterAll(async () => {
  await context?.close();
});

async function fill(page: Page, testId: string, value: string): Promise<void> {
  const input = page.getByTestId(testId);
  await input.fill(value);
  await expect(input.getAttribute('aria-invalid')).resolves.toBe('false');
}

/** Traces of the plotly chart under a test id (once drawn). */
async function traces(page: Page, testId: string): Promise<{ name?: string; y?: number[] }[]> {
  return (await plotTraces<{ name?: string; y?: ArrayLike<number> }>(page, testId)).map((t) => ({
    name: t.name,
    y: t.y ? Array.from(t.y) : undefined,
  }));
}

describe('Zoo tab', () => {
  it('builds a tiny zoo, shows it, trains mlp and np, checks invariance, downloads it', async () => {
    const { page, errors } = await idlePage(context, base);
    await page.getByRole('tab', { name: 'Zoo' }).click();

    // The seeds source swaps the digit fields for a member count.
    await page.getByTestId('zoo-source-image').check();
    await page.getByTestId('zoo-count').waitFor();
    await page.getByTestId('zoo-source-mnist').check();

    // 2 digits × 5 INRs, 8×8 grid, 2→8→8→1: seconds even on the software WebGPU adapter.
    await fill(page, 'zoo-per-class', '5');
    await fill(page, 'zoo-classes', '0,1');
    await fill(page, 'zoo-size', '8');
    await fill(page, 'zoo-hidden', '8,8');
    await fill(page, 'zoo-steps', '40');
    await fill(page, 'zoo-stop-db', '25');
    await page.getByTestId('zoo-build').click();
    await page.getByTestId('zoo-grid').waitFor({ timeout: 120_000 });
    await expect(page.locator('[data-testid="zoo-grid"] canvas').count()).resolves.toBe(10);
    await expect(page.getByTestId('zoo-summary').textContent()).resolves.toMatch(
      /10 INRs, SIREN 2→8×2→1.*labels 0×5, 1×5/,
    );
    await page.getByTestId('zoo-psnr').waitFor();

    await page.getByTestId('zoo-cloud').click();
    await page.getByTestId('zoo-cloud-aligned').waitFor({ timeout: 60_000 });
    expect((await traces(page, 'zoo-cloud-raw')).map((t) => t.name)).toEqual(['0', '1']);

    await fill(page, 'zoo-epochs', '3');
    await page.getByTestId('zoo-train').click();
    await page.locator('[data-testid="zoo-invariance"] tr[data-method="np"]').waitFor({ timeout: 120_000 });
    // The finished curves replace the live "training…" ones a draw after the table appears.
    await expect
      .poll(async () => (await traces(page, 'zoo-accuracy')).map((t) => t.name), { timeout: 30_000 })
      .toEqual(['mlp', 'np']);
    const curves = await traces(page, 'zoo-accuracy');
    for (const c of curves) expect(c.y).toHaveLength(3);
    const npRow = await page.locator('tr[data-method="np"] td').nth(3).textContent();
    const mlpRow = await page.locator('tr[data-method="mlp"] td').nth(3).textContent();
    expect(npRow).toContain('(invariant)');
    expect(mlpRow).not.toContain('(invariant)');
    await page.getByTestId('zoo-confusion').waitFor();
    await screenshot(page, 'zoo-tab');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('zoo-download-npz').click(),
    ]);
    const file = path.join(ARTIFACTS, 'zoo-download.npz');
    await download.saveAs(file);
    const zoo = readZoo({ name: 'zoo-download.npz', bytes: new Uint8Array(readFileSync(file)) });
    expect(zoo.n).toBe(10);
    expect(zoo.arch).toEqual({ widths: [2, 8, 8, 1], activation: 'sine', w0: 30 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('builds a classifier zoo by task with pause and resume; the curves grow while np trains', async () => {
    const { page, errors } = await idlePage(context, base);
    await page.getByRole('tab', { name: 'Zoo' }).click();
    await page.getByTestId('zoo-source-classifiers').check();
    // 2 tasks × 4 classifiers 196→8→10, 800 digits per class, 60 epochs: a second or two on the
    // fused kernel, so that the Pause below reaches the worker while it trains.
    await fill(page, 'zoo-tasks', '0,1;2,3');
    await fill(page, 'zoo-per-label', '4');
    await fill(page, 'zoo-cls-size', '14');
    await fill(page, 'zoo-cls-hidden', '8');
    await fill(page, 'zoo-digits', '800');
    await fill(page, 'zoo-cls-epochs', '60');
    await page.getByTestId('zoo-build').click();
    const progress = page.locator('[data-testid="zoo-progress"] .progress-text');
    // Pause at once (a Pause pressed while the app still loads MNIST holds the worker's request
    // from its start).
    await page.getByTestId('zoo-pause').click();
    await expect(page.getByTestId('zoo-pause').textContent()).resolves.toBe('Resume');
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/^paused/);
    const held = await progress.textContent();
    await page.waitForTimeout(1500);
    await expect(progress.textContent()).resolves.toBe(held);
    expect(await page.getByTestId('zoo-grid').count()).toBe(0);
    await page.getByTestId('zoo-pause').click();
    await page.getByTestId('zoo-grid').waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('zoo-summary').textContent()).resolves.toMatch(
      /8 classifiers, .*labels 0-1×4, 2-3×4.*labelled by task/,
    );
    await expect(page.locator('[data-testid="zoo-grid"] canvas').count()).resolves.toBe(8);
    await page.getByTestId('zoo-member-accuracy').waitFor();

    // Enough epochs that np's curve is seen growing (a few seconds of training).
    await fill(page, 'zoo-epochs', '40');
    await page.getByTestId('zoo-train').click();
    // While np trains, its curve is in the plot (dotted, "training…") before its row is in the table.
    await page
      .waitForFunction(
        () => {
          const el = document.querySelector('[data-testid="zoo-accuracy"]') as
            (HTMLElement & { data?: { name?: string; y?: number[] }[] }) | null;
          return (el?.data ?? []).some((t) => t.name === 'np (training…)' && (t.y?.length ?? 0) >= 1);
        },
        null,
        { timeout: 120_000, polling: 50 },
      )
      .catch(async (e) => {
        await screenshot(page, 'zoo-classifiers-timeout');
        console.log(
          await page
            .getByTestId('zoo-progress')
            .textContent()
            .catch(() => 'no progress row'),
        );
        throw e;
      });
    const live = await traces(page, 'zoo-accuracy');
    expect(live.map((t) => t.name)).toEqual(['mlp', 'np (training…)']);
    expect(live[1]!.y!.length).toBeLessThan(40);
    await screenshot(page, 'zoo-classifiers-live');
    await page
      .locator('[data-testid="zoo-invariance"] tr[data-method="np"] button')
      .waitFor({ timeout: 120_000 });
    const done = await traces(page, 'zoo-accuracy');
    expect(done.map((t) => t.name)).toEqual(['mlp', 'np']);
    for (const c of done) expect(c.y).toHaveLength(40);
    await expect(page.locator('tr[data-method="np"] td').nth(3).textContent()).resolves.toContain(
      '(invariant)',
    );
    await screenshot(page, 'zoo-classifiers');
    expect(errors).toEqual([]);
    await page.close();
  });
});
