/**
 * The classifier trainer on the fused kernel (src/engine/classifier/kernel-trainer.ts) against the
 * tfjs ClassifierTrainer, its reference: same initial weights, same batch orders, 20 minibatch
 * steps, every weight within 1e-4 relative; for ReLU, GELU and tanh, Adam and SGD with momentum
 * and weight decay, a cosine schedule, K = 1, 3 and 32, odd widths and a batch that does not fill
 * a tile nor divide the data (so the epoch's short last batch is covered).
 */
import { describe, expect, it } from 'vitest';
import { shardPortsFor } from '../src/cli/kernel-pool';
import { packMnist } from '../src/cli/mnist';
import { asClassification, mnistTrainTest } from '../src/engine/classifier/data';
import { classifierKernelCoverage, KernelClassifierTrainer } from '../src/engine/classifier/kernel-trainer';
import {
  classifierPopulation,
  DEFAULT_CLASSIFIER,
  type ClassifierTraining,
} from '../src/engine/classifier/settings';
import type { ClassificationData } from '../src/engine/data/eval-data';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';
import { kernelTestSetup, worstRelative } from './kernel-compare';

const FLAVOURS = kernelTestSetup();

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

describe('classifier runs on the fused kernel', () => {
  const data = toyData(61, 5, 4, 4);
  const arch: MlpArch = { widths: [5, 9, 7, 4], activation: 'gelu' };
  const models = Array.from({ length: 5 }, (_, k) => initModel(arch, 70 + k));
  const batchSeeds = models.map((_, k) => 100 + k);
  const training: ClassifierTraining = { ...SGD, epochs: 2, schedule: 'cosine' };
  const opts = { ...training, batchSeeds };

  it('1, 2 and 4 worker threads give identical members, equal to one trainer in this thread', async () => {
    const single = new KernelClassifierTrainer(models, data, opts);
    while (single.steps < single.stepsPerEpoch * training.epochs) single.step();
    const expected = single.models().map(flattenModel);
    const heldOut = single.score(data);
    for (const threads of [1, 2, 4]) {
      let opened = 0;
      const ports = (members: number) => {
        const p = shardPortsFor(threads)(members);
        opened = p.length;
        return p;
      };
      const r = await trainClassifierRun(models, data, data, opts, { kernel: { choice: 'fused', ports } });
      expect(opened).toBe(threads);
      expect(r.kernel).toMatch(new RegExp(`^fused wasm \\w+ × ${threads} worker`));
      r.models.map(flattenModel).forEach((m, k) => expect(Array.from(m)).toEqual(Array.from(expected[k]!)));
      expect(Array.from(r.heldOut.loss)).toEqual(Array.from(heldOut.loss));
      expect(r.history).toHaveLength(2);
    }
  });

  it('keeps its memory fixed over 1,000 steps (every batch and score written in place)', () => {
    const t = new KernelClassifierTrainer(models, data, { ...opts, epochs: 200 });
    const bytes = t.byteLength;
    expect(bytes).toBe(t.memoryBytes);
    for (let s = 0; s < 1000; s++) {
      t.step();
      if (s % 100 === 0) t.score(data);
    }
    expect(t.steps).toBe(1000);
    expect(t.byteLength).toBe(bytes);
  });

  it('Stop mid-epoch keeps every member at the same step; an abort keeps nothing and closes every worker', async () => {
    let calls = 0;
    const stopped = await trainClassifierRun(models, data, data, opts, {
      kernel: { choice: 'fused', ports: shardPortsFor(2) },
      stop: () => ++calls > 7,
    });
    expect(stopped.stopped).toBe(true);
    const seven = new KernelClassifierTrainer(models, data, opts);
    for (let s = 0; s < 7; s++) seven.step();
    stopped.models
      .map(flattenModel)
      .forEach((m, k) => expect(Array.from(m)).toEqual(Array.from(flattenModel(seven.models()[k]!))));
    expect(stopped.history.at(-1)!.epoch).toBeCloseTo(7 / seven.stepsPerEpoch, 10);

    const ctl = new AbortController();
    const closed: number[] = [];
    const ports = (members: number) =>
      shardPortsFor(2)(members).map((p, i) => ({ ...p, close: () => (closed.push(i), p.close()) }));
    let progress = 0;
    await expect(
      trainClassifierRun(models, data, data, opts, {
        kernel: { choice: 'fused', ports },
        signal: ctl.signal,
        stop: () => {
          if (++progress === 5) ctl.abort(new Error('cancelled mid-run'));
          return false;
        },
      }),
    ).rejects.toThrow(/cancelled mid-run/);
    expect(closed.sort()).toEqual([0, 1]);
  });

  it("falls back to tfjs with the reason where the kernel does not cover the run; 'fused' refuses", async () => {
    const quick = { ...opts, epochs: 1 };
    const r = await trainClassifierRun(models, data, data, quick, { kernel: { choice: 'tfjs' } });
    expect(r.kernel).toBe('tfjs cpu (fused kernel: tfjs chosen)');
    // 32 linear layers: one more than the kernel's per-layer tables hold.
    const deep: MlpArch = { widths: [5, ...Array.from({ length: 31 }, () => 6), 4], activation: 'tanh' };
    const deepModels = [initModel(deep, 3)];
    const r2 = await trainClassifierRun(deepModels, data, data, { ...quick, batchSeeds: [1] });
    expect(r2.kernel).toBe('tfjs cpu (fused kernel: more than 31 layers)');
    expect(r2.history).toHaveLength(1);
    await expect(
      trainClassifierRun(
        deepModels,
        data,
        data,
        { ...quick, batchSeeds: [1] },
        { kernel: { choice: 'fused' } },
      ),
    ).rejects.toThrow(/fused kernel: more than 31 layers/);
    // Memory is budgeted before anything is allocated.
    expect(classifierKernelCoverage({ widths: [784, 1024, 10], activation: 'relu' }, 32, 65_536)).toMatch(
      /MiB of kernel memory, over its 1024 MiB/,
    );
    expect(
      classifierKernelCoverage({ widths: [784, 512, 512, 512, 10], activation: 'relu' }, 32, 128),
    ).toBeNull();
  });
});

describe('MNIST end to end', () => {
  it('784-64-10 after one epoch: kernel and tfjs reach the same held-out accuracy (within 2 points, both ≥ 85 %)', async () => {
    const split = mnistTrainTest(packMnist());
    const s = { ...DEFAULT_CLASSIFIER, hidden: [64], epochs: 1, lr: 2e-3, seed: 3 };
    const pop = classifierPopulation(s, 784, 10);
    const run = (choice: 'fused' | 'tfjs') =>
      trainClassifierRun(
        pop.models,
        asClassification(split.train),
        asClassification(split.heldOut),
        { ...s, batchSeeds: pop.batchSeeds },
        { kernel: { choice } },
      );
    const fused = await run('fused');
    const ref = await run('tfjs');
    expect(fused.kernel).toMatch(/^fused wasm/);
    const [a, b] = [fused.heldOut.accuracy[0]!, ref.heldOut.accuracy[0]!];
    expect(a).toBeGreaterThanOrEqual(0.85);
    expect(b).toBeGreaterThanOrEqual(0.85);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(fused.history[0]!.trainLoss[0]! - ref.history[0]!.trainLoss[0]!)).toBeLessThan(0.01);
  }, 120_000);
});
