import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { appState, launchIdleApp, plotTraces, screenshot, waitForState } from './browser';

let context: BrowserContext;
let page: Page;
let errors: string[];
const base = inject('baseUrl');

const waitFor = (expr: string, timeout?: number): Promise<void> => waitForState(page, expr, timeout);

interface Entry {
  id: string;
  name: string;
  source: string;
  arch: { widths: number[] };
}

const models = () =>
  appState<Entry[]>(
    page,
    's.models.map((m) => ({ id: m.id, name: m.name, source: m.source, arch: m.arch }))',
  );

/** The barrier rows the Paths panel shows, keyed by path kind. */
async function barriers(): Promise<Record<string, { value: number; text: string }>> {
  const rows = page.getByTestId('paths-barriers').locator('tbody tr');
  const out: Record<string, { value: number; text: string }> = {};
  for (const row of await rows.all()) {
    out[(await row.getAttribute('data-kind'))!] = {
      value: Number(await row.getAttribute('data-barrier')),
      text: (await row.locator('td').nth(1).textContent())!,
    };
  }
  return out;
}

/** Presses Run paths and waits for the next result's barrier table. */
async function runPaths(timeout = 120_000): Promise<void> {
  const seq = Number(
    (await page
      .locator('[data-testid="paths-barriers"]')
      .getAttribute('data-seq', { timeout: 100 })
      .catch(() => null)) ?? 0,
  );
  await page.getByTestId('paths-run').click();
  await page.waitForSelector(`[data-testid="paths-barriers"][data-seq="${seq + 1}"]`, { timeout });
  await page.waitForFunction(() => !document.querySelector('[data-testid="paths-progress"]'), null, {
    timeout,
  });
}

async function setField(testId: string, value: string): Promise<void> {
  await page.getByTestId(testId).fill(value);
}

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

