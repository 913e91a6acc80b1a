/**
 * Zoo fitting: a member trained in a batch (joining late, beside others) ends exactly where it
 * would alone; early stopping, cancel-keeps-what-is-done and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid, mse, psnr } from '../src/engine/inr';
import { forward } from '../src/engine/forward';
import type { MlpArch } from '../src/engine/model';
import { fitZoo, largestBatch } from '../src/engine/tf/zoo-fit';
import { memberModel } from '../src/engine/zoo/members';
import { mnistTargets, resampleSquare, seedTargets } from '../src/engine/zoo/sources';

const arch: MlpArch = { widths: [2, 8, 8, 1], activation: 'sine', w0: 30 };
const src = mnistTargets(packMnist(), { perClass: 2, seed: 3, size: 8, classes: [0, 1, 7] });

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('MNIST targets', () => {
  it('choose perClass digits of each class, seeded, area-resampled', () => {
    expect(src.targets.map((t) => t.label)).toEqual([0, 0, 1, 1, 7, 7]);
    const again = mnistTargets(packMnist(), { perClass: 2, seed: 3, size: 8, classes: [0, 1, 7] });
    expect(again.targets.map((t) => t.sourceIndex)).toEqual(src.targets.map((t) => t.sourceIndex));
    // A 2×2 mean: the 4×4 → 2×2 resample of a ramp averages each quadrant.
    expect(
      Array.from(
        resampleSquare(
          Float32Array.from({ length: 16 }, (_, i) => i),
          4,
          2,
        ),
      ),
    ).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
});

describe('fitZoo', () => {
  it('batched and refilled = one by one, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const opts = { arch, maxSteps: 30, targetPsnr: 99, seed: 5, lr: 3e-3, evalEvery: 10 };
    const together = await fitZoo(src, { ...opts, batchSize: 4 });
    const alone = await fitZoo(src, { ...opts, batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(together.done).toBe(6);
    let maxDiff = 0;
    for (let i = 0; i < together.zoo!.params.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(together.zoo!.params[i]! - alone.zoo!.params[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Array.from(together.zoo!.labels)).toEqual([0, 0, 1, 1, 7, 7]);
  });

  it('stops each member at the target PSNR, and its recorded PSNR is what its weights give', async () => {
    const r = await fitZoo(src, { arch, maxSteps: 400, targetPsnr: 22, seed: 1, lr: 3e-3 });
    const zoo = r.zoo!;
    const steps = zoo.columns.find((c) => c.name === 'steps')!.data;
    const ps = zoo.columns.find((c) => c.name === 'psnr')!.data;
    const grid = coordinateGrid(8, 8);
    for (let i = 0; i < zoo.n; i++) {
      expect(steps[i]).toBeLessThan(400);
      expect(ps[i]).toBeGreaterThanOrEqual(22);
      const got = psnr(mse(forward(memberModel(zoo, i), grid, 64), src.targets[i]!.pixels));
      expect(Math.abs(got - ps[i]!)).toBeLessThan(0.05);
    }
    expect(zoo.meta.inr).toEqual({ height: 8, width: 8, channels: 1 });
  });

  it('stop keeps the members already done; a cancel rejects and keeps nothing', async () => {
    const targets = seedTargets(
      { height: 8, width: 8, channels: 1, data: src.targets[0]!.pixels },
      6,
      'zero',
    );
    const opts = { arch, maxSteps: 20, targetPsnr: 99, seed: 2, batchSize: 2 };
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    const r = await fitZoo(targets, {
      ...opts,
      stop: stop.signal,
      onProgress: (p) => p.done >= 2 && stop.abort(),
    });
    const cancel = new AbortController();
    const cancelled = fitZoo(targets, {
      ...opts,
      signal: cancel.signal,
      onProgress: (p) => p.done >= 2 && cancel.abort(),
    });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.stopped).toBe(true);
    expect(r.done).toBe(2);
    expect(r.zoo!.n).toBe(2);
    expect(Array.from(r.zoo!.columns.find((c) => c.name === 'source_index')!.data)).toEqual([0, 1]);
  });

  it('picks the largest batch that fits the budget', () => {
    const small = largestBatch({ widths: [2, 32, 32, 1], activation: 'sine' }, 784, 64 * 2 ** 20, 10_000);
    const big = largestBatch({ widths: [2, 32, 32, 1], activation: 'sine' }, 784, 256 * 2 ** 20, 10_000);
    expect(big).toBeGreaterThan(small);
    expect(largestBatch({ widths: [2, 32, 32, 1], activation: 'sine' }, 784, 2 ** 40, 50)).toBe(50);
  });
});
