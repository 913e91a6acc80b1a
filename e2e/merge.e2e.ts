/**
 * The Merge tab end to end: TIES of two sample MNIST classifiers on a third as base, after weight
 * matching; the score table equals the engine's numbers in Node; the λ sweep plots; the form
 * refuses a bad density with the reason; a shared link replays to the same numbers in a new page.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { inferArchitecture, readCheckpoint, toModel } from '../src/engine/checkpoints';
import { classificationFor } from '../src/engine/data/dataset';
import { mnistSplit } from '../src/engine/data/mnist';
import { recipeId, type MergeRecipe } from '../src/engine/merge';
import type { Model } from '../src/engine/model';
import { runMergeRecipe } from '../src/engine/tf/merge-run';
import { packMnist } from '../scripts/mnist';
import { launchIdleApp, mergeTable, openShareLink, screenshot, waitForState } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

function sample(id: string): Model {
  const c = readCheckpoint([
    { name: `${id}.safetensors`, bytes: new Uint8Array(readFileSync(`public/models/${id}.safetensors`)) },
  ]);
  return toModel(c, inferArchitecture(c), { activation: 'relu' });
}

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
  // A replayed link trains its experiment first: keep that tiny.
  await page.getByTestId('backend').selectOption('wasm');
  await page.getByTestId('size').fill('16');
  await page.getByTestId('pop-size').fill('1');
  await page.getByTestId('steps').fill('10');
});
afterAll(async () => {
  await context?.close();
});

describe('the Merge tab', () => {
  it('merges two MNIST classifiers with TIES after alignment; the table matches the engine; λ sweep; share replays', async () => {
    await page.getByRole('tab', { name: 'Merge' }).click();
    await page.getByTestId('merge-method').selectOption('ties');
    await page.getByTestId('merge-base').selectOption('sample:mnist-mlp-1');
    await page.locator('[data-identity="sample:mnist-mlp-2"]').check();
    await page.locator('[data-identity="sample:mnist-mlp-3"]').check();

    // A bad density is refused in the form, with the engine's reason.
    await page.getByTestId('merge-density').fill('1.5');
    await expect
      .poll(() => page.getByTestId('merge-problem').textContent())
      .toContain('density = 1.5 is outside (0, 1]');
    expect(await page.getByTestId('merge-run').isDisabled()).toBe(true);
    await page.getByTestId('merge-density').fill('0.5');
    await expect.poll(() => page.getByTestId('merge-problem').count()).toBe(0);

    await page.getByTestId('merge-run').click();
    await page.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 120_000,
    });
    const rows = await mergeTable(page);
    expect(rows.map((r) => r[0])).toEqual(['base', 'input', 'input', 'merge']);

    // The same recipe in Node: the merge's cross-entropy and accuracy agree with the page.
    const ids = ['sample:mnist-mlp-1', 'sample:mnist-mlp-2', 'sample:mnist-mlp-3'];
    const recipe: MergeRecipe = {
      method: 'ties',
      base: ids[0]!,
      models: [ids[1]!, ids[2]!],
      params: { density: 0.5 },
      align: { matching: 'weight', reference: ids[0]!, seed: 0 },
      repair: false,
    };
    const models = new Map(ids.map((id) => [id, sample(id.slice('sample:'.length))]));
    const data = classificationFor(mnistSplit(packMnist(), 'score'), 'MNIST', 784, 10);
    const node = await runMergeRecipe(recipe, models, data, recipeId(recipe));
    node.scores.forEach((s, i) => {
      expect(Number(rows[i]![2])).toBeCloseTo(s.loss, 4);
      expect(rows[i]![3]).toBe(`${(100 * s.metric).toFixed(1)}%`);
    });
    // the merged model joined the workspace, named by its recipe
    await waitForState(
      page,
      "s.models.some((m) => m.source === 'merge' && m.name.startsWith('ties (density 0.5) of mnist mlp #2'))",
    );

    await page.getByTestId('merge-sweep').click();
    await page.waitForSelector('[data-testid="merge-sweep-plot"].js-plotly-plot', { timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="merge-progress"]'), null, {
      timeout: 120_000,
    });
    const title = await page.locator('[data-testid="merge-sweep-plot"] .gtitle').textContent();
    expect(title).toContain('Merge score against λ');
    await screenshot(page, 'merge-ties-mnist');

    const { other, otherErrors } = await openShareLink(page);
    await other.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 240_000,
    });
    expect(await mergeTable(other)).toEqual(rows);
    await other.waitForSelector('[data-testid="merge-sweep-plot"].js-plotly-plot', { timeout: 240_000 });
    await other.waitForFunction(() => !document.querySelector('[data-testid="merge-progress"]'), null, {
      timeout: 120_000,
    });
    await screenshot(other, 'merge-replayed');
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  }, 600_000);

  it('slerps two sample SIRENs after alignment with REPAIR: PSNR and the reconstruction', async () => {
    await page.getByTestId('merge-method').selectOption('slerp');
    await page.getByTestId('merge-base').selectOption('');
    for (const id of ['sample:mnist-mlp-2', 'sample:mnist-mlp-3'])
      await page.locator(`[data-identity="${id}"]`).uncheck();
    await page.locator('[data-identity="sample:rings-independent-1"]').check();
    await page.locator('[data-identity="sample:rings-independent-2"]').check();
    await page.getByTestId('merge-repair').check();
    await page.getByTestId('merge-run').click();
    await page.waitForSelector('[data-testid="merge-name"]:has-text("slerp of rings independent #1")', {
      timeout: 120_000,
    });
    const rows = await mergeTable(page);
    expect(rows.map((r) => r[0])).toEqual(['input', 'input', 'merge']);
    for (const r of rows) expect(r[3]).toMatch(/^\d+\.\d\d dB$/);
    expect(await page.getByTestId('merge-reconstruction').count()).toBe(1);
    await screenshot(page, 'merge-slerp-sirens');
    expect(errors).toEqual([]);
  }, 300_000);

  it('Paths: "lerp after alignment + REPAIR" sits beside the aligned lerp on one plot', async () => {
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('preset-mnist').click();
    const rows = page.getByTestId('paths-barriers').locator('tr[data-kind]');
    await expect.poll(() => rows.count(), { timeout: 180_000 }).toBe(2);
    await page.waitForFunction(() => !document.querySelector('[data-testid="paths-progress"]'), null, {
      timeout: 180_000,
    });
    await page.locator('[data-testid="paths-kinds"] input[data-kind="lerp-repair"]').check();
    await page.getByRole('button', { name: 'Run paths' }).click();
    await expect.poll(() => rows.count(), { timeout: 180_000 }).toBe(3);
    const barrier = async (k: string) =>
      Number(
        await page
          .locator(`[data-testid="paths-barriers"] tr[data-kind="${k}"]`)
          .getAttribute('data-barrier'),
      );
    // REPAIR changes the interior of the aligned path (its endpoints are the same models)
    expect(await barrier('lerp-repair')).not.toBeCloseTo(await barrier('lerp-aligned'), 6);
    await screenshot(page, 'paths-lerp-repair');
    expect(errors).toEqual([]);
  }, 300_000);
});
