/**
 * Learning on weights: the exact augmentations leave every INR's function unchanged, the NP
 * network is invariant to hidden permutations and sign flips while the MLP is not, and on a small
 * MNIST-INR zoo built here the invariant network beats the MLP on held-out members; training
 * replays from its seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { initNodeBackend } from '../src/cli/tf-node';
import { applyPermutations, mlpPermutationSpec } from '../src/engine/align/index';
import { forward } from '../src/engine/forward';
import { coordinateGrid } from '../src/engine/inr';
import { flattenModel, initModel, unflattenModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { fitZoo } from '../src/engine/tf/zoo-fit';
import { trainWeightSpace } from '../src/engine/tf/ws-train';
import { augmentBatch } from '../src/engine/weightspace/augment';
import {
  applySymmetry,
  canonicalSigns,
  randomBiasShift,
  randomSigns,
  randomSymmetry,
} from '../src/engine/weightspace/symmetry';
import type { ZooSplit } from '../src/engine/zoo/members';
import { mnistTargets } from '../src/engine/zoo/sources';
import type { Zoo } from '../src/engine/zoo/types';

const siren: MlpArch = { widths: [2, 16, 12, 1], activation: 'sine', w0: 30 };
const grid = coordinateGrid(14, 14);
const asModel = (arch: MlpArch, row: Float32Array) => unflattenModel({ arch, params: {} }, row);
const out = (arch: MlpArch, row: Float32Array): Float32Array => forward(asModel(arch, row), grid, 196);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
/** A trained-looking SIREN row: its init, with first-layer weights scaled up as training does. */
const rowOf = (seed: number): Float32Array => flattenModel(initModel(siren, seed));

describe('weight-space symmetries', () => {
  it('a random permutation + sign flip equals the align module applying the same symmetry', () => {
    const rng = createRng(1);
    const row = rowOf(1);
    const sym = randomSymmetry(siren, rng, true);
    const ref = applyPermutations(
      asModel(siren, row),
      mlpPermutationSpec(siren),
      { P_0: sym.perms[0]!, P_1: sym.perms[1]! },
      {
        P_0: sym.signs![0]!,
        P_1: sym.signs![1]!,
      },
    );
    expect(applySymmetry(row, siren, sym)).toEqual(flattenModel(ref));
  });

  it.each([
    [
      'permutation + signs',
      (r: Float32Array, rng: ReturnType<typeof createRng>) =>
        applySymmetry(r, siren, randomSymmetry(siren, rng, true)),
    ],
    [
      'negation',
      (r: Float32Array, rng: ReturnType<typeof createRng>) =>
        applySymmetry(r, siren, randomSigns(siren, rng)),
    ],
    [
      'bias shift by kπ/w0',
      (r: Float32Array, rng: ReturnType<typeof createRng>) => randomBiasShift(r, siren, rng),
    ],
  ])('%s keeps every INR output within 1e-5', (_, aug) => {
    const rng = createRng(7);
    for (let s = 0; s < 5; s++) {
      const row = rowOf(s);
      const moved = aug(row, rng);
      expect(maxDiff(moved, row)).toBeGreaterThan(1e-3);
      expect(maxDiff(out(siren, moved), out(siren, row))).toBeLessThan(1e-5);
    }
  });

  it('sign canonicalisation maps sign-flipped rows to one row, and keeps the function', () => {
    const rng = createRng(3);
    const row = rowOf(4);
    const canon = canonicalSigns(row, siren);
    expect(canonicalSigns(applySymmetry(row, siren, randomSigns(siren, rng)), siren)).toEqual(canon);
    expect(maxDiff(out(siren, canon), out(siren, row))).toBeLessThan(1e-5);
  });

  it('noise, dropout and MixUp change rows; MixUp targets stay distributions', () => {
    const rows = [rowOf(1), rowOf(2), rowOf(3)];
    const targets = [new Float32Array([1, 0]), new Float32Array([0, 1]), new Float32Array([1, 0])];
    const b = augmentBatch({ rows, targets }, siren, ['noise', 'dropout', 'mixup'], createRng(2));
    b.rows.forEach((r, i) => expect(maxDiff(r, rows[i]!)).toBeGreaterThan(1e-4));
    b.targets.forEach((t) => expect(t[0]! + t[1]!).toBeCloseTo(1, 6));
    expect(b.targets.some((t) => t[0]! > 0 && t[0]! < 1)).toBe(true);
  });
});

describe('weight-space classifiers on an MNIST-INR zoo', () => {
  let zoo: Zoo;
  let split: ZooSplit;
  beforeAll(async () => {
    await initNodeBackend('wasm');
    tf.enableProdMode();
    // 2 digit classes × 100 INRs (2→16→16→1) at 14×14, each fitted to 30 dB or 60 steps.
    const src = mnistTargets(packMnist(), { perClass: 100, seed: 1, size: 14, classes: [0, 1] });
    const r = await fitZoo(src, {
      arch: { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 },
      maxSteps: 60,
      targetPsnr: 30,
      seed: 1,
      lr: 3e-3,
    });
    zoo = r.zoo!;
    // Two thirds train, one third held out, alternating within each class.
    split = { train: [], val: [], test: [], source: 'seeded' };
    for (let i = 0; i < zoo.n; i++) (i % 3 === 2 ? split.test : split.train).push(i);
  }, 180_000);

  it('np beats mlp on held-out members; np is invariant to permutations and sign flips, mlp is not', async () => {
    const before = tf.memory().numTensors;
    const mlp = await trainWeightSpace(zoo, split, { method: 'mlp', epochs: 10, seed: 1 });
    const np = await trainWeightSpace(zoo, split, { method: 'np', epochs: 10, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(np.invarianceMaxDiff).toBeLessThanOrEqual(1e-4);
    expect(mlp.invarianceMaxDiff).toBeGreaterThan(1e-2);
    expect(np.testAccuracy).toBeGreaterThan(mlp.testAccuracy + 0.1);
    expect(np.testAccuracy).toBeGreaterThanOrEqual(0.7);
    expect(np.confusion.flat().reduce((a, b) => a + b, 0)).toBe(split.test.length);
  }, 180_000);

  it('replays exactly from its seed, augmentations included', async () => {
    const opts = {
      method: 'mlp-augmented' as const,
      epochs: 2,
      seed: 4,
      augment: ['bias', 'noise', 'mixup'] as const,
    };
    const a = await trainWeightSpace(zoo, split, { ...opts, augment: [...opts.augment] });
    const b = await trainWeightSpace(zoo, split, { ...opts, augment: [...opts.augment] });
    expect(b.epochs).toEqual(a.epochs);
    expect(b.invarianceMaxDiff).toBe(a.invarianceMaxDiff);
  }, 60_000);

  it('an abort rejects with AbortError, returns nothing and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const seen: number[] = [];
    const run = trainWeightSpace(zoo, split, {
      method: 'np',
      epochs: 3,
      seed: 1,
      signal: ctrl.signal,
      onEpoch: (e) => {
        seen.push(e.epoch);
        ctrl.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('mlp-aligned routes every member through weight matching', async () => {
    const r = await trainWeightSpace(zoo, split, {
      method: 'mlp-aligned',
      epochs: 1,
      seed: 2,
      augment: ['mixup-aligned'],
    });
    expect(r.epochs).toHaveLength(1);
    expect(Number.isFinite(r.invarianceMaxDiff)).toBe(true);
  }, 60_000);
});
