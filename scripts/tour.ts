/**
 * Dev helper: a screenshot of every tab of the app, each after its main action has run, for
 * looking over the whole UI at one window size. Opens the app on the browser tests' tiny
 * experiment (the sample models, an idle engine).
 * Usage: node --import ./bin/register.mjs scripts/tour.ts BASE_URL OUT_DIR [WIDTHxHEIGHT] [tab…]
 * (tabs by label, e.g. Align Merge; default every tab).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launch, openIdleApp, watchErrors } from '../e2e/browser';

/** Each tab's label and what to do there before the screenshot (press its run buttons, in order). */
const TABS: [label: string, act: (page: Page) => Promise<void>][] = [
  ['Train', async () => undefined],
  ['Models', async () => undefined],
  [
    'Align',
    async (page) => {
      await page.getByRole('button', { name: 'all compatible' }).click();
      await run(page, 'align-run');
    },
  ],
  ['Paths', (page) => run(page, 'paths-run')],
  [
    'Merge',
    async (page) => {
      // The sample classifiers, with the longest names the workspace has (aligned models).
      await page.getByTestId('merge-base').selectOption({ label: 'mnist mlp #1' });
      for (const name of ['mnist mlp #2', 'mnist mlp #3'])
        await page.getByTestId('merge-models').getByText(name, { exact: true }).click();
      await run(page, 'merge-run');
      await run(page, 'merge-sweep');
      // The merge itself as the next base: the longest model name there is, in the form.
      const merged = await page.getByTestId('merge-name').textContent();
      await page.getByTestId('merge-base').selectOption({ label: merged! });
    },
  ],
  ['Cloud', (page) => run(page, 'cloud-run')],
  ['Landscape', (page) => run(page, 'landscape-run')],
  ['Classifiers', async () => undefined],
  ['Zoo', async () => undefined],
];

/** Presses a run button and waits until it is enabled again (its job ended). */
async function run(page: Page, testId: string): Promise<void> {
  const button = page.getByTestId(testId);
  if ((await button.count()) === 0 || !(await button.isEnabled())) {
    console.log(`  ${testId}: not there or disabled`);
    return;
  }
  await button.click();
  await page.waitForTimeout(500);
  await page.waitForFunction(
    (id) => !document.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)?.disabled,
    testId,
    {
      timeout: 600_000,
      polling: 500,
    },
  );
}

const [base, out, size = '1280x800', ...only] = process.argv.slice(2);
if (!base || !out) throw new Error('usage: tour.ts BASE_URL OUT_DIR [WIDTHxHEIGHT] [tab…]');
const [width, height] = size.split('x').map(Number);
mkdirSync(out, { recursive: true });
const context = await launch({ viewport: { width: width!, height: height! } });
const page = await context.newPage();
const errors = watchErrors(page);
await openIdleApp(page, base);
for (const [label, act] of TABS) {
  if (only.length > 0 && !only.includes(label)) continue;
  await page.getByRole('tab', { name: label, exact: true }).click({ timeout: 120_000 });
  await act(page);
  // Plotly loads on a chart's first use and draws a moment after its data.
  await page
    .waitForFunction(
      () => [...document.querySelectorAll('.plot')].every((p) => p.classList.contains('js-plotly-plot')),
      null,
      {
        timeout: 120_000,
        polling: 500,
      },
    )
    .catch(() => console.log(`  ${label}: a chart was not drawn in 2 minutes`));
  await page.waitForTimeout(1000);
  const file = path.join(out, `${label.toLowerCase()}-${size}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  console.log(`${label}: ${file}${overflow > 0 ? ` (overflows by ${overflow} px)` : ''}`);
}
if (errors.length > 0) console.log(`errors:\n${errors.join('\n')}`);
await context.close();
