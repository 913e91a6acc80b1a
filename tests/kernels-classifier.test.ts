/**
 * The classifier trainer on the fused kernel (src/engine/classifier/kernel-trainer.ts) against the
 * tfjs ClassifierTrainer, its reference: same initial weights, same batch orders, 20 minibatch
 * steps, every weight within 1e-4 relative; for ReLU, GELU and tanh, Adam and SGD with momentum
 * and weight decay, a cosine schedule, K = 1, 3 and 32, odd widths and a batch that does not fill
 * a tile nor divide the data (so the epoch's short last batch is covered).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { KernelClassifierTrainer } from '../src/engine/classifier/kernel-trainer';
import type { ClassifierTraining } from '../src/engine/classifier/settings';
import type { ClassificationData } from '../src/engine/data/eval-data';
import { bestFlavour, type KernelFlavour } from '../src/engine/kernels/mlp-kernel';
import { initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { worstRelative } from './kernel-compare';

beforeAll(async () => {
  await initNodeBackend('cpu');
});
// Both builds where the runtime has both (Node 20: relaxed SIMD behind the flag the CLI sets).
enableRelaxedSimd();
const FLAVOURS: KernelFlavour[] = bestFlavour() === 'relaxed' ? ['simd', 'relaxed'] : ['simd'];

/** n examples of `inputs` Gaussian features, labels from two of them; seeded. */
export function toyData(n: number, inputs: number, classes: number, seed = 9): ClassificationData {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * inputs }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) =>
    Math.min(classes - 1, (x[inputs * i]! > 0 ? 1 : 0) + (x[inputs * i + 1]! > 0.3 ? 2 : 0)),
  );
  return { kind: 'classification', x, labels, n, inputs, classes };
}

const ADAM: ClassifierTraining = {
  epochs: 3,
  batch: 13,
  optimizer: 'adam',
  lr: 1e-2,
  momentum: 0,
  weightDecay: 0,
  schedule: 'constant',
};
const SGD: ClassifierTraining = { ...ADAM, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 };

const CASES: { name: string; arch: MlpArch; k: number; training: ClassifierTraining }[] = [
  {
    name: 'ReLU 5→12→7→4, Adam, K=1',
    arch: { widths: [5, 12, 7, 4], activation: 'relu' },
    k: 1,
    training: ADAM,
  },
  {
    name: 'GELU 5→9→4, Adam + weight decay, cosine, K=3',
    arch: { widths: [5, 9, 4], activation: 'gelu' },
    k: 3,
    training: { ...ADAM, weightDecay: 1e-2, schedule: 'cosine' },
  },
  {
    name: 'tanh 5→11→6→4, SGD + momentum + weight decay, K=3',
    arch: { widths: [5, 11, 6, 4], activation: 'tanh' },
    k: 3,
    training: SGD,
  },
  {
    name: 'ReLU 5→10→4, SGD + momentum, cosine, K=32',
    arch: { widths: [5, 10, 4], activation: 'relu' },
    k: 32,
    training: { ...SGD, weightDecay: 0, schedule: 'cosine' },
  },
  {
    name: 'GELU 5→7→7→4, plain SGD, K=32',
    arch: { widths: [5, 7, 7, 4], activation: 'gelu' },
    k: 32,
    training: { ...SGD, momentum: 0, weightDecay: 0 },
  },
  {
    name: 'tanh 5→13→4, Adam, K=32',
    arch: { widths: [5, 13, 4], activation: 'tanh' },
    k: 32,
    training: ADAM,
  },
];

describe('classifier training on the fused kernel vs tfjs (20 steps)', () => {
  // 47 examples in batches of 13: three full batches and a short one of 8 per epoch.
  const data = toyData(47, 5, 4);
  for (const c of CASES)
    for (const flavour of FLAVOURS) {
      it(`${c.name}, ${flavour} SIMD`, async () => {
        const models = Array.from({ length: c.k }, (_, k) => initModel(c.arch, 40 + k));
        const batchSeeds = models.map((_, k) => 7 + 3 * k);
        const ref = new ClassifierTrainer(models, data, { ...c.training, batchSeeds });
        const fused = new KernelClassifierTrainer(models, data, { ...c.training, batchSeeds, flavour });
        try {
          expect(fused.stepsPerEpoch).toBe(ref.stepsPerEpoch);
          const before = fused.score(data);
          const refBefore = await ref.score(data);
          before.loss.forEach((v, k) => expect(Math.abs(v - refBefore.loss[k]!)).toBeLessThan(1e-5));
          for (let s = 0; s < 20; s++) {
            expect(fused.lr).toBe(ref.lr);
            ref.step();
            fused.step();
          }
          expect(worstRelative(fused.models(), await ref.models())).toBeLessThan(1e-4);
          // The epoch's loss as tfjs reports it (the loss of each batch before its step), and scores.
          const [tl, rl] = [fused.epochTrainLoss(), await ref.epochTrainLoss()];
          tl.forEach((v, k) => expect(Math.abs(v - rl[k]!)).toBeLessThan(1e-4 * (1 + rl[k]!)));
          const [fs, rs] = [fused.score(data), await ref.score(data)];
          fs.loss.forEach((v, k) => expect(Math.abs(v - rs.loss[k]!)).toBeLessThan(1e-4 * (1 + rs.loss[k]!)));
          expect(Array.from(fs.accuracy)).toEqual(Array.from(rs.accuracy));
          // Training did something.
          fs.loss.forEach((v, k) => expect(v).toBeLessThan(before.loss[k]!));
        } finally {
          ref.dispose();
        }
      });
    }
});
