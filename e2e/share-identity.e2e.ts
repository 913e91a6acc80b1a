import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { encodeExperiment, parseExperiment } from '../src/engine/experiment';
import {
  appState,
  launch,
  pathsCurves,
  screenshot,
  waitForPathsCurves,
  waitForState,
  watchErrors,
} from './browser';

let context: BrowserContext;
const base = inject('baseUrl');
/** Real checkpoints: the MNIST classifiers public/models ships, dropped under other names. */
const file = (sample: string, name: string) => ({
  name,
  mimeType: 'application/octet-stream',
  buffer: readFileSync(`public/models/${sample}.safetensors`),
});

beforeAll(async () => {
  context = await launch();
});
afterAll(async () => {
  await context?.close();
});

/**
 * Opens the app with its sample models and stops the default run it starts (however far its
 * calibration got), so the engine is free; waits on the samples, not on training.
 */
async function openIdleApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForState(page, "s && s.models.filter((m) => m.source === 'sample').length === 9", 200_000);
  await waitForState(page, 's.run.jobId !== null', 60_000);
  await page.getByRole('button', { name: 'Stop' }).click();
  // Stop is immediate, also while the backend calibration runs.
  await waitForState(page, 's.run.jobId === null', 10_000);
}

/** Confirms the import dialog for the checkpoint it shows (ReLU, as the file's metadata says). */
async function confirmDialog(page: Page, name: string): Promise<void> {
  const dialog = page.getByTestId('import-dialog');
  await expect.poll(() => dialog.textContent()).toContain(name);
  await page.getByTestId('import-confirm').click();
}

describe('share links name models by identity', () => {
  it('a shared MNIST Paths link replays the same barriers after the files are dropped in reverse order into another workspace', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await openIdleApp(page, base);
    // Two checkpoints dropped at once: each its own model, confirmed one after the other.
    await page.getByRole('tab', { name: 'Models' }).click();
    await page
      .getByTestId('checkpoint-input')
      .setInputFiles([file('mnist-mlp-1', 'clf-a.safetensors'), file('mnist-mlp-2', 'clf-b.safetensors')]);
    await confirmDialog(page, 'clf-a.safetensors');
    await confirmDialog(page, 'clf-b.safetensors');
    await waitForState(page, "s.models.filter((m) => m.group === 'dropped').length === 2");
    // The import scores each dropped classifier: the Models tab shows its accuracy.
    await waitForState(
      page,
      "s.models.filter((m) => m.group === 'dropped' && m.accuracy > 0.8).length === 2",
    );
    const quality = page.locator('tr', { hasText: 'clf-a' }).getByTestId('model-quality');
    await expect.poll(() => quality.textContent()).toMatch(/\d+\.\d% accuracy/);
    await screenshot(page, 'models-dropped-scored');

    await page.getByRole('tab', { name: 'Paths' }).click();
    const idOf = (name: string) => appState<string>(page, `s.models.find((m) => m.name === '${name}').id`);
    await page.getByTestId('paths-a').selectOption(await idOf('clf-a'));
    await page.getByTestId('paths-b').selectOption(await idOf('clf-b'));
    await page.getByRole('button', { name: 'Run paths' }).click();
    const sent = await waitForPathsCurves(page, 180_000);
    expect(sent.map((c) => c.kind)).toEqual(['lerp', 'lerp-aligned']);
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    // The link names the two files by content hash, with what their bytes cannot say.
    const spec = await appState<{ paths: { a: string; b: string } }>(page, 's.spec');
    expect(spec.paths.a).toMatch(/^file:[0-9a-f]{64}$/);
    expect(spec.paths.b).toMatch(/^file:[0-9a-f]{64}$/);
    expect(errors).toEqual([]);
    await page.close();

    // The receiver already holds other models: the samples, and a third classifier it dropped.
    const other = await context.newPage();
    await openIdleApp(other, base);
    await other.getByRole('tab', { name: 'Models' }).click();
    await other.getByTestId('checkpoint-input').setInputFiles(file('mnist-mlp-3', 'mine.safetensors'));
    await confirmDialog(other, 'mine.safetensors');
    await waitForState(other, "s.models.some((m) => m.name === 'mine')");
    const before = await appState<number>(other, 's.models.length');
    await other.evaluate((hash) => (location.hash = hash), new URL(url).hash);
    const banner = other.getByTestId('banner');
    await expect.poll(() => banner.textContent()).toMatch(/Drop them on the page/);
    const text = (await banner.textContent())!;
    expect(text).toContain('clf-a.safetensors');
    expect(text).toContain('clf-b.safetensors');
    expect(text).not.toContain('mine');
    await screenshot(other, 'share-asks-for-files');
    // Nothing ran on the models that were already there.
    expect((await pathsCurves(other)).length).toBe(0);
    // B first, then A; the link carries their activation, so no dialog asks.
    await other.getByTestId('banner-files').setInputFiles(file('mnist-mlp-2', 'clf-b.safetensors'));
    await waitForState(other, `s.models.length === ${before + 1}`);
    expect((await pathsCurves(other)).length).toBe(0);
    // The request now names only the file still missing.
    await expect
      .poll(() =>
        other
          .getByTestId('banner-item')
          .filter({ has: other.getByTestId('banner-files') })
          .textContent(),
      )
      .toMatch(/uses a checkpoint that.*clf-a\.safetensors[^;]*$/);
    await other.getByTestId('banner-files').setInputFiles(file('mnist-mlp-1', 'clf-a.safetensors'));
    const got = await waitForPathsCurves(other, 180_000);
    expect(await other.getByTestId('import-dialog').count()).toBe(0);
    expect(got.map((c) => c.kind)).toEqual(sent.map((c) => c.kind));
    got.forEach((c, i) => {
      expect(Math.abs(c.barrier - sent[i]!.barrier)).toBeLessThan(1e-6);
      c.losses.forEach((l, j) => expect(Math.abs(l - sent[i]!.losses[j]!)).toBeLessThan(1e-6));
    });
    // Replay only what the sender ran: no training started.
    expect(await appState<string>(other, 's.run.status')).not.toBe('training');
    await screenshot(other, 'share-replayed-by-identity');
    await other.close();
  });

  it('a link above the cost threshold says what it will run and starts nothing until asked', async () => {
    const page = await context.newPage();
    await openIdleApp(page, base);
    const huge = parseExperiment({
      version: 3,
      data: { size: 128 },
      arch: { hidden: [256, 256, 256, 256, 256] },
      population: { size: 64 },
      training: { steps: 100000 },
    });
    await page.evaluate((hash) => (location.hash = hash), encodeExperiment(huge));
    const dialog = page.getByTestId('link-confirm');
    await expect.poll(() => dialog.textContent()).toContain('train 64 models');
    expect(await dialog.textContent()).toMatch(/PFLOP|TFLOP/);
    await screenshot(page, 'link-cost-confirm');
    expect(await appState<number | null>(page, 's.run.jobId')).toBeNull();
    await page.getByTestId('link-decline').click();
    expect(await dialog.count()).toBe(0);
    expect(await appState<number>(page, 's.spec.population.size')).toBe(64);
    expect(await appState<number | null>(page, 's.run.jobId')).toBeNull();
    await page.close();
  });
});
