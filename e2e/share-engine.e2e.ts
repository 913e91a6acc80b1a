/**
 * Share links carry the engine paths that trained their members (spec.trainedOn): a sender whose
 * run switched engines mid-run (tfjs, then the fused kernel) shares a Paths view of two trained
 * members, and a receiver in a fresh page trains the same members by following that schedule and
 * gets the same barriers. A receiver that lacks a path of the schedule (no WebGPU) runs the
 * closest one and says so, in a banner and in the Train badge.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeExperimentHash, defaultExperiment, encodeExperiment } from '../src/engine/experiment';
import {
  CHROMIUM_ARGS,
  appState,
  launch,
  screenshot,
  waitForPathsCurves,
  waitForState,
  watchErrors,
} from './browser';

let context: BrowserContext;
const base = inject('baseUrl');

beforeAll(async () => {
  context = await launch();
  // Two browsers with SwiftShader's WebGPU: slow to load on a loaded 2-core machine.
  context.setDefaultNavigationTimeout(120_000);
});
afterAll(async () => {
  await context?.close();
});

/** A small SIREN population on the sample image, trained with the backend choice left to the app. */
function experimentUrl(patch: (s: ReturnType<typeof defaultExperiment>) => void): string {
  const spec = defaultExperiment();
  spec.data.size = 16;
  spec.arch.hidden = [16, 16];
  spec.population.size = 2;
  spec.training.steps = 800;
  spec.training.evalEvery = 10;
  patch(spec);
  return `${base.replace(/#.*$/, '')}${encodeExperiment(spec)}`;
}

/** A fresh receiver: no stored calibration and no start-on-tfjs override from the sender's page. */
async function freshPage(ctx: BrowserContext): Promise<Page> {
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    localStorage.removeItem('weightscope.calibration.v1');
    localStorage.removeItem('weightscope.startOn');
  });
  return page;
}

