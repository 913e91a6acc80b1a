import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { initNodeBackend } from '../src/cli/tf-node';
import { alignModels } from '../src/engine/align';
import { inferArchitecture, readCheckpoint, toModel } from '../src/engine/checkpoints';
import { classificationFor } from '../src/engine/data/dataset';
import { mnistSplit } from '../src/engine/data/mnist';
import type { Model } from '../src/engine/model';
import { pathCurve, type PathCurve } from '../src/engine/paths/barrier';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { interpolateModels } from '../src/engine/paths/interpolate';
import { packMnist } from '../scripts/mnist';
import { appState, launchIdleApp, screenshot, waitForState, watchErrors } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');
const fixture = (path: string) => readFileSync(`tests/fixtures/${path}`);

const waitFor = (expr: string, timeout?: number): Promise<void> => waitForState(page, expr, timeout);

/** A sample classifier from public/models, read as the app reads it (activation from its metadata). */
function sample(id: string): Model {
  const c = readCheckpoint([
    { name: `${id}.safetensors`, bytes: new Uint8Array(readFileSync(`public/models/${id}.safetensors`)) },
  ]);
  return toModel(c, inferArchitecture(c), { activation: 'relu' });
}

interface Row {
  barrier: number;
  metricBarrier: number;
  accA: number;
  accB: number;
}

async function rows(): Promise<Record<string, Row>> {
  const out: Record<string, Row> = {};
  for (const row of await page.getByTestId('paths-barriers').locator('tbody tr').all()) {
    const num = async (a: string) => Number(await row.getAttribute(a));
    out[(await row.getAttribute('data-kind'))!] = {
      barrier: await num('data-barrier'),
      metricBarrier: await num('data-metric-barrier'),
      accA: await num('data-metric-a'),
      accB: await num('data-metric-b'),
    };
  }
  return out;
}

async function waitForPaths(seq: number): Promise<void> {
  await page.waitForSelector(`[data-testid="paths-barriers"][data-seq="${seq}"]`, { timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="paths-progress"]'), null, {
    timeout: 180_000,
  });
}

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

