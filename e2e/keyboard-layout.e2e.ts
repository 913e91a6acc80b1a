import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, FileChooser, Page } from 'playwright-core';
import { appState, launchIdleApp, screenshot, waitForState } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

/** What has keyboard focus: its test id, else its role and text. */
const focused = () =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'body';
    return (
      el.dataset.testid ?? `${el.getAttribute('role') ?? el.tagName.toLowerCase()}:${el.textContent?.trim()}`
    );
  });
const focusInside = (testId: string) =>
  page.evaluate(
    (id) =>
      document
        .querySelector(`[data-testid="${id}"]`)
        ?.closest('[role="dialog"]')
        ?.contains(document.activeElement),
    testId,
  );

/** Presses Tab until `target` has focus; fails if it never does (not reachable with the keyboard). */
async function tabTo(target: string, max = 60, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focused()) === target) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${target} never took focus with Tab (last: ${await focused()})`);
}

/** The file chooser that pressing Space on the focused button opens; names the focus if none does. */
async function chooserFromSpace(): Promise<FileChooser> {
  const before = await focused();
  try {
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser', { timeout: 20_000 }),
      page.keyboard.press('Space'),
    ]);
    return chooser;
  } catch (e) {
    throw new Error(
      `no file chooser after Space on ${before} (focus now on ${await focused()}): ${String(e)}`,
    );
  }
}

describe('keyboard and small screens', () => {
  it('tabs follow the ARIA pattern; a checkpoint is imported and dialogs closed with the keyboard only', async () => {
    const selectedTab = () => page.locator('[role="tab"][aria-selected="true"]').textContent();
    // One tab stop for the whole tab bar (roving tabindex), on the selected tab.
    expect(await page.locator('[role="tab"][tabindex="0"]').count()).toBe(1);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabTo('tab:Train');
    const last = (await page.getByRole('tab').allTextContents()).at(-1)!;
    await page.keyboard.press('End');
    expect(await selectedTab()).toBe(last);
    expect(await focused()).toBe(`tab:${last}`);
    await page.keyboard.press('ArrowRight'); // wraps
    expect(await selectedTab()).toBe('Train');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    expect(await selectedTab()).toBe('Models');
    expect(await page.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe('tab-models');

    // Add checkpoint…: a real button in the Tab order that opens the file chooser from the keyboard.
    // (Space: headless Chromium's persistent context opens no chooser for Enter's synthesized click.)
    const before = await appState<number>(page, 's.models.length');
    // The tab's panel is its own chunk: a person tabs once it is shown, not while it loads.
    await page.getByTestId('checkpoint-input-button').waitFor();
    await tabTo('checkpoint-input-button');
    const chooser = await chooserFromSpace();
    await chooser.setFiles({
      name: 'mlp_relu.pt',
      mimeType: 'application/octet-stream',
      buffer: readFileSync('tests/fixtures/checkpoints/mlp_relu.pt'),
    });
    const dialog = page.getByTestId('import-dialog');
    await expect.poll(() => dialog.textContent()).toContain('2 → 16 → 16 → 1');
    // The dialog took focus and Tab / Shift+Tab stay inside it.
    expect(await focusInside('import-dialog')).toBe(true);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInside('import-dialog')).toBe(true);
    }
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await focusInside('import-dialog')).toBe(true);
    }
    await tabTo('import-confirm', 12);
    await page.keyboard.press('Enter');
    await waitForState(page, `s.models.length === ${before + 1} && !s.pendingImport`);
    expect(await focused()).toBe('checkpoint-input-button');

    // Another file, then Esc: nothing is added and focus is back on the opener. (The same file
    // again would join without a dialog: its answers are remembered by its hash.)
    const again = await chooserFromSpace();
    await again.setFiles({
      name: 'siren.pt',
      mimeType: 'application/octet-stream',
      buffer: readFileSync('tests/fixtures/checkpoints/siren.pt'),
    });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await waitForState(page, '!s.pendingImport');
    expect(await dialog.count()).toBe(0);
    expect(await appState<number>(page, 's.models.length')).toBe(before + 1);
    expect(await focused()).toBe('checkpoint-input-button');

    // The Share popover: focus moves into it, Esc closes it and focus returns to Share.
    await tabTo('share', 10, 'Shift+Tab'); // the header comes before the panel
    await page.keyboard.press('Enter');
    await page.getByTestId('share-url').waitFor();
    expect(await focused()).toBe('share-url');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('share-url').count()).toBe(0);
    expect(await focused()).toBe('share');
    expect(errors).toEqual([]);
  });

  it('no tab overflows sideways at 1400×900, 900×700 and 600×800; Share and the badge stay on screen', async () => {
    const TABS = await page.getByRole('tab').allTextContents();
    expect(TABS.length).toBeGreaterThanOrEqual(6);
    for (const [width, height] of [
      [1400, 900],
      [900, 700],
      [600, 800],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const name of TABS) {
        await page.getByRole('tab', { name }).click();
        // A tab's code loads on first show: measure the panel, not its loading line.
        await page
          .locator('[role="tabpanel"]:not([hidden]) [data-testid="panel-loading"]')
          .waitFor({ state: 'detached' });
        await page.waitForTimeout(150);
        const m = await page.evaluate(() => {
          const box = (id: string) =>
            document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
          const [share, badge] = [box('share'), box('backend-badge')];
          const tabs = Array.from(document.querySelectorAll('[role="tab"]')).map((t) =>
            t.getBoundingClientRect(),
          );
          return {
            scroll: document.scrollingElement!.scrollWidth,
            inner: innerWidth,
            share: [share.left, share.right, share.top],
            badge: [badge.left, badge.right],
            tabsRight: Math.max(...tabs.map((t) => t.right)),
          };
        });
        const where = `${name} at ${width}×${height}`;
        expect(m.scroll, where).toBeLessThanOrEqual(m.inner);
        expect(m.share[0], where).toBeGreaterThanOrEqual(0);
        expect(m.share[1], where).toBeLessThanOrEqual(m.inner);
        expect(m.share[2], where).toBeLessThan(height);
        expect(m.badge[0], where).toBeGreaterThanOrEqual(0);
        expect(m.badge[1], where).toBeLessThanOrEqual(m.inner);
        expect(m.tabsRight, where).toBeLessThanOrEqual(m.inner);
        await screenshot(page, `layout-${width}-${name.toLowerCase()}`);
      }
      if (width === 600) {
        // Stacked: the settings column sits above the results, not beside them.
        await page.getByRole('tab', { name: 'Align' }).click();
        const [a, b] = await page.evaluate(() =>
          Array.from(document.querySelector('.align-layout')!.children)
            .slice(0, 2)
            .map((c) => c.getBoundingClientRect().top),
        );
        expect(b!).toBeGreaterThan(a!);
      }
    }
    expect(errors).toEqual([]);
  });
});