describe('align and paths in the browser', () => {
  it('aligns the second sample model to the first, proves it, and adds "… aligned to …" to the workspace', async () => {
    const [first, second] = await models();
    await page.getByRole('tab', { name: 'Align' }).click();
    await page.getByTestId('align-reference').selectOption(first!.id);
    await page.locator(`[data-testid="align-models"] input[data-model-id="${second!.id}"]`).check();
    // The reference cannot be aligned to itself: its box is disabled and says why.
    expect(
      await page.locator(`[data-testid="align-models"] input[data-model-id="${first!.id}"]`).isDisabled(),
    ).toBe(true);
    await page.getByTestId('align-weight').check();
    const before = (await models()).length;
    await page.getByTestId('align-run').click();
    const row = page.getByTestId('align-table').locator('tbody tr').first();
    await row.waitFor({ timeout: 60_000 });
    const num = async (a: string) => Number(await row.getAttribute(a));
    expect(await num('data-sweeps')).toBeGreaterThanOrEqual(1);
    expect(await num('data-after')).toBeGreaterThanOrEqual(await num('data-before'));
    expect(await num('data-maxdiff')).toBeLessThanOrEqual(1e-5 * Math.max(1, await num('data-scale')));
    expect(await row.getAttribute('data-proof')).toBe('ok');
    expect(await row.textContent()).toContain('✓');
    // Heatmaps: the chosen layer's similarity before and after, with a stronger diagonal after.
    const diag: number[] = [];
    for (const w of ['before', 'after']) {
      const [trace] = await plotTraces<{ z: number[][] }>(page, `align-heatmap-${w}`);
      const z = trace!.z;
      diag.push(z.reduce((s, r, i) => s + r[i]!, 0) / z.length);
    }
    expect(diag[1]!).toBeGreaterThan(diag[0]! + 0.3);
    expect(await page.locator('[data-testid="align-heatmap-after"] .main-svg').count()).toBeGreaterThan(0);
    const after = await models();
    expect(after.length).toBe(before + 1);
    const name = `${second!.name} aligned to ${first!.name}`;
    expect(after.at(-1)!.name).toBe(name);
    await screenshot(page, 'align-weight-matching');
    await page.getByRole('tab', { name: 'Models' }).click();
    await expect
      .poll(() => page.getByTestId('models-table').locator('tbody tr', { hasText: name }).count())
      .toBe(1);
  });

  it('paths between independent models: lerp after alignment has a lower barrier than naive lerp; a model to itself has barrier 0', async () => {
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('paths-a').selectOption({ label: 'rings independent #1' });
    await page.getByTestId('paths-b').selectOption({ label: 'rings independent #2' });
    for (const k of ['lerp', 'lerp-aligned'])
      await page.locator(`[data-testid="paths-kinds"] input[data-kind="${k}"]`).check();
    for (const k of ['slerp', 'bezier', 'polychain'])
      await page.locator(`[data-testid="paths-kinds"] input[data-kind="${k}"]`).uncheck();
    await runPaths();
    const traces = (await plotTraces<{ name: string }>(page, 'paths-chart')).map((t) => t.name);
    expect(traces).toHaveLength(2);
    expect(traces.every((t) => /barrier/.test(t))).toBe(true);
    const b = await barriers();
    expect(b.lerp!.value).toBeGreaterThan(0);
    expect(b['lerp-aligned']!.value).toBeLessThan(b.lerp!.value);
    expect(Number(b['lerp-aligned']!.text)).toBeLessThan(Number(b.lerp!.text));
    expect(await page.getByTestId('paths-filmstrips').locator('canvas').count()).toBe(18);
    // The α slider renders the reconstruction live.
    await page.getByTestId('paths-alpha').fill('0.25');
    await expect
      .poll(() => page.getByTestId('paths-live-numbers').textContent())
      .toMatch(/α = 0\.25: loss .* PSNR/);
    await page.getByTestId('paths-view-psnr').check();
    await expect
      .poll(() => page.locator('[data-testid="paths-chart"] .ytitle').textContent())
      .toBe('PSNR (dB)');
    await screenshot(page, 'paths-naive-vs-aligned');

    await page.getByTestId('paths-b').selectOption({ label: 'rings independent #1' });
    await runPaths();
    const self = await barriers();
    for (const k of ['lerp', 'lerp-aligned']) {
      expect(Math.abs(self[k]!.value)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(Number(self[k]!.text))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('refuses endpoints of different architectures with the layer named, and changes nothing', async () => {
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByTestId('backend').selectOption('wasm');
    await setField('size', '16');
    await setField('hidden', '16, 16');
    await setField('pop-size', '2');
    await setField('steps', '20');
    await page.getByTestId('train').click();
    await waitFor("s.run.status === 'done'", 120_000);
    const small = (await models()).find((m) => m.arch.widths.join() === '2,16,16,1')!;
    expect(small).toBeDefined();
    await page.getByRole('tab', { name: 'Paths' }).click();
    await page.getByTestId('paths-a').selectOption({ label: 'rings independent #1' });
    await page.getByTestId('paths-b').selectOption(small.id);
    const before = await models();
    const shown = await barriers();
    await page.getByTestId('paths-run').click();
    await expect
      .poll(() => page.getByTestId('banner').textContent(), { timeout: 30_000 })
      .toMatch(/layers\.\d+\.(weight|bias)/);
    expect(await page.getByTestId('banner').textContent()).toContain('unchanged');
    await screenshot(page, 'paths-arch-mismatch');
    expect(await models()).toEqual(before);
    expect(await barriers()).toEqual(shown);
  });

  it('trains a Bezier curve for a few steps and shows its barrier', async () => {
    await page.getByTestId('paths-a').selectOption({ label: 'rings independent #1' });
    await page.getByTestId('paths-b').selectOption({ label: 'rings independent #2' });
    await page.locator('[data-testid="paths-kinds"] input[data-kind="lerp-aligned"]').uncheck();
    await page.locator('[data-testid="paths-kinds"] input[data-kind="bezier"]').check();
    await setField('paths-curve-steps', '60');
    await runPaths();
    const b = await barriers();
    expect(Object.keys(b).sort()).toEqual(['bezier', 'lerp']);
    expect(Number.isFinite(b.bezier!.value)).toBe(true);
    expect(b.bezier!.text).not.toBe('');
    const legend = await page.evaluate(() =>
      (
        document.querySelector('[data-testid="paths-chart"]') as unknown as { data: { name: string }[] }
      ).data.map((t) => t.name),
    );
    expect(legend.some((n) => /^Bezier curve — barrier /.test(n))).toBe(true);
    // The curve's training loss, one value per step, beside the path chart.
    const curveLoss = await page.evaluate(() =>
      (
        document.querySelector('[data-testid="paths-curve-loss"]') as unknown as {
          data: { meta: string; y: number[] }[];
        }
      ).data.map((t) => ({ meta: t.meta, n: t.y.length, finite: t.y.every(Number.isFinite) })),
    );
    expect(curveLoss).toEqual([{ meta: 'bezier', n: 60, finite: true }]);
    expect(await page.locator('[data-testid="paths-curve-loss"] .gtitle').textContent()).toMatch(
      /Curve training loss/,
    );
    await screenshot(page, 'paths-bezier');
    expect(errors).toEqual([]);
  });

  it('classifiers: held-out and train curves together, with the train barrier in the table', async () => {
    await page.getByTestId('paths-a').selectOption({ label: 'mnist mlp #1' });
    await page.getByTestId('paths-b').selectOption({ label: 'mnist mlp #2' });
    // The Bezier curve stays ticked: a classifier's curve trains on the fused kernel too
    // (full-batch cross-entropy on the train digits), so its note names no tfjs fallback.
    await setField('paths-curve-steps', '40');
    await runPaths();
    const traces = (await plotTraces<{ meta: string; line: { dash?: string } }>(page, 'paths-chart')).map(
      (t) => `${t.meta}:${t.line.dash ?? 'solid'}`,
    );
    expect(traces.sort()).toEqual(['bezier:solid', 'bezier:train:dash', 'lerp:solid', 'lerp:train:dash']);
    expect(await page.getByTestId('paths-note-bezier').textContent()).not.toMatch(/tfjs/);
    const curveLoss = (await plotTraces<{ meta: string; y: number[] }>(page, 'paths-curve-loss')).map(
      (t) => ({ meta: t.meta, n: t.y.length, falls: t.y[t.y.length - 1]! < t.y[0]! }),
    );
    expect(curveLoss).toEqual([{ meta: 'bezier', n: 40, falls: true }]);
    expect(await page.locator('[data-testid="paths-chart"] .gtitle').textContent()).toMatch(
      /held out.*dashed: train/,
    );
    const row = page.getByTestId('paths-barriers').locator('tbody tr[data-kind="lerp"]');
    expect(Number.isFinite(Number(await row.getAttribute('data-train-barrier')))).toBe(true);
    await screenshot(page, 'paths-mnist-train-heldout');
  });

  it('width sweep: two pairs per width, mean with min–max bars, endpoints’ PSNR beside the barrier', async () => {
    await page.locator('summary', { hasText: 'width sweep settings' }).click();
    await setField('sweep-widths', '8, 16');
    await setField('sweep-layers', '1');
    await setField('sweep-size', '8');
    await setField('sweep-steps', '30');
    await setField('sweep-pairs', '2');
    await page.getByTestId('sweep-run').click();
    await expect
      .poll(() => page.getByTestId('sweep-table').locator('tbody tr').count(), { timeout: 120_000 })
      .toBe(2);
    await page.waitForFunction(() => !document.querySelector('[data-testid="sweep-progress"]'), null, {
      timeout: 60_000,
    });
    for (const row of await page.getByTestId('sweep-table').locator('tbody tr').all()) {
      expect(await row.getAttribute('data-pairs')).toBe('2');
      expect(Number(await row.getAttribute('data-psnr'))).toBeGreaterThan(5);
    }
    const plotted = await page.evaluate(() =>
      (
        document.querySelector('[data-testid="paths-sweep-chart"]') as unknown as {
          data: { meta: string; yaxis?: string; error_y?: { array: number[] } }[];
        }
      ).data.map((t) => ({ meta: t.meta, axis: t.yaxis ?? 'y', bars: t.error_y?.array.length ?? 0 })),
    );
    expect(plotted).toEqual([
      { meta: 'before', axis: 'y', bars: 2 },
      { meta: 'after', axis: 'y', bars: 2 },
      { meta: 'psnr', axis: 'y2', bars: 2 },
    ]);
    await screenshot(page, 'paths-width-sweep');
    expect(errors).toEqual([]);
  });
});
