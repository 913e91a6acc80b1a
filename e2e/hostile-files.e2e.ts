/**
 * A sample of the hostile-file corpus (tests/fixtures/hostile, issue #15) dropped into the real
 * app: each goes through the real worker (or, for images, the real image boundary), the banner
 * says why it was refused, naming the limit, and the workspace (models, experiment) is unchanged.
 * The whole corpus runs in Node (tests/hostile-corpus.test.ts); this proves the app path.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appState, idlePage, launch, screenshot } from './browser';

let context: BrowserContext;
const base = inject('baseUrl');
const corpus = (dir: string, file: string) => ({
  name: file,
  mimeType: 'application/octet-stream',
  buffer: readFileSync(`tests/fixtures/hostile/${dir}/${file}`),
});

beforeAll(async () => {
  context = await launch();
});
afterAll(async () => {
  await context?.close();
});

describe('hostile files in the app', () => {
  it('refuses each with the limit it passes and leaves the workspace as it was', async () => {
    const { page, errors } = await idlePage(context, base);
    const models = await appState<string[]>(page, 's.models.map((m) => m.id)');
    const source = await appState<unknown>(page, 's.spec.data.source');
    await page.getByRole('tab', { name: 'Models' }).click();
    const banner = page.getByTestId('banner');
    const cases: [ReturnType<typeof corpus>[], RegExp][] = [
      [[corpus('pt-300k-memoize', 'memo.pt')], /limit maxPickleMemo/],
      [[corpus('pt-48-keys-one-storage', 'shared.pt')], /limit maxTensorBytes/],
      [[corpus('pt-dict-contains-itself', 'self.pt')], /contains itself/],
      [[corpus('npz-nested-overlap', 'nested.npz')], /overlap/],
      [[corpus('st-86-bytes-width-2p53', 'w.safetensors')], /dimension 9007199254740991/],
      [[corpus('st-metadata-w0-1e308', 'w0.safetensors')], /w0 = 1e\+308 is outside \[1, 200\]/],
      [
        [corpus('tfjs-duplicate-weight-names', 'model.json'), corpus('tfjs-duplicate-weight-names', 's.bin')],
        /twice/,
      ],
      [[corpus('dataset-2GB-declared', 'data.npz')], /limit maxInflatedBytes/],
    ];
    for (const [files, message] of cases) {
      await page.getByTestId('checkpoint-input').setInputFiles(files);
      await expect.poll(() => banner.textContent(), { timeout: 60_000 }).toMatch(message);
      expect(await banner.textContent()).toMatch(/unchanged/);
      if (message.source.includes('maxPickleMemo')) await screenshot(page, 'hostile-files-refused');
      await page.getByRole('button', { name: 'Dismiss' }).click();
    }
    // Images: the frame a decoder would really allocate, read before decoding.
    await page.getByRole('tab', { name: 'Train' }).click();
    for (const [dir, file] of [
      ['gif-frame-larger-than-screen.gif', 'gif-frame-larger-than-screen.gif'],
      ['jpeg-fill-byte-fake-sof.jpg', 'jpeg-fill-byte-fake-sof.jpg'],
    ] as const) {
      await page.getByTestId('image-input').setInputFiles(corpus(dir, file));
      await expect
        .poll(() => banner.textContent(), { timeout: 60_000 })
        .toMatch(/9000×9000 px; the largest accepted/);
      expect(await banner.textContent()).toMatch(/unchanged/);
      await page.getByRole('button', { name: 'Dismiss' }).click();
    }
    expect(await appState<string[]>(page, 's.models.map((m) => m.id)')).toEqual(models);
    expect(await appState<unknown>(page, 's.spec.data.source')).toEqual(source);
    expect(await page.getByTestId('import-dialog').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