describe('classifiers in the app', () => {
  it('shows the sample MNIST classifiers with their accuracy', async () => {
    await page.getByRole('tab', { name: 'Models' }).click();
    const row = page.getByTestId('models-table').locator('tbody tr', { hasText: 'mnist mlp #1' });
    expect(await row.textContent()).toMatch(/784→64→10|784 → 64 → 10|relu/i);
    expect(await row.textContent()).toMatch(/\d+\.\d% accuracy/);
  });

  it('puts two MNIST classifiers on a path scored on MNIST: the numbers match the engine in Node', async () => {
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('preset-mnist').click();
    await waitForPaths(1);
    expect(await page.getByTestId('paths-score').locator('option:checked').textContent()).toMatch(
      /^MNIST \(1,000 digits\)$/,
    );
    await page.getByTestId('paths-chart').locator('.main-svg').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('paths-filmstrips').count()).toBe(0);
    const got = await rows();
    expect(Object.keys(got).sort()).toEqual(['lerp', 'lerp-aligned']);

    // The same numbers from the engine in Node, on the same 1,000 digits.
    await initNodeBackend('wasm');
    const a = sample('mnist-mlp-1');
    const b = sample('mnist-mlp-2');
    const data = classificationFor(mnistSplit(packMnist(), 'score'), 'MNIST', 784, 10);
    const lerp = await pathCurve(a, b, data, { points: 25 });
    const aligned = alignModels(a, b, { method: 'weight', x: data.x }).model;
    const lerpAligned = await pathCurve(a, aligned, data, { points: 25 });
    const want: Record<string, PathCurve> = { lerp, 'lerp-aligned': lerpAligned };
    for (const [kind, w] of Object.entries(want)) {
      const g = got[kind]!;
      expect(Math.abs(g.accA - w.metrics[0]!)).toBeLessThan(1e-4);
      expect(Math.abs(g.accB - w.metrics[24]!)).toBeLessThan(1e-4);
      expect(Math.abs(g.metricBarrier - w.metricBarrier)).toBeLessThan(1e-4);
      expect(Math.abs(g.barrier - w.barrier)).toBeLessThan(1e-4);
    }
    // Accuracy, not PSNR: endpoints are good classifiers, the naive path loses accuracy, alignment helps.
    expect(got.lerp!.accA).toBeGreaterThan(0.8);
    expect(got.lerp!.metricBarrier).toBeGreaterThan(got['lerp-aligned']!.metricBarrier);
    expect(await page.getByTestId('paths-barriers').textContent()).toMatch(
      /barrier \(cross-entropy\).*accuracy drop/,
    );

    // The α slider scores the model at α = 0.5: loss and accuracy, no picture.
    const live = page.getByTestId('paths-live-numbers');
    await live.waitFor({ timeout: 60_000 });
    expect(await live.textContent()).toMatch(/cross-entropy, nats\), accuracy \d+\.\d% on MNIST/);
    const mid = evaluateModelsCpu([interpolateModels(a, b, 0.5)], data);
    expect(Math.abs(Number(await live.getAttribute('data-metric')) - mid.metric[0]!)).toBeLessThan(1e-4);
    expect(Math.abs(Number(await live.getAttribute('data-loss')) - mid.loss[0]!)).toBeLessThan(1e-4);
    expect(await page.getByTestId('paths-live-image').count()).toBe(0);

    // Accuracy view: the axis says so.
    await page.getByTestId('paths-view-psnr').check();
    await expect.poll(() => page.getByTestId('paths-chart').textContent()).toMatch(/accuracy \(%\)/);
    await screenshot(page, 'classifier-paths');

    // MNIST ships with the app, so the link carries no file to drop, and it replays: a new page
    // re-runs the experiment, then the Paths view, and shows the same numbers.
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#x=/);
    expect(await page.getByTestId('share-missing').count()).toBe(0);
    await page.getByRole('button', { name: 'Close' }).click();
    const other = await context.newPage();
    const otherErrors = watchErrors(other);
    await other.goto(url);
    const replayed = other.getByTestId('paths-barriers').locator('tr[data-kind]');
    await expect.poll(() => replayed.count(), { timeout: 240_000 }).toBe(2);
    expect(await other.getByTestId('paths-score').locator('option:checked').textContent()).toMatch(
      /^MNIST \(1,000 digits\)$/,
    );
    for (const row of await replayed.all()) {
      const g = got[(await row.getAttribute('data-kind'))!]!;
      expect(Number(await row.getAttribute('data-barrier'))).toBeCloseTo(g.barrier, 6);
      expect(Number(await row.getAttribute('data-metric-barrier'))).toBeCloseTo(g.metricBarrier, 6);
    }
    await other.close();
    expect(otherErrors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('refuses a bad dataset .npz with the reason and leaves the workspace unchanged', async () => {
    const before = await appState<string[]>(page, 's.models.map((m) => m.id)');
    await page.getByRole('tab', { name: 'Models' }).click();
    const cases: [string, RegExp][] = [
      ['bad_nan.npz', /x\[1, 216\] is NaN; every input must be a finite number/],
      ['bad_float_labels.npz', /labels must be integers/],
      ['bad_missing_y.npz', /holds two arrays, x .* and y/],
    ];
    for (const [name, message] of cases) {
      await page
        .getByTestId('checkpoint-input')
        .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: fixture(`datasets/${name}`) });
      await expect.poll(() => page.getByTestId('banner').textContent()).toMatch(message);
      const text = (await page.getByTestId('banner').textContent())!;
      expect(text).toContain('could not be used as a dataset');
      expect(text).toContain('unchanged');
      await page.getByRole('button', { name: 'Dismiss' }).click();
    }
    expect(await appState<string[]>(page, 's.models.map((m) => m.id)')).toEqual(before);
    expect(await appState<number>(page, 's.datasets.length')).toBe(0);
    expect(await page.getByTestId('import-dialog').count()).toBe(0);
  });

  it('scores a dropped PyTorch classifier on a dropped dataset .npz, as PyTorch does', async () => {
    const expected = JSON.parse(fixture('datasets/good.json').toString()) as {
      loss: number;
      accuracy: number;
    };
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByTestId('checkpoint-input').setInputFiles({
      name: 'classifier.pt',
      mimeType: 'application/octet-stream',
      buffer: fixture('checkpoints/classifier.pt'),
    });
    await expect.poll(() => page.getByTestId('import-dialog').textContent()).toContain('784 → 32 → 10');
    await page.getByTestId('import-activation').selectOption('relu');
    await page.getByTestId('import-confirm').click();
    await waitFor("s.models.some((m) => m.name === 'classifier')");
    await page.getByTestId('checkpoint-input').setInputFiles({
      name: 'good.npz',
      mimeType: 'application/octet-stream',
      buffer: fixture('datasets/good.npz'),
    });
    await expect
      .poll(() => page.getByTestId('banner').textContent())
      .toMatch(/Dataset good\.npz: 32 examples × 784 inputs/);
    expect(await appState<number>(page, 's.datasets.length')).toBe(1);

    const id = await appState<string>(page, "s.models.find((m) => m.name === 'classifier').id");
    const datasetId = await appState<string>(page, 's.datasets[0].id');
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('paths-a').selectOption(id);
    await page.getByTestId('paths-b').selectOption(id);
    await page.locator('[data-testid="paths-kinds"] input[data-kind="lerp-aligned"]').uncheck();
    await page.getByTestId('paths-score').selectOption(datasetId);
    expect(await appState<string>(page, 's.spec.data.score.kind')).toBe('file');
    await page.getByTestId('paths-run').click();
    await waitForPaths(2);
    const got = (await rows()).lerp!;
    expect(got.accA).toBe(expected.accuracy);
    expect(got.accB).toBe(expected.accuracy);
    expect(got.barrier).toBeCloseTo(0, 5);
    const live = page.getByTestId('paths-live-numbers');
    await expect
      .poll(async () => Math.abs(Number(await live.getAttribute('data-loss')) - expected.loss), {
        timeout: 60_000,
      })
      .toBeLessThan(1e-4);
    expect(await live.textContent()).toContain('good.npz');

    // A dropped dataset cannot travel in a link: Share says so.
    await page.getByTestId('share').click();
    expect(await page.getByTestId('share-missing').textContent()).toMatch(/good\.npz \(dataset, SHA-256/);
    await page.getByRole('button', { name: 'Close' }).click();
    expect(errors).toEqual([]);
  });
});
