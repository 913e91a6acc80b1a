/**
 * Population training on the fused WebAssembly kernel in the real engine worker (members split
 * over nested Web Workers), against the tfjs reference on the same job; the badge says which ran.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launch, screenshot, waitForState, watchErrors } from './browser';

let context: BrowserContext;
const base = inject('baseUrl');

beforeAll(async () => {
  context = await launch();
});
afterAll(async () => {
  await context?.close();
});

interface Backend {
  name: string;
  reason: string;
  kernel?: { flavour: string; workers: number };
  kernelReason?: string;
  calibration?: { backend: string; msPerStep?: number }[];
}

describe('fused kernel in the browser', () => {
  it('trains a population in the worker on the fused kernel and matches tfjs', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    // The default experiment (SIREN, independent members) trains on the kernel at once and
    // calibrates the rest while it trains; stop it once that is done, so the worker is free for
    // the jobs below.
    await page.goto(base);
    await waitForState(page, "s && s.ready && s.run.status === 'training'", 200_000);
    await waitForState(page, 's.backend && s.backend.calibrating === false', 200_000);
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForState(page, "s.run.status !== 'training'");
    const first = await page.evaluate(
      () =>
        (
          window as unknown as { __weightscope: { getState(): { backend: Backend } } }
        ).__weightscope.getState().backend,
    );
    expect(first.calibration?.some((r) => r.backend === 'fused')).toBe(true);
    const badge = page.getByTestId('backend-badge');
    await expect.poll(() => badge.getAttribute('data-kernel')).toBe(first.kernel ? 'fused' : 'tfjs');
    await screenshot(page, 'kernels-badge');

    const out = await page.evaluate(async () => {
      const ws = (window as unknown as { __weightscope: { ask(t: string, p: unknown): Promise<unknown> } })
        .__weightscope;
      // The default experiment's shape (SIREN 3×32, 8 members, 32×32), so its calibration is reused.
      const size = 32;
      const data = Float32Array.from({ length: size * size }, (_, i) => 0.5 + 0.4 * Math.sin(0.7 * i));
      const job = {
        arch: { widths: [2, 32, 32, 32, 1], activation: 'sine', w0: 30 },
        seeds: [11, 12, 13, 14, 15, 16, 17, 18],
        target: { width: size, height: size, channels: 1, data },
        targetId: 'kernel-test',
        targetLabel: 'kernel test',
        steps: 25,
        lr: 1e-3,
        evalEvery: 5,
        batchFraction: 1,
        noiseSeed: 0,
        backend: 'auto',
        group: 'fused',
      };
      type R = { mse: Float32Array; backend: Backend; steps: number };
      const fused = (await ws.ask('train', job)) as R;
      const ref = (await ws.ask('train', { ...job, backend: 'wasm', group: 'tfjs' })) as R;
      return {
        fused: { mse: Array.from(fused.mse), backend: fused.backend, steps: fused.steps },
        ref: { mse: Array.from(ref.mse), backend: ref.backend, steps: ref.steps },
      };
    });
    expect(out.fused.steps).toBe(25);
    expect(out.fused.backend.kernel?.workers).toBeGreaterThanOrEqual(1);
    expect(out.fused.backend.reason).toMatch(/^fused wasm kernel/);
    expect(out.ref.backend.kernel).toBeUndefined();
    expect(out.ref.backend.kernelReason).toBe('backend wasm chosen by hand');
    out.fused.mse.forEach((m, k) =>
      expect(Math.abs(m - out.ref.mse[k]!)).toBeLessThan(1e-4 * out.ref.mse[k]!),
    );
    expect(errors).toEqual([]);
  }, 300_000);
});
