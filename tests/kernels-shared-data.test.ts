/**
 * Data every shard reads goes to worker threads on one SharedArrayBuffer instead of a copy per
 * thread (src/engine/kernels/shared-data.ts): population training, classifiers and zoo targets.
 * Each shard reports whether what it received is a view of shared memory; with
 * SharedArrayBuffer taken away the data is copied, as before, and the numbers are the same.
 * (Curves: tests/kernels-curve-pool.test.ts.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { enableRelaxedSimd, nodeShardPorts } from '../src/cli/kernel-pool';
import type { ClassificationData } from '../src/engine/data/eval-data';
import { coordinateGrid } from '../src/engine/inr';
import { KernelPool } from '../src/engine/kernels/pool';
import { arraySharer, canShareMemory, isShared, shareData } from '../src/engine/kernels/shared-data';
import { fitZooOnKernel } from '../src/engine/kernels/zoo-fit';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { mnistTargets } from '../src/engine/zoo/sources';

enableRelaxedSimd();

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A pool's sharing flag and members after `body` ran on it (the pool is disposed). */
async function afterRun(
  pool: KernelPool,
  body: () => Promise<unknown>,
): Promise<{ shared: boolean; models: number[][] }> {
  try {
    await body();
    return { shared: pool.sharedData, models: (await pool.models()).map((m) => Array.from(flattenModel(m))) };
  } finally {
    pool.dispose();
  }
}

/** Runs `f` with SharedArrayBuffer and again without it; both results. */
async function bothWays<T>(f: () => Promise<T>): Promise<[T, T]> {
  const shared = await f();
  vi.stubGlobal('SharedArrayBuffer', undefined);
  try {
    return [shared, await f()];
  } finally {
    vi.unstubAllGlobals();
  }
}

describe('shareData', () => {
  const data = { kind: 'classification', x: new Float32Array([1, 2]), labels: new Int32Array([3]), n: 1 };

  it('copies each typed array onto shared memory once, for two or more workers', () => {
    expect(canShareMemory()).toBe(true);
    const s = shareData(data, 2);
    expect(isShared(s.x) && isShared(s.labels)).toBe(true);
    expect(s.labels).toBeInstanceOf(Int32Array);
    expect([Array.from(s.x), Array.from(s.labels), s.n, s.kind]).toEqual([[1, 2], [3], 1, 'classification']);
    expect(shareData(s, 3).x).toBe(s.x);
    // One shard runs in this thread: nothing to share.
    expect(shareData(data, 1)).toBe(data);
  });

  it('leaves the data as it is where SharedArrayBuffer is missing', () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    expect(canShareMemory()).toBe(false);
    expect(shareData(data, 4)).toBe(data);
    const a = new Float32Array(3);
    expect(arraySharer(4)(a)).toBe(a);
  });

  it('a sharer copies an array used by many members once', () => {
    const share = arraySharer(2);
    const a = new Float32Array([5, 6]);
    const s = share(a);
    expect(isShared(s)).toBe(true);
    expect(share(a)).toBe(s);
    expect(Array.from(s)).toEqual([5, 6]);
  });
});

describe('pools on worker threads read shared data', () => {
  it('population training: the same members with shared and with copied data', async () => {
    const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };
    const x = coordinateGrid(9, 9);
    const y = Float32Array.from({ length: 81 }, (_, i) => 0.5 + 0.4 * Math.sin(i));
    const data = { kind: 'regression' as const, x, y, n: 81, inputs: 2, channels: 1 };
    const models = Array.from({ length: 4 }, (_, k) => initModel(arch, k + 1));
    const run = async () => {
      const pool = await KernelPool.create(models, data, { lr: 1e-3 }, nodeShardPorts(4, 2));
      return afterRun(pool, () => pool.step(6));
    };
    const [shared, copied] = await bothWays(run);
    expect(shared.shared).toBe(true);
    expect(copied.shared).toBe(false);
    expect(copied.models).toEqual(shared.models);
  });

  it('classifiers: the training and held-out sets shared, the same members', async () => {
    const rng = createRng(4);
    const set = (n: number): ClassificationData => ({
      kind: 'classification',
      x: Float32Array.from({ length: n * 5 }, () => rng.normal()),
      labels: Int32Array.from({ length: n }, (_, i) => i % 3),
      n,
      inputs: 5,
      classes: 3,
    });
    const [train, heldOut] = [set(60), set(20)];
    const arch: MlpArch = { widths: [5, 8, 3], activation: 'relu' };
    const models = [1, 2, 3].map((s) => initModel(arch, s));
    const opts = {
      epochs: 1,
      batch: 16,
      optimizer: 'adam' as const,
      lr: 1e-2,
      momentum: 0,
      weightDecay: 0,
      schedule: 'constant' as const,
      batchSeeds: [7, 8, 9],
    };
    const run = async () => {
      const pool = await KernelPool.createClassifier(models, train, heldOut, opts, nodeShardPorts(3, 3));
      let loss: number[] = [];
      const r = await afterRun(pool, async () => {
        await pool.step(4);
        loss = Array.from((await pool.score('heldOut')).loss);
      });
      return { ...r, loss };
    };
    const [shared, copied] = await bothWays(run);
    expect(shared.shared).toBe(true);
    expect(copied.shared).toBe(false);
    expect(copied.models).toEqual(shared.models);
    expect(copied.loss).toEqual(shared.loss);
  });

  it('zoo fitting: every member’s target reaches its thread on shared memory, the same zoo', async () => {
    const src = mnistTargets(packMnist(), { perClass: 2, seed: 3, size: 8, classes: [0, 1, 7] });
    const opts = {
      arch: { widths: [2, 8, 8, 1], activation: 'sine', w0: 30 } as MlpArch,
      maxSteps: 40,
      targetPsnr: 20,
      seed: 2,
      lr: 3e-3,
      batchSize: 2,
    };
    const [shared, copied] = await bothWays(() => fitZooOnKernel(src, opts, nodeShardPorts(6, 2)));
    expect(shared.workers).toBe(2);
    expect(shared.sharedData).toBe(true);
    expect(copied.sharedData).toBe(false);
    expect(copied.zoo!.params).toEqual(shared.zoo!.params);
  });
});
