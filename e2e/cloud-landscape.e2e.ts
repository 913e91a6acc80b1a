import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { appState, launchIdleApp, screenshot, tinyExperimentUrl, waitForState } from './browser';

let context: BrowserContext;
/** One page for the views (the small-workspace case opens its own). */
let page: Page;
let errors: string[];
const base = inject('baseUrl');

beforeAll(async () => {
  ({ context, page, errors } = await launchIdleApp(base));
});
afterAll(() => context?.close());

interface PlotSummary {
  points: number;
  paths: number;
  ratios: number[];
}

/** What a Cloud result column plotted: model markers per architecture, path lines, variance bars. */
async function cloudPlots(page: Page, mode: 'raw' | 'aligned'): Promise<PlotSummary[]> {
  return page.evaluate((m) => {
    type Trace = { meta?: string; x: number[]; y: number[] };
    const out: PlotSummary[] = [];
    for (let i = 0; ; i++) {
      const scatter = document.querySelector(`[data-testid="cloud-scatter-${m}-${i}"]`) as
        (HTMLElement & { data?: Trace[] }) | null;
      const bars = document.querySelector(`[data-testid="cloud-variance-${m}-${i}"]`) as
        (HTMLElement & { data?: Trace[] }) | null;
      if (!scatter) return out;
      const data = scatter.data ?? [];
      out.push({
        points: data.filter((t) => t.meta === 'models').reduce((s, t) => s + t.x.length, 0),
        paths: data.filter((t) => t.meta === 'path').length,
        ratios: (bars?.data?.[0]?.y ?? []).map((v) => v / 100),
      });
    }
  }, mode);
}

type Tagged = { data?: unknown[] & { stale?: boolean } };

/** Presses Map and waits until both plots show the new maps (old plot data is tagged first). */
async function mapCloud(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('[data-testid^="cloud-scatter-"]')) {
      const d = (el as unknown as Tagged).data;
      if (d) d.stale = true;
    }
  });
  await page.getByTestId('cloud-run').click();
  await page.waitForFunction(
    () =>
      ['raw', 'aligned'].every((m) => {
        const d = (document.querySelector(`[data-testid="cloud-scatter-${m}-0"]`) as Tagged | null)?.data;
        return d !== undefined && !d.stale;
      }),
    null,
    { timeout: 90_000, polling: 200 },
  );
  await expect.poll(() => page.getByTestId('cloud-run').isEnabled(), { timeout: 30_000 }).toBe(true);
}

