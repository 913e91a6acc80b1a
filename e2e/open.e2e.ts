/**
 * `weightscope open DIR --watch` in a browser: the two `.pt` files of a temporary folder appear
 * in the Models tab, a third copied in later joins live, a path outside the folder is 404, and
 * a model's `.pt` download keeps the source's tensor names and comes with a Python snippet.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/engine/checkpoints/index';
import { launch, screenshot } from './browser';
import { buildApp, documentViolations, recordViolations, serve, until, type Served } from './served';

const FIX = path.resolve(__dirname, '../tests/fixtures/roundtrip');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-open-'));
let served: Served;
let context: BrowserContext;
let page: Page;

/** Copies a fixture into the folder as if saved a minute ago (settled). */
function place(fixture: string, name: string): void {
  copyFileSync(path.join(FIX, fixture), path.join(dir, name));
  const t = new Date(Date.now() - 60_000);
  utimesSync(path.join(dir, name), t, t);
}

/** A GET with the path sent exactly as written (no client-side normalisation). */
function status(url: string, rawPath: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: u.hostname, port: u.port, path: rawPath }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const rows = (): Promise<string[]> =>
  page
    .getByTestId('models-table')
    .locator('tbody tr td:first-child')
    .allTextContents()
    .then((names) => names.map((n) => n.replace(/\s*rename$/, '')));

beforeAll(async () => {
  await buildApp();
  place('seq_a.pt', 'run-1.pt');
  place('seq_b.pt', 'run-2.pt');
  served = await serve([dir, '--watch', '--activation', 'relu']);
  context = await launch({ enforceCsp: true });
  page = await context.newPage();
}, 180_000);
afterAll(async () => {
  await context?.close();
  served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('weightscope open', () => {
  it('puts both checkpoints of the folder into the Models tab, and a third one joins live', async () => {
    expect(served.files).toEqual(['run-1.pt', 'run-2.pt']);
    const violations = await recordViolations(page);
    await page.goto(served.url);
    await until(
      page,
      (s) => s.models.filter((m) => /^run-[12]/.test(m.name)).length === 2,
      'the opened files',
    );
    await page.getByRole('tab', { name: 'Models' }).click();
    await expect.poll(rows).toEqual(expect.arrayContaining(['run-1.pt', 'run-2.pt']));
    place('seq_a.pt', 'run-3.pt');
    await expect.poll(rows, { timeout: 20_000 }).toEqual(expect.arrayContaining(['run-3.pt']));
    await screenshot(page, 'open-watch');
    expect(await documentViolations(page)).toEqual([]);
    expect(violations).toEqual([]);
  }, 120_000);

  it('refuses paths outside the folder and the app', async () => {
    for (const p of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/__weightscope/files/..%2f..%2fpackage.json',
      '/__weightscope/files/%2e%2e/run-1.pt',
      `/__weightscope/files/${encodeURIComponent(path.join(dir, 'run-1.pt'))}`,
    ])
      expect(await status(served.url, p), p).toBe(404);
    expect(await status(served.url, '/__weightscope/files/run-1.pt')).toBe(200);
  });

  it('downloads a model as .pt under the source names, with a Python snippet to load it', async () => {
    const row = page.getByTestId('models-table').locator('tbody tr', { hasText: 'run-1.pt' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: '.pt', exact: true }).click(),
    ]);
    const file = await download.path();
    const c = readCheckpoint([{ name: 'x.pt', bytes: new Uint8Array(readFileSync(file)) }]);
    const src = readCheckpoint([
      { name: 'seq_a.pt', bytes: new Uint8Array(readFileSync(path.join(FIX, 'seq_a.pt'))) },
    ]);
    expect(c.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`)).toEqual(
      src.tensors.map((t) => `${t.name} ${t.dtype} ${t.shape}`),
    );
    await row.getByRole('button', { name: 'Python' }).click();
    const snippet = await page.getByTestId('torch-snippet').inputValue();
    expect(snippet).toContain('nn.Linear(2, 16)');
    expect(snippet).toContain('model.load_state_dict(state, strict=True)');
    await screenshot(page, 'open-snippet');
  });
});
