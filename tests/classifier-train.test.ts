import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { packMnist } from '../src/cli/mnist';
import { initNodeBackend } from '../src/cli/tf-node';
import {
  asClassification,
  checkTrainData,
  formatClassList,
  mnistTrainTest,
  parseClassList,
  selectClasses,
  splitHeldOut,
} from '../src/engine/classifier/data';
import { BatchOrder, learningRateAt } from '../src/engine/classifier/schedule';
import {
  checkClassifierSettings,
  ClassifierSettingsError,
  classifierPopulation,
  DEFAULT_CLASSIFIER,
  type ClassifierSettings,
} from '../src/engine/classifier/settings';
import { DatasetError, type LabelledDataset } from '../src/engine/data/dataset';
import { MNIST_SCORE_PER_CLASS } from '../src/engine/data/mnist';
import { flattenModel, initModel } from '../src/engine/model';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { createRng } from '../src/engine/rng';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';

/** Three Gaussian blobs in 4-D, labels by blob; seeded. */
function blobs(n = 90, seed = 3): LabelledDataset {
  const rng = createRng(seed);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === labels[i] ? 2 : 0) + 0.5 * rng.normal();
  }
  return { x, labels, n, inputs: 4, classes: 3 };
}

const tiny: ClassifierSettings = { ...DEFAULT_CLASSIFIER, hidden: [16], batch: 16, epochs: 4, lr: 1e-2 };

beforeAll(async () => {
  tf.enableProdMode();
  await initNodeBackend('wasm');
});

describe('the MNIST split', () => {
  const split = mnistTrainTest(packMnist());

  it('holds out the 1,000-digit scoring subset and never trains on it', () => {
    expect(split.heldOut.n).toBe(10 * MNIST_SCORE_PER_CLASS);
    expect(split.train.n).toBe(9000);
    const held = new Set(split.heldOutRows);
    expect(split.trainRows.some((r) => held.has(r))).toBe(false);
    expect(new Set([...split.trainRows, ...split.heldOutRows]).size).toBe(10_000);
    for (let c = 0; c < 10; c++) expect(split.heldOut.labels.filter((l) => l === c).length).toBe(100);
  });

  it('splits a dropped dataset per class, seeded, without overlap', () => {
    const d = blobs(300);
    const a = splitHeldOut(d, 0.2, 5);
    expect(a.heldOut.n).toBe(60);
    expect(a.train.n).toBe(240);
    const held = new Set(a.heldOutRows);
    expect(a.trainRows.some((r) => held.has(r))).toBe(false);
    expect(Array.from(splitHeldOut(d, 0.2, 5).heldOutRows)).toEqual(Array.from(a.heldOutRows));
    expect(Array.from(splitHeldOut(d, 0.2, 6).heldOutRows)).not.toEqual(Array.from(a.heldOutRows));
  });
});

