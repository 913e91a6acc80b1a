/**
 * A worker that stops answering (its thread busy for good, not crashed) is restarted: the job it
 * ran is reported failed, the banner says what happened, and the workspace is intact in the new
 * worker (the same models under the same ids, and an alignment of them works). The real app and
 * worker; the test shortens the silence window through the key the client reads at start-up
 * (`weightscope.engineTimings`) and makes the worker's thread spin right after it took the Align
 * request, as a job stuck in a synchronous loop would.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { appState, launchIdleApp, screenshot, waitForState } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

/** Silence long enough that start-up and the alignment below never reach it on a healthy worker. */
const SILENCE_MS = 5000;

interface Entry {
  id: string;
  name: string;
}
const models = () => appState<Entry[]>(page, 's.models.map((m) => ({ id: m.id, name: m.name }))');
const banners = () => appState<string[]>(page, 's.banners.map((b) => b.kind + ": " + b.text)');

/** The app's engine worker (the kernel pool and GPU paths start workers of their own). */
function engineWorker(): Worker {
  const found = page.workers().filter((w) => w.url().includes('engine.worker'));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Selects `model` for alignment to `reference` on the Align tab and presses Align. */
async function align(reference: Entry, model: Entry): Promise<void> {
  await page.getByTestId('align-reference').selectOption(reference.id);
  const box = page.locator(`[data-testid="align-models"] input[data-model-id="${model.id}"]`);
  if (!(await box.isChecked())) await box.check();
  await page.getByTestId('align-weight').check();
  await page.getByTestId('align-run').click();
}

beforeAll(async () => {
  // A first load with the default timings, so that the browser has the worker's code cached: a
  // cold load keeps a fresh worker from answering for longer than the short window.
  ({ context, page, errors } = await launchIdleApp(base));
  await page.evaluate((t) => localStorage.setItem('weightscope.engineTimings', JSON.stringify(t)), {
    silenceMs: SILENCE_MS,
    pingMs: 250,
  });
  await page.reload();
  await waitForState(page, "s && s.ready && s.run.status === 'done'");
});
afterAll(async () => {
  await context?.close();
});

describe('a hung engine worker', () => {
  it('is restarted after the silence window; its job fails; the workspace stays usable', async () => {
    // Start-up, pinged under the short window, restarted nothing.
    expect(await banners()).toEqual([]);
    const before = await models();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const [reference, model] = before;

    const hung = engineWorker();
    let closed = false;
    hung.on('close', () => (closed = true));
    // The next Align request reaches the real handler (the job starts), then the thread spins:
    // no reply, no progress, no answer to pings. Bounded, should the restart never come.
    await hung.evaluate(() => {
      const scope = self as unknown as { onmessage: (e: MessageEvent) => void };
      const handle = scope.onmessage;
      scope.onmessage = (e) => {
        handle(e);
        if ((e.data as { type?: string }).type !== 'align') return;
        const end = Date.now() + 60_000;
        while (Date.now() < end);
      };
    });

    await page.getByRole('tab', { name: 'Align' }).click();
    await align(reference!, model!);
    await waitForState(page, "s.banners.some((b) => b.text.includes('Alignment failed'))", 30_000);
    // One message: the restart, then the job it took down in the job's own words (not a message
    // for each that both say the worker was restarted).
    expect(await banners()).toEqual([
      expect.stringMatching(
        /^error: The engine worker stopped answering for \d+ s and was restarted with the workspace's models\. Alignment failed: it was lost with the old worker; run it again\. The workspace is unchanged\.$/,
      ),
    ]);
    await screenshot(page, 'restart-banner');
    // The failed job left nothing behind: no result, no new model, the Align button back.
    expect(await page.getByTestId('align-table').count()).toBe(0);
    await expect.poll(() => page.getByTestId('align-run').isEnabled()).toBe(true);
    expect(await models()).toEqual(before);
    // The spinning worker is gone; a fresh one took its place.
    await expect.poll(() => closed, { timeout: 15_000 }).toBe(true);
    expect(engineWorker()).not.toBe(hung);

    // The new worker holds the same models under the same ids: aligning them works.
    await page.getByTestId('banner-item').getByRole('button', { name: 'Dismiss' }).click();
    await align(reference!, model!);
    const row = page.getByTestId('align-table').locator('tbody tr').first();
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-proof')).toBe('ok');
    const after = await models();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)!.name).toBe(`${model!.name} aligned to ${reference!.name}`);
    expect((await banners()).filter((b) => b.startsWith('error'))).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);
});
