import { describe, expect, it } from 'vitest';
import { alignModels } from '../src/engine/align';
import { mnistSplit } from '../src/engine/data/mnist';
import { forward } from '../src/engine/forward';
import { MergeInputError, forwardCorrected, preActivationStats, repairModel } from '../src/engine/merge';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { crossEntropyAccuracy } from '../src/engine/paths/evaluate-cpu';
import { lerpModels } from '../src/engine/paths/interpolate';
import { uniformBatch } from '../src/engine/align/common';
import { initNodeBackend } from '../src/cli/tf-node';
import { classificationFor } from '../src/engine/data/dataset';
import { DEFAULT_TRAINING } from '../src/engine/classifier/settings';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';
import { packMnist } from '../scripts/mnist';

describe('REPAIR (Jordan et al. 2023)', () => {
  const arch: MlpArch = { widths: [5, 32, 24, 16, 3], activation: 'relu' };
  const a = initModel(arch, 1);
  const b = alignModels(a, initModel(arch, 2)).model;
  const mid = lerpModels(a, b, 0.5);
  const n = 400;
  const x = uniformBatch(5, n, 3);

  it('folds into W and b: the folded network equals the wrapped one', () => {
    const r = repairModel(mid, [a, b], [0.5, 0.5], x, n);
    const probe = uniformBatch(5, 64, 9);
    const folded = forward(r.model, probe, 64);
    const wrapped = forwardCorrected(mid, r.corrections, probe, 64);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < folded.length; i++) {
      diff = Math.max(diff, Math.abs(folded[i]! - wrapped[i]!));
      scale = Math.max(scale, Math.abs(wrapped[i]!));
    }
    expect(diff).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    // and it did change the network
    expect(Math.abs(forward(mid, probe, 64)[0]! - folded[0]!)).toBeGreaterThan(1e-6);
  });

  it.each([0.25, 0.5, 0.8])(
    'after REPAIR at α = %s every hidden layer matches the goal within 1e-3',
    (alpha) => {
      const m = lerpModels(a, b, alpha);
      const r = repairModel(m, [a, b], [1 - alpha, alpha], x, n);
      const after = preActivationStats(r.model, x, n);
      expect(after).toHaveLength(3);
      after.forEach((s, l) => {
        for (let j = 0; j < s.mean.length; j++) {
          expect(Math.abs(s.mean[j]! - r.goal[l]!.mean[j]!)).toBeLessThanOrEqual(1e-3);
          expect(Math.abs(s.std[j]! - r.goal[l]!.std[j]!)).toBeLessThanOrEqual(1e-3);
        }
      });
      // the midpoint's variance had collapsed: before REPAIR its std sat below the goal on average
      const shrink =
        r.before[2]!.std.reduce((s, v, j) => s + v / r.goal[2]!.std[j]!, 0) / r.before[2]!.std.length;
      expect(shrink).toBeLessThan(1);
    },
  );

  it('REPAIR of an endpoint towards itself changes nothing', () => {
    const r = repairModel(a, [a], [1], x, n);
    const probe = uniformBatch(5, 32, 4);
    const y0 = forward(a, probe, 32);
    const y1 = forward(r.model, probe, 32);
    for (let i = 0; i < y0.length; i++) expect(Math.abs(y0[i]! - y1[i]!)).toBeLessThan(1e-5);
  });

  it('refuses bad inputs with the reason', () => {
    expect(() => repairModel(mid, [a, b], [1], x, n)).toThrow(MergeInputError);
    expect(() => repairModel(mid, [a, b], [0.5, 0.5], x, 1)).toThrow(/at least 2 examples/);
    expect(() => repairModel(mid, [a, b], [0.5, NaN], x, n)).toThrow(/finite/);
  });

  it('lowers the aligned midpoint loss of two MNIST MLPs trained apart', async () => {
    await initNodeBackend('wasm');
    const bin = packMnist();
    const train = classificationFor(mnistSplit(bin, 'train'), 'MNIST', 784, 10);
    const test = classificationFor(mnistSplit(bin, 'score'), 'MNIST', 784, 10);
    // Deep and narrow, where Jordan et al. find variance collapse strongest: 784-32×4-10, two
    // seeds, each its own minibatch order.
    const arch: MlpArch = { widths: [784, 32, 32, 32, 32, 10], activation: 'relu' };
    // ~6 epochs of 70 minibatches of 128 (Adam, lr 2e-3), each model its own batch order.
    const settings = { ...DEFAULT_TRAINING, epochs: 6, lr: 2e-3, batch: 128 };
    const m1 = (
      await trainClassifierRun([initModel(arch, 101)], train, test, { ...settings, batchSeeds: [1] })
    ).models[0];
    const m2 = (
      await trainClassifierRun([initModel(arch, 202)], train, test, { ...settings, batchSeeds: [2] })
    ).models[0];
    const aligned = alignModels(m1!, m2!, { method: 'weight', seed: 0 }).model;
    const mid = lerpModels(m1!, aligned, 0.5);
    // measure on 1,000 training digits, score on the held-out 1,000 scoring digits
    const r = repairModel(mid, [m1!, aligned], [0.5, 0.5], train.x.subarray(0, 1000 * 784), 1000);
    const loss = (m: Model): number =>
      crossEntropyAccuracy(forward(m, test.x, test.n), test.labels, test.n, 10).loss;
    const before = loss(mid);
    const after = loss(r.model);
    console.log(
      `MNIST 784-32×4-10: endpoints ${loss(m1!).toFixed(4)} / ${loss(m2!).toFixed(4)}, ` +
        `aligned midpoint ${before.toFixed(4)} → ${after.toFixed(4)} with REPAIR`,
    );
    expect(after).toBeLessThan(before);
  });
});