describe('share links carry the engine schedule', () => {
  it('a receiver replays a sender’s switched run on the same paths and gets the same barriers', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    // Start on tfjs with nothing stored: the background calibration then moves the run to the
    // fused kernel mid-run (as e2e/train.e2e.ts shows).
    await page.addInitScript(() => {
      localStorage.removeItem('weightscope.calibration.v1');
      localStorage.setItem('weightscope.startOn', 'tfjs');
    });
    await page.goto(experimentUrl(() => undefined));
    await waitForState(page, "s && s.ready && s.run.status === 'done'", 200_000);
    const switched = await appState<string>(page, 's.backend.switched');
    expect(switched).toMatch(/^switched at step \d+ from tfjs wasm .* to the fused wasm kernel/);
    const at = Number(/step (\d+)/.exec(switched)![1]);
    const schedule = await appState<unknown[]>(
      page,
      "s.models.find((m) => m.ref?.startsWith('member:')).trainedOn",
    );
    expect(schedule).toEqual([
      { path: 'wasm', layout: 'split', fromStep: 0 },
      { path: 'fused', simd: 'relaxed', fromStep: at },
    ]);

    // Paths between the two trained members, then Share.
    await page.getByRole('tab', { name: 'Paths' }).click();
    const idOf = (k: number) => appState<string>(page, `s.models.find((m) => m.ref?.endsWith('/${k}')).id`);
    await page.getByTestId('paths-a').selectOption(await idOf(0));
    await page.getByTestId('paths-b').selectOption(await idOf(1));
    await page.getByRole('button', { name: 'Run paths' }).click();
    const sent = await waitForPathsCurves(page, 200_000);
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    const linked = decodeExperimentHash(new URL(url).hash);
    expect(linked.paths.a).toMatch(/^member:[0-9a-f]{16}\/0$/);
    expect(linked.trainedOn.schedule).toEqual(schedule);
    expect(errors).toEqual([]);
    await page.close();

    // The receiver: a fresh page, which on its own would start on the fused kernel.
    const other = await freshPage(context);
    const otherErrors = watchErrors(other);
    await other.goto(url);
    const got = await waitForPathsCurves(other, 200_000);
    got.forEach((c, i) => {
      expect(c.kind).toBe(sent[i]!.kind);
      expect(Math.abs(c.barrier - sent[i]!.barrier)).toBeLessThan(1e-6);
      c.losses.forEach((l, j) => expect(Math.abs(l - sent[i]!.losses[j]!)).toBeLessThan(1e-6));
    });
    console.log(
      `[share-engine] switched at step ${at}; barriers sent ${sent.map((c) => c.barrier).join(', ')}, replayed ${got.map((c) => c.barrier).join(', ')}`,
    );
    const replay = await appState<{ sender: unknown; here: unknown; differs: string | null }>(
      other,
      's.backend.replay',
    );
    expect(replay).toEqual({ sender: schedule, here: schedule, differs: null });
    expect(await appState<boolean>(other, 's.backend.calibration === undefined')).toBe(true);
    const badge = other.getByTestId('backend-badge');
    expect(await badge.getAttribute('data-replay')).toBe('same');
    expect(
      await other.getByTestId('banner-item').filter({ hasText: 'this browser cannot run that' }).count(),
    ).toBe(0);
    await other.getByRole('tab', { name: 'Train' }).click();
    await badge.click();
    await expect.poll(() => other.getByTestId('backend-replay').textContent()).toMatch(/same paths/);
    await screenshot(other, 'share-engine-replayed');
    expect(otherErrors).toEqual([]);
    await other.close();
  }, 420_000);

  it('a receiver without the sender’s path runs the closest one and says so in a banner and the badge', async () => {
    // The sender trains on tfjs-webgpu (chosen by hand; SwiftShader here).
    const page = await freshPage(context);
    const errors = watchErrors(page);
    await page.goto(
      experimentUrl((s) => {
        s.backend = 'webgpu';
        s.training.steps = 10;
        s.training.evalEvery = 5;
      }),
    );
    await waitForState(page, "s && s.ready && s.run.status === 'done'", 200_000);
    await page.getByTestId('share').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(decodeExperimentHash(new URL(url).hash).trainedOn.schedule).toEqual([
      { path: 'webgpu', layout: 'batched', fromStep: 0 },
    ]);
    expect(errors).toEqual([]);
    await page.close();

    // A browser with no WebGPU at all (the same Chromium without its WebGPU switches).
    const noGpu = await launch({ args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') });
    noGpu.setDefaultNavigationTimeout(120_000);
    try {
      const other = await noGpu.newPage();
      const otherErrors = watchErrors(other);
      await other.goto(url);
      await waitForState(other, "s && s.ready && s.run.status === 'done'", 200_000);
      const backend = await appState<{
        adapter: unknown;
        replay: { sender: unknown; here: { path: string }[]; differs: string | null };
      }>(other, 's.backend');
      expect(backend.adapter).toBeNull();
      expect(backend.replay.here[0]!.path).not.toBe('webgpu');
      expect(backend.replay.differs).toMatch(/webgpu/);
      const banner = other.getByTestId('banner-item').filter({ hasText: 'this browser cannot run that' });
      await expect.poll(() => banner.count()).toBe(1);
      const text = (await banner.textContent())!;
      expect(text).toContain('trained on tfjs webgpu (batched matmuls)');
      expect(text).toMatch(/so it trained them on tfjs (webgl|wasm)/);
      expect(text).toContain('may differ from the sender');
      const badge = other.getByTestId('backend-badge');
      expect(await badge.getAttribute('data-replay')).toBe('differs');
      expect(await badge.textContent()).toContain('≠ sender');
      // The members say so too (Models tab).
      expect(
        await appState<number>(other, "s.models.filter((m) => m.note?.includes('engine paths')).length"),
      ).toBe(2);
      await screenshot(other, 'share-engine-banner');
      await badge.click();
      await expect.poll(() => other.getByTestId('backend-replay').getAttribute('data-differs')).toBe('true');
      await screenshot(other, 'share-engine-badge');
      expect(otherErrors).toEqual([]);
    } finally {
      await noGpu.close();
    }
    // Two browsers and SwiftShader's WebGPU on a loaded 2-core machine.
  }, 420_000);
});