function checkRatios(ratios: number[]): void {
  expect(ratios.length).toBe(3);
  for (const r of ratios) {
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThanOrEqual(1);
  }
  expect(ratios.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
  expect(ratios[0]!).toBeGreaterThan(0);
}

describe('cloud and landscape views', () => {
  it('maps raw and aligned clouds, splits mixed architectures with a note, and draws the loss plane', async () => {
    // Six sample SIRENs and three sample MNIST classifiers (784 → 64 → 10), and the SIREN the page trained.
    const n = await appState<number>(page, 's.models.length');

    // Every model (the default selection), raw and aligned side by side, with a straight path
    // between the first two (SIRENs). The classifiers have another architecture: their own map.
    await page.getByRole('tab', { name: 'Cloud' }).click();
    await page.getByTestId('cloud-draw-path').check();
    await mapCloud(page);
    for (const mode of ['raw', 'aligned'] as const) {
      const plots = await cloudPlots(page, mode);
      expect(plots.map((p) => p.points).sort((a, b) => a - b)).toEqual([3, n - 3]);
      expect(plots.reduce((s, p) => s + p.paths, 0)).toBe(1);
      for (const p of plots) checkRatios(p.ratios);
    }
    // Raw and aligned maps of one architecture share their axis ranges, and each names its mean distance.
    const frames = await page.evaluate(() =>
      ['raw', 'aligned'].map((m) => {
        const el = document.querySelector(`[data-testid="cloud-scatter-${m}-0"]`) as unknown as {
          layout: { xaxis: { range: number[] }; yaxis: { range: number[] }; title: { text: string } };
        };
        return { x: el.layout.xaxis.range, y: el.layout.yaxis.range, title: el.layout.title.text };
      }),
    );
    expect(frames[0]!.x).toEqual(frames[1]!.x);
    expect(frames[0]!.y).toEqual(frames[0]!.x);
    for (const f of frames) expect(f.title).toMatch(/mean pairwise distance \d/);
    // Side by side, an architecture's raw and aligned maps start level, whatever wraps above them.
    const tops = await page.evaluate(() =>
      [0, 1].map((i) =>
        ['raw', 'aligned', 'variance-raw', 'variance-aligned'].map((m) =>
          Math.round(
            document
              .querySelector(`[data-testid="cloud-${m.startsWith('variance') ? m : `scatter-${m}`}-${i}"]`)!
              .getBoundingClientRect().top,
          ),
        ),
      ),
    );
    for (const [raw, aligned, vRaw, vAligned] of tops) {
      expect(aligned).toBe(raw);
      expect(vAligned).toBe(vRaw);
    }
    await screenshot(page, 'cloud-raw-aligned');

    // Only the six samples.
    await page.getByRole('button', { name: 'none', exact: true }).click();
    await expect.poll(() => page.getByTestId('cloud-run').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('cloud-blocked').textContent()).toContain('at least 2 models');
    const samples = await appState<string[]>(
      page,
      "s.models.filter((m) => m.source === 'sample' && m.arch.widths[0] === 2).map((m) => m.id)",
    );
    expect(samples.length).toBe(6);
    for (const id of samples)
      await page.locator(`[data-testid="cloud-models"] input[data-model-id="${id}"]`).check();
    await mapCloud(page);
    expect((await cloudPlots(page, 'raw'))[0]!.points).toBe(6);
    expect((await cloudPlots(page, 'aligned'))[0]!.points).toBe(6);

    // A population of another width joins: 64 small INRs (also the "large population" check).
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByTestId('size').fill('16');
    await page.getByTestId('hidden').fill('8');
    await page.getByTestId('pop-size').fill('64');
    await page.getByTestId('steps').fill('20');
    await page.getByTestId('train').click();
    await waitForState(page, "s.run.status === 'done'", 150_000);
    const narrow = await appState<string[]>(
      page,
      's.models.filter((m) => m.arch.widths[1] === 8).map((m) => m.id)',
    );
    expect(narrow.length).toBe(64);
    await page.getByRole('tab', { name: 'Cloud' }).click();
    for (const id of narrow)
      await page.locator(`[data-testid="cloud-models"] input[data-model-id="${id}"]`).check();
    // The page's responsiveness while the worker maps them is measured by npm run bench (chromium: frame gaps).
    await mapCloud(page);
    const mixed = await cloudPlots(page, 'raw');
    expect(mixed.map((p) => p.points).sort((a, b) => a - b)).toEqual([6, 64]);
    for (const p of mixed) checkRatios(p.ratios);
    // Said once above the maps, not on each architecture's map.
    expect(await page.getByTestId('cloud-arch-note').count()).toBe(1);
    expect(await page.getByTestId('cloud-arch-note').textContent()).toMatch(/2 architectures/);
    await screenshot(page, 'cloud-mixed-architectures');

    // The loss plane through the three first samples (the default anchors).
    await page.getByRole('tab', { name: 'Landscape' }).click();
    await page.getByTestId('landscape-run').click();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="landscape-plot"]') as { data?: unknown[] } | null)?.data !==
        undefined,
      null,
      { timeout: 90_000 },
    );
    const plane = await page.evaluate(() => {
      const data = (
        document.querySelector('[data-testid="landscape-plot"]') as unknown as {
          data: { type: string; z?: number[][]; x: number[]; text?: string[] }[];
        }
      ).data;
      const contour = data.find((t) => t.type === 'contour')!;
      const anchors = data.find((t) => t.type === 'scatter')!;
      return {
        rows: contour.z!.length,
        cols: contour.z!.map((r) => r.length),
        z: contour.z!.flat(),
        anchors: anchors.x.length,
        labels: anchors.text,
      };
    });
    expect(plane.rows).toBe(21);
    expect(new Set(plane.cols)).toEqual(new Set([21]));
    expect(plane.z.every(Number.isFinite)).toBe(true);
    expect(plane.anchors).toBe(3);
    expect(plane.labels?.[0]).toMatch(/^w₀ rings/);
    // The anchors are trained models: log10 MSE there is far below the plane's worst.
    expect(Math.min(...plane.z)).toBeLessThan(Math.max(...plane.z) - 1);
    await screenshot(page, 'landscape-plane');
    // The PSNR toggle recolours the same grid in dB (trained anchors are far above 10 dB).
    await page.getByTestId('landscape-psnr').check();
    await page.waitForFunction(
      () => {
        const data = (
          document.querySelector('[data-testid="landscape-plot"]') as unknown as {
            data: { type: string; z?: number[][] }[];
          }
        ).data;
        return Math.max(...data.find((t) => t.type === 'contour')!.z!.flat()) > 15;
      },
      null,
      { timeout: 10_000 },
    );
    expect(errors).toEqual([]);
  });

  it('with fewer than three models the plane is disabled and says why', async () => {
    const small = await context.newPage();
    // A workspace with only two sample models.
    await small.route('**/models/manifest.json', async (route) => {
      const r = await route.fetch();
      const list = (await r.json()) as unknown[];
      await route.fulfill({ response: r, json: list.slice(0, 2) });
    });
    // A classifier-shaped tiny experiment: whatever it trains cannot make three of one architecture.
    await small.goto(tinyExperimentUrl(base, (spec) => (spec.arch.hidden = [8])));
    await waitForState(small, "s && s.ready && s.run.status === 'done'");
    expect(await appState<number>(small, "s.models.filter((m) => m.source === 'sample').length")).toBe(2);
    await small.getByRole('tab', { name: 'Landscape' }).click();
    expect(await small.getByTestId('landscape-run').isDisabled()).toBe(true);
    expect(await small.getByTestId('landscape-disabled-reason').textContent()).toContain(
      'needs 3 models of one architecture',
    );
    expect(await small.getByTestId('landscape-anchor-0').isDisabled()).toBe(true);
    await screenshot(small, 'landscape-disabled');
    await small.close();
  });

  it('evaluates the loss around one model along random filter-normalised directions, 1-D and 2-D', async () => {
    await page.getByRole('tab', { name: 'Landscape' }).click();
    type PlotData = { data: { type: string; x: number[]; y: number[]; z?: number[][] }[] };
    const plotted = () =>
      page.evaluate(
        () =>
          (document.querySelector('[data-testid="directions-plot"]') as unknown as PlotData | null)?.data ??
          null,
      );
    await page.getByTestId('directions-run').click();
    await expect.poll(plotted, { timeout: 90_000 }).not.toBeNull();
    const line = (await plotted())![0]!;
    expect(line.x.length).toBe(21);
    expect(line.x[0]).toBeCloseTo(-1, 12);
    expect(line.x[20]).toBeCloseTo(1, 12);
    // α = 0 is the model itself: the lowest loss on the line (a trained model sits in a minimum).
    expect(Math.min(...line.y)).toBe(line.y[10]);
    await page.getByTestId('directions-2d').check();
    await page.getByTestId('directions-run').click();
    await expect.poll(async () => (await plotted())?.[0]?.type, { timeout: 120_000 }).toBe('contour');
    const z = (await plotted())![0]!.z!;
    expect(z.length).toBe(21);
    expect(z.every((row) => row.length === 21 && row.every(Number.isFinite))).toBe(true);
    await screenshot(page, 'landscape-directions');
    // The 1-D line's resolution and range are settings, and the model is named by identity.
    await page.getByTestId('directions-model').selectOption({ label: 'rings independent #2' });
    expect(await appState<string>(page, 's.spec.views.directions.model')).toBe('sample:rings-independent-2');
    await page.getByTestId('directions-1d').check();
    await page.getByTestId('directions-points').fill('11');
    await page.getByTestId('directions-range').fill('0.5');
    await page.getByTestId('directions-run').click();
    await expect.poll(async () => (await plotted())?.[0]?.x.length, { timeout: 90_000 }).toBe(11);
    const short = (await plotted())![0]!;
    expect(short.x[0]).toBeCloseTo(-0.5, 12);
    expect(short.x[10]).toBeCloseTo(0.5, 12);
    await screenshot(page, 'landscape-directions-1d');
    expect(errors).toEqual([]);
  });
  it('draws the maps in 3-D with plotly’s gl3d bundle and back in 2-D with the cartesian one, each chart in place', async () => {
    await page.getByRole('tab', { name: 'Cloud' }).click();
    await page.getByRole('button', { name: 'all', exact: true }).click();
    await mapCloud(page);
    const drawn = (): Promise<{ types: string[]; scene: boolean; cartesian: boolean }[]> =>
      page.evaluate(() =>
        ['raw', 'aligned'].map((m) => {
          const el = document.querySelector(`[data-testid="cloud-scatter-${m}-0"]`) as unknown as Element & {
            data?: { type: string }[];
          };
          return {
            types: [...new Set((el.data ?? []).map((t) => t.type))],
            scene: el.querySelector('.gl-container canvas') !== null,
            cartesian: el.querySelector('.cartesianlayer .xy') !== null,
          };
        }),
      );
    await page.getByTestId('cloud-3d').check();
    await expect
      .poll(drawn, { timeout: 60_000 })
      .toEqual([0, 1].map(() => ({ types: ['scatter3d'], scene: true, cartesian: false })));
    await screenshot(page, 'cloud-3d');
    await page.getByTestId('cloud-2d').check();
    await expect
      .poll(drawn, { timeout: 30_000 })
      .toEqual([0, 1].map(() => ({ types: ['scatter'], scene: false, cartesian: true })));
  });
});
