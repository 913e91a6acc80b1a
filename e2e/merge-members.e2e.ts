/**
 * Merging members of the experiment's own population in the browser: a tiny population of two is
 * trained in the app, both `member:` models are merged (linear, after STE matching of 5 steps), and
 * a share link opened in a fresh page re-trains the members from the link's training settings,
 * aligns with the same 5 STE steps and shows the same table.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { firstMergeRef, launchIdleApp, mergeTable, openShareLink, screenshot, waitForState } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base, (s) => {
    s.population.size = 2;
    s.training.steps = 6;
  }));
});
afterAll(async () => {
  await context?.close();
});

describe('the Merge tab with population members', () => {
  it('merges the two trained members after 5 STE steps; a link re-trains them and gives the same numbers', async () => {
    await page.getByRole('tab', { name: 'Merge' }).click();
    const panel = page.getByTestId('merge-panel');
    const members = panel.locator('[data-identity^="member:"]');
    await expect.poll(() => members.count()).toBe(2);
    const ids = await members.evaluateAll((els) => els.map((e) => e.getAttribute('data-identity')!));
    expect(ids[0]).toMatch(/^member:[0-9a-f]{16}\/0$/);
    expect(ids[1]).toBe(ids[0]!.replace(/0$/, '1'));
    await page.getByTestId('merge-method').selectOption('linear');
    await members.nth(0).check();
    await members.nth(1).check();
    expect(await page.getByTestId('merge-align').isChecked()).toBe(true);
    await page.getByTestId('merge-matching').selectOption('ste');
    await page.getByTestId('merge-ste-steps').fill('5');
    await page.getByTestId('merge-run').click();
    await page.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 60_000,
    });
    const rows = await mergeTable(page);
    expect(rows.map((r) => r[0])).toEqual(['input', 'input', 'merge']);
    for (const r of rows) expect(r[3]).toMatch(/^\d+\.\d\d dB$/);
    const merged = await firstMergeRef(page);
    expect(merged).toBe(
      `merge(linear, align=ste;align_seed=0;align_steps=5;align_to=0, ${ids[0]}, ${ids[1]})`,
    );
    await screenshot(page, 'merge-members');

    const { other, otherErrors } = await openShareLink(page);
    // The receiver has no members until it trains them from the link's settings.
    await other.waitForSelector('[data-testid="merge-table"] tbody tr[data-role="merge"]', {
      timeout: 60_000,
    });
    expect(await mergeTable(other)).toEqual(rows);
    expect(await other.getByTestId('merge-ste-steps').inputValue()).toBe('5');
    await waitForState(other, "s.models.filter((m) => m.source === 'trained').length === 2", 5_000);
    expect(otherErrors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
