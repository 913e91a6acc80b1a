import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { readCheckpoint } from '../src/engine/checkpoints';
import { appState, launchIdleApp, screenshot, waitForState } from './browser';

let context: BrowserContext;
/** One page for the whole file; links are opened in fresh pages, as a person would. */
let page: Page;
let errors: string[];
const base = inject('baseUrl');
const fixture = (name: string) => readFileSync(`tests/fixtures/checkpoints/${name}`);

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

describe('checkpoints in and out', () => {
  it('reads a PyTorch file, asks for the activation, adds it, and exports safetensors that round-trip', async () => {
    const before = await appState<number>(page, 's.models.length');
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByTestId('checkpoint-input').setInputFiles({
      name: 'mlp_relu.pt',
      mimeType: 'application/octet-stream',
      buffer: fixture('mlp_relu.pt'),
    });
    const dialog = page.getByTestId('import-dialog');
    await expect.poll(() => dialog.textContent()).toContain('PyTorch');
    expect(await dialog.textContent()).toMatch(/2 → 16 → 16 → 1/);
    await screenshot(page, 'import-dialog');
    await page.getByTestId('import-activation').selectOption('relu');
    await page.getByTestId('import-confirm').click();
    await waitForState(page, `s.models.length === ${before + 1}`, 180_000);
    const row = page.locator('tr', { hasText: 'mlp_relu' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'safetensors' }).click(),
    ]);
    const bytes = readFileSync((await download.path())!);
    const back = readCheckpoint([{ name: 'x.safetensors', bytes: new Uint8Array(bytes) }]);
    const original = readCheckpoint([{ name: 'mlp_relu.pt', bytes: new Uint8Array(fixture('mlp_relu.pt')) }]);
    expect(JSON.parse(back.metadata['weightscope.arch']!)).toMatchObject({
      activation: 'relu',
      widths: [2, 16, 16, 1],
    });
    // Same numbers, under the source file's names, shapes and dtype, so it loads straight back.
    expect(back.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`)).toEqual(
      original.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`),
    );
    const w0 = original.tensors.find((t) => t.name === '0.weight')!;
    expect(Array.from(back.tensors.find((t) => t.name === '0.weight')!.data!)).toEqual(Array.from(w0.data!));
    // The exported file comes back in with its activation prefilled from the metadata.
    await page
      .getByTestId('checkpoint-input')
      .setInputFiles({ name: 'again.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
    await expect.poll(() => dialog.textContent()).toContain('from the file’s metadata');
    expect(await page.getByTestId('import-activation').inputValue()).toBe('relu');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(errors).toEqual([]);
  });

  it('refuses hostile and broken files with a message, leaving the workspace as it was', async () => {
    const models = await appState<unknown[]>(page, 's.models.map((m) => m.id)');
    await page.getByRole('tab', { name: 'Models' }).click();
    const cases: [string, RegExp][] = [
      ['hostile.pt', /os\.system/],
      ['not_a_checkpoint.txt', /not an image|not a checkpoint|no reader|supported/i],
      ['int_weights.safetensors', /int|floating/i],
    ];
    for (const [name, message] of cases) {
      await page
        .getByTestId('checkpoint-input')
        .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: fixture(name) });
      await expect.poll(() => page.getByTestId('banner').textContent()).toMatch(message);
      expect(await page.getByTestId('banner').textContent()).toContain('unchanged');
      await page.getByRole('button', { name: 'Dismiss' }).click();
    }
    expect(await appState<unknown[]>(page, 's.models.map((m) => m.id)')).toEqual(models);
    expect(await page.getByTestId('import-dialog').count()).toBe(0);
    await screenshot(page, 'hostile-checkpoint');
  });
});

describe('shareable experiments', () => {
  it('Share puts the experiment in the URL; opening it elsewhere replays the same numbers', async () => {
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByTestId('backend').selectOption('wasm');
    await page.getByTestId('size').fill('16');
    await page.getByTestId('hidden').fill('16, 16');
    await page.getByTestId('pop-size').fill('2');
    await page.getByTestId('seed').fill('7');
    await page.getByTestId('steps').fill('40');
    await page.getByTestId('train').click();
    await waitForState(page, "s.run.status === 'done' && s.run.steps === 40", 180_000);
    const psnr = await appState<number[]>(page, 's.run.psnr[s.run.psnr.length - 1]');
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#x=[A-Za-z0-9_-]+$/);
    expect(page.url()).toBe(url);
    await screenshot(page, 'share');

    const other = await context.newPage();
    await other.goto(url);
    await waitForState(other, "s.run.status === 'done' && s.run.steps === 40", 180_000);
    expect(await appState<number>(other, 's.spec.population.seed')).toBe(7);
    const replayed = await appState<number[]>(other, 's.run.psnr[s.run.psnr.length - 1]');
    expect(replayed.length).toBe(2);
    replayed.forEach((v, k) => expect(Math.abs(v - psnr[k]!)).toBeLessThan(1e-4));
    await other.close();
  });

  it('a shared Paths view replays: the same barrier numbers appear on screen in a new page', async () => {
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByTestId('size').fill('16');
    await page.getByTestId('pop-size').fill('1');
    await page.getByTestId('steps').fill('10');
    await page.getByTestId('train').click();
    await waitForState(page, "s.run.status === 'done' && s.run.steps === 10", 180_000);
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByRole('button', { name: 'Run paths' }).click();
    const barriers = page.getByTestId('paths-barriers').locator('tr[data-kind]');
    await expect.poll(() => barriers.count(), { timeout: 120_000 }).toBe(2);
    const before = await barriers.evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-kind'), r.textContent]),
    );
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();

    const other = await context.newPage();
    await other.goto(url);
    const replayed = other.getByTestId('paths-barriers').locator('tr[data-kind]');
    await expect.poll(() => replayed.count(), { timeout: 180_000 }).toBe(2);
    const after = await replayed.evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-kind'), r.textContent]),
    );
    expect(after).toEqual(before);
    await screenshot(other, 'share-paths-replayed');
    await other.close();
  });

  it('a hostile link shows why and keeps the default experiment', async () => {
    const fresh = await context.newPage();
    await fresh.goto(`${base}#x=${'A'.repeat(20_000)}`);
    await expect.poll(() => fresh.getByTestId('banner').textContent()).toMatch(/could not be opened/);
    await waitForState(fresh, "s.run.status === 'training' || s.run.status === 'calibrating'", 180_000);
    expect(await appState<number>(fresh, 's.spec.population.size')).toBe(8);
    await fresh.goto(`${base}#x=%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    await fresh.reload();
    await expect.poll(() => fresh.getByTestId('banner').textContent()).toMatch(/could not be opened/);
    expect(await fresh.locator('script:not([src]):not([type])').count()).toBeLessThanOrEqual(1);
    await fresh.close();
  });
});
