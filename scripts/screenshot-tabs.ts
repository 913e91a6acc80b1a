/**
 * Screenshots every tab of the running app, idle and after one run of its main job, so that a
 * restructuring can be checked for visible changes (compare two runs' PNGs side by side).
 * Usage: node --import ./bin/register.mjs scripts/screenshot-tabs.ts <prefix> [url] [WIDTHxHEIGHT]
 * Starts its own Vite dev server unless a URL is given; PNGs go to e2e/artifacts/<prefix>-*.png.
 * The window is 1400×900 unless a size is given (e.g. 900x700 or 600x800 for the narrow layouts).
 */
import { createServer } from 'vite';
import { launch, openIdleApp, screenshot } from '../e2e/browser';
import type { Page } from 'playwright-core';

const prefix = process.argv[2] ?? 'tabs';
const given = process.argv[3] || undefined;
const [width, height] = (process.argv[4] ?? '1400x900').split('x').map(Number);
const server = given
  ? null
  : await createServer({
      configFile: 'vite.config.ts',
      server: { port: 5199, host: '127.0.0.1' },
      logLevel: 'warn',
    });
await server?.listen();
const url = given ?? server!.resolvedUrls!.local[0]!;
const context = await launch({ viewport: { width: width!, height: height! } });
const page = context.pages()[0] ?? (await context.newPage());

async function tab(name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.waitForTimeout(800);
}

/** Clicks a run button and waits until it is enabled again (the job ended) and plots settled. */
async function runAndWait(p: Page, testId: string): Promise<void> {
  await p.getByTestId(testId).click();
  await p.waitForTimeout(500);
  await p.waitForFunction(
    (id) => !(document.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement)?.disabled,
    testId,
    {
      timeout: 300_000,
      polling: 500,
    },
  );
  // Plotly loads on a chart's first use and draws a moment after its data.
  await p.waitForFunction(
    () => [...document.querySelectorAll('.plot')].every((el) => el.classList.contains('js-plotly-plot')),
    null,
    { timeout: 120_000, polling: 500 },
  );
  await p.waitForTimeout(1000);
}

try {
  await openIdleApp(page, url);
  for (const name of [
    'Train',
    'Models',
    'Align',
    'Paths',
    'Merge',
    'Cloud',
    'Landscape',
    'Classifiers',
    'Zoo',
  ]) {
    await tab(name);
    await screenshot(page, `${prefix}-${name.toLowerCase()}-idle`);
  }
  await tab('Align');
  await page.locator('[data-testid="align-models"] input:not([disabled])').first().check();
  await runAndWait(page, 'align-run');
  await screenshot(page, `${prefix}-align-run`);
  await tab('Paths');
  await page.getByTestId('paths-a').selectOption({ label: 'rings independent #1' });
  await page.getByTestId('paths-b').selectOption({ label: 'rings independent #2' });
  await runAndWait(page, 'paths-run');
  await screenshot(page, `${prefix}-paths-run`);
  await tab('Merge');
  await page.getByTestId('merge-base').selectOption({ label: 'mnist mlp #1' });
  for (const name of ['mnist mlp #2', 'mnist mlp #3'])
    await page.getByTestId('merge-models').getByText(name, { exact: true }).click();
  await runAndWait(page, 'merge-run');
  await runAndWait(page, 'merge-sweep');
  // The merge itself as the next base: the longest model name there is, in the form.
  const merged = await page.getByTestId('merge-name').textContent();
  await page.getByTestId('merge-base').selectOption({ label: merged! });
  await screenshot(page, `${prefix}-merge-run`);
  await tab('Cloud');
  await runAndWait(page, 'cloud-run');
  await screenshot(page, `${prefix}-cloud-run`);
  await tab('Landscape');
  await runAndWait(page, 'landscape-run');
  await runAndWait(page, 'directions-run');
  await screenshot(page, `${prefix}-landscape-run`);
  await tab('Models');
  await screenshot(page, `${prefix}-models-after`);
} finally {
  await context.close();
  await server?.close();
}