describe('pure parts', () => {
  it('shuffles every epoch from the seed, each example once', () => {
    const o = new BatchOrder(10, 4, 1);
    const epoch0 = [...o.indices(0, 0), ...o.indices(0, 1), ...o.indices(0, 2)];
    expect(epoch0.length).toBe(10);
    expect(new Set(epoch0).size).toBe(10);
    const epoch1 = [...o.indices(1, 0), ...o.indices(1, 1), ...o.indices(1, 2)];
    expect(epoch1).not.toEqual(epoch0);
    expect([...new BatchOrder(10, 4, 1).indices(0, 0)]).toEqual(epoch0.slice(0, 4));
  });

  it('anneals the cosine schedule from lr to 0', () => {
    expect(learningRateAt('cosine', 0.1, 0, 100)).toBeCloseTo(0.1, 12);
    expect(learningRateAt('cosine', 0.1, 50, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt('cosine', 0.1, 100, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt('constant', 0.1, 70, 100)).toBe(0.1);
  });

  it('parses class lists', () => {
    expect(parseClassList('0-4')).toEqual([0, 1, 2, 3, 4]);
    expect(parseClassList('7, 1,3-4')).toEqual([1, 3, 4, 7]);
    expect(formatClassList([0, 1, 2, 3, 4, 7])).toBe('0-4,7');
    expect(() => parseClassList('3-12')).toThrow(/class 12 does not exist/);
    expect(() => parseClassList('a')).toThrow(DatasetError);
  });
});

describe('bad input is refused with the reason', () => {
  it('settings: 0 epochs, NaN lr, 7 hidden layers, a width of 4', () => {
    const bad = { ...tiny, epochs: 0, lr: NaN, hidden: [4, 8, 8, 8, 8, 8, 8] };
    let err: ClassifierSettingsError | null = null;
    try {
      checkClassifierSettings(bad);
    } catch (e) {
      err = e as ClassifierSettingsError;
    }
    expect(err).toBeInstanceOf(ClassifierSettingsError);
    const text = err!.reasons.join('\n');
    expect(text).toMatch(/epochs must be a whole number from 1/);
    expect(text).toMatch(/learning rate must be a number above 0.*got NaN/);
    expect(text).toMatch(/1 to 6 hidden layers, got 7/);
    expect(text).toMatch(/hidden layer 1 has 4 units/);
    expect(() => checkClassifierSettings(tiny)).not.toThrow();
  });

  it('data: one class, labels out of range, a batch larger than the data', () => {
    const d = blobs();
    expect(() => checkTrainData(selectClasses(d, [1]), { batch: 8 })).toThrow(/only class 1.*at least two/);
    const wild = { ...d, labels: d.labels.map((l, i) => (i === 5 ? 9 : l)) };
    expect(() => checkTrainData(wild, { batch: 8, outputs: 3 })).toThrow(/label 9 at row 5 is outside 0–2/);
    expect(() => checkTrainData(d, { batch: 500 })).toThrow(/batch size 500 is larger.*90 examples/);
    expect(() => checkTrainData(d, { batch: 90 })).not.toThrow();
  });

  it('the trainer itself refuses what slipped past (NaN lr), creating no tensors', () => {
    const before = tf.memory().numTensors;
    const data = asClassification(blobs());
    const m = [initModel({ widths: [4, 16, 3], activation: 'relu' }, 1)];
    expect(() => new ClassifierTrainer(m, data, { ...tiny, lr: NaN, batchSeeds: [1] })).toThrow(
      /learning rate/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('training', () => {
  // Every run is checked on both paths: the fused kernel (the default) and tfjs (the reference).
  const PATHS = [
    { choice: 'fused', path: /^fused wasm/ },
    { choice: 'tfjs', path: /^tfjs wasm/ },
  ] as const;

  it.each(PATHS)('learns, replays bit for bit from the seed, and leaks no tensors ($choice)', async (p) => {
    const data = asClassification(blobs());
    for (const optimizer of ['adam', 'sgd'] as const) {
      const s = { ...tiny, population: 2, optimizer, lr: optimizer === 'sgd' ? 0.1 : 1e-2 };
      const pop = classifierPopulation(s, 4, 3);
      const before = tf.memory().numTensors;
      const run = () =>
        trainClassifierRun(pop.models, data, data, { ...s, batchSeeds: pop.batchSeeds }, { kernel: p });
      const a = await run();
      expect(a.kernel).toMatch(p.path);
      expect(tf.memory().numTensors).toBe(before);
      const start = evaluateModelsCpu(pop.models, data);
      const end = evaluateModelsCpu(a.models, data);
      for (let k = 0; k < 2; k++) {
        expect(end.loss[k]!).toBeLessThan(start.loss[k]! / 2);
        expect(end.metric[k]!).toBeGreaterThan(0.9);
        // The run's own held-out score agrees with the CPU reference.
        expect(a.heldOut.accuracy[k]).toBeCloseTo(end.metric[k]!, 5);
      }
      const b = await run();
      expect(flattenModel(b.models[1]!)).toEqual(flattenModel(a.models[1]!));
      expect(a.history.map((h) => h.trainLoss)).toEqual(b.history.map((h) => h.trainLoss));
    }
  });

  it('a population trains each member exactly as it would alone', async () => {
    const data = asClassification(blobs());
    const s = { ...tiny, population: 3, initMode: 'independent' as const, epochs: 2 };
    const pop = classifierPopulation(s, 4, 3);
    const together = await trainClassifierRun(pop.models, data, data, { ...s, batchSeeds: pop.batchSeeds });
    const alone = await trainClassifierRun([pop.models[2]!], data, data, {
      ...s,
      batchSeeds: [pop.batchSeeds[2]!],
      layout: 'batched',
    });
    const a = flattenModel(together.models[2]!);
    const b = flattenModel(alone.models[0]!);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('shared init: members start equal and end apart (different batch orders)', async () => {
    const data = asClassification(blobs());
    const s = { ...tiny, population: 2, initMode: 'shared' as const, epochs: 1 };
    const pop = classifierPopulation(s, 4, 3);
    expect(flattenModel(pop.models[0]!)).toEqual(flattenModel(pop.models[1]!));
    const r = await trainClassifierRun(pop.models, data, data, { ...s, batchSeeds: pop.batchSeeds });
    expect(flattenModel(r.models[0]!)).not.toEqual(flattenModel(r.models[1]!));
  });

  it.each(PATHS)(
    'Stop keeps what was trained (a partial epoch included); an abort keeps nothing ($choice)',
    async (p) => {
      const data = asClassification(blobs());
      const s = { ...tiny, population: 2, epochs: 3 };
      const pop = classifierPopulation(s, 4, 3);
      let steps = 0;
      const before = tf.memory().numTensors;
      const r = await trainClassifierRun(
        pop.models,
        data,
        data,
        { ...s, batchSeeds: pop.batchSeeds },
        {
          stop: () => ++steps > 9, // 6 steps per epoch: stops half-way through epoch 2
          kernel: p,
        },
      );
      expect(r.stopped).toBe(true);
      expect(r.history.map((h) => h.epoch)).toEqual([1, 1.5]);
      expect(r.models).toHaveLength(2);
      expect(flattenModel(r.models[0]!)).not.toEqual(flattenModel(pop.models[0]!));
      const ctl = new AbortController();
      ctl.abort(new Error('cancelled'));
      await expect(
        trainClassifierRun(
          pop.models,
          data,
          data,
          { ...s, batchSeeds: pop.batchSeeds },
          { signal: ctl.signal, kernel: p },
        ),
      ).rejects.toThrow(/cancelled/);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('784-128-10 reaches ≥ 90 % held-out accuracy on MNIST in 3 epochs', async () => {
    const split = mnistTrainTest(packMnist());
    const s = { ...DEFAULT_CLASSIFIER, hidden: [128], epochs: 3, lr: 3e-3, seed: 1 };
    const pop = classifierPopulation(s, 784, 10);
    const r = await trainClassifierRun(
      pop.models,
      asClassification(split.train),
      asClassification(split.heldOut),
      { ...s, batchSeeds: pop.batchSeeds },
    );
    expect(r.history).toHaveLength(3);
    expect(r.heldOut.accuracy[0]!).toBeGreaterThanOrEqual(0.9);
    expect(r.history[2]!.trainLoss[0]!).toBeLessThan(r.history[0]!.trainLoss[0]!);
  }, 60_000);
});
