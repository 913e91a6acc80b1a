/**
 * STE matching in the Align tab with two restarts (two sample SIRENs, 30 steps each): the
 * permuted model computes the same function, every restart's objective shows, the permutations
 * download as JSON, and a share link replays it to equal numbers; a link carries STE's step count
 * (8 steps, replayed as 8). Then a merge whose input is another merge, replayed from a share link
 * in a fresh page to the same table.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { PermutationRecord } from '../src/engine/align/permutation-export';
import {
  appState,
  firstMergeRef,
  launchIdleApp,
  mergeTable,
  openShareLink,
  screenshot,
  waitForState,
} from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

/** The Align table's numbers, per row. */
async function alignRows(p: Page): Promise<Record<string, string | null>[]> {
  return p
    .getByTestId('align-table')
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) =>
        Object.fromEntries(
          ['proof', 'restarts', 'best-restart', 'midpoint', 'wm-midpoint', 'after', 'maxdiff'].map((k) => [
            k,
            r.getAttribute(`data-${k}`),
          ]),
        ),
      ),
    );
}

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

describe('STE in the Align tab, and nested merges', () => {
  it('STE with 2 restarts: proved, each restart shown, permutations downloaded, replayed from a link', async () => {
    await page.getByRole('tab', { name: 'Align' }).click();
    const ids = await page.evaluate(() => {
      const s = (
        window as unknown as { __weightscope: { getState(): { models: { id: string; ref?: string }[] } } }
      ).__weightscope.getState();
      const id = (ref: string) => s.models.find((m) => m.ref === ref)!.id;
      return [id('sample:rings-independent-1'), id('sample:rings-independent-2')];
    });
    await page.getByTestId('align-reference').selectOption(ids[0]!);
    await page.locator(`[data-testid="align-models"] input[data-model-id="${ids[1]}"]`).check();
    await page.getByTestId('align-ste').check();
    await page.getByTestId('align-restarts-input').fill('2');
    await page.getByTestId('align-run').click();
    await page.waitForSelector('[data-testid="align-table"] tbody tr[data-restarts="2"]', {
      timeout: 180_000,
    });
    const [row] = await alignRows(page);
    expect(row!.proof).toBe('ok');
    // STE keeps the lowest midpoint loss, never worse than weight matching's (its step 0).
    expect(Number(row!.midpoint)).toBeLessThanOrEqual(Number(row!['wm-midpoint']));
    expect(await page.getByTestId('align-restarts').locator('[data-seed]').count()).toBe(2);
    await page.waitForSelector('[data-testid="align-ste"].js-plotly-plot');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('align-permutations').click(),
    ]);
    const json = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      alignments: PermutationRecord[];
    };
    expect(json.alignments).toHaveLength(1);
    const rec = json.alignments[0]!;
    expect(rec).toMatchObject({
      method: 'ste',
      reference: { id: 'sample:rings-independent-1' },
      model: { id: 'sample:rings-independent-2' },
    });
    expect(rec.restarts).toHaveLength(2);
    expect(rec.objective.value).toBe(Number(row!.midpoint));
    // Every hidden layer: a permutation of 0 … n−1.
    for (const l of rec.layers) expect([...l.perm].sort((a, b) => a - b)).toEqual(l.perm.map((_, i) => i));
    await screenshot(page, 'align-ste-restarts');

    const { other, otherErrors } = await openShareLink(page);
    await other.waitForSelector('[data-testid="align-table"] tbody tr[data-restarts="2"]', {
      timeout: 240_000,
    });
    expect(await alignRows(other)).toEqual([row]);
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  }, 480_000);

  it('STE steps travel in the Align link: the receiver trains the same 8 steps to the same numbers', async () => {
    const ids = await appState<string[]>(
      page,
      "['sample:rings-independent-2', 'sample:rings-independent-3'].map((r) => s.models.find((m) => m.ref === r).id)",
    );
    await page.locator(`[data-testid="align-models"] input[data-model-id="${ids[0]}"]`).uncheck();
    await page.locator(`[data-testid="align-models"] input[data-model-id="${ids[1]}"]`).check();
    await page.getByTestId('align-restarts-input').fill('1');
    await page.getByTestId('align-ste-steps').fill('8');
    await page.getByTestId('align-run').click();
    const title = '[data-testid="align-results"] h3:has-text("STE matching, 8 steps")';
    await page.waitForSelector(title, { timeout: 120_000 });
    const [row] = await alignRows(page);
    expect(row!.proof).toBe('ok');
    // Step 0 (weight matching) and 8 STE steps.
    const steps = (p: Page) =>
      p.evaluate(
        () =>
          (
            document.querySelector('[data-testid="align-ste"].js-plotly-plot') as unknown as {
              data: { y: number[] }[];
            }
          ).data[0]!.y.length,
      );
    await page.waitForSelector('[data-testid="align-ste"].js-plotly-plot');
    expect(await steps(page)).toBe(9);
    // The aligned model's id names the steps (the default 30 would be left out).
    expect(
      await appState<boolean>(page, "s.models.some((m) => m.ref && m.ref.endsWith(', ste, 0, steps=8)'))"),
    ).toBe(true);

    const { other, otherErrors } = await openShareLink(page);
    await other.waitForSelector(title, { timeout: 120_000 });
    expect(await alignRows(other)).toEqual([row]);
    expect(await other.getByTestId('align-ste-steps').inputValue()).toBe('8');
    await other.waitForSelector('[data-testid="align-ste"].js-plotly-plot');
    expect(await steps(other)).toBe(9);
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  }, 240_000);

  it('a merge of a merge: the merged model is an input, and a link replays the nested recipe', async () => {
    await page.getByRole('tab', { name: 'Merge' }).click();
    await page.getByTestId('merge-method').selectOption('linear');
    await page.locator('[data-identity="sample:rings-independent-1"]').check();
    await page.locator('[data-identity="sample:rings-independent-2"]').check();
    await page.getByTestId('merge-run').click();
    await page.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 120_000,
    });
    const inner = await firstMergeRef(page);
    expect(inner).toMatch(/^merge\(linear, /);
    // The merge is offered as an input: a second merge takes it and a third sample SIREN.
    for (const id of ['sample:rings-independent-1', 'sample:rings-independent-2'])
      await page.locator(`[data-identity="${id}"]`).uncheck();
    await page.locator(`[data-identity="${inner}"]`).check();
    await page.locator('[data-identity="sample:rings-independent-3"]').check();
    await page.getByTestId('merge-weights').fill('2, 1');
    await page.getByTestId('merge-run').click();
    await waitForState(page, "s.models.filter((m) => m.source === 'merge').length === 2");
    await page.waitForFunction(() => !document.querySelector('[data-testid="merge-progress"]'));
    const rows = await mergeTable(page);
    expect(rows.map((r) => r[0])).toEqual(['input', 'input', 'merge']);

    const { other, otherErrors } = await openShareLink(page);
    // The fresh page rebuilds the inner merge from its id, then runs the outer recipe.
    await other.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 240_000,
    });
    expect(await mergeTable(other)).toEqual(rows);
    await screenshot(other, 'merge-nested-replayed');
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  }, 480_000);
});
