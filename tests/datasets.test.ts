import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend } from '../src/cli/tf-node';
import { inferArchitecture, readCheckpoint, toModel } from '../src/engine/checkpoints';
import { classificationFor, DatasetError, isDatasetNpz, parseDatasetNpz } from '../src/engine/data/dataset';
import {
  decodeExperimentHash,
  defaultExperiment,
  encodeExperiment,
  parseExperiment,
} from '../src/engine/experiment';
import { MNIST_COUNT, MNIST_PIXELS, mnistClassIndices, mnistSplit } from '../src/engine/data/mnist';
import type { Model } from '../src/engine/model';
import { evaluateModels } from '../src/engine/tf/evaluate';
import type { ClassificationTarget, ImageTarget } from '../src/workers/protocol';
import { evalDataFor, probeInputs, scoreOne } from '../src/workers/jobs/score-data';

const dataset = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/datasets/${name}`));
const checkpoint = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/checkpoints/${name}`));
const expected = JSON.parse(readFileSync('tests/fixtures/datasets/good.json', 'utf8')) as {
  n: number;
  inputs: number;
  classes: number;
  loss: number;
  accuracy: number;
};

function refused(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

/** classifier.pt (PyTorch, 784 → 32 → 10, ReLU), as the app adds it. */
function classifier(): Model {
  const c = readCheckpoint([{ name: 'classifier.pt', bytes: checkpoint('classifier.pt') }]);
  return toModel(c, inferArchitecture(c), { activation: 'relu' });
}

function target(name: string): ClassificationTarget {
  const d = parseDatasetNpz(dataset(name), name);
  return { kind: 'classification', id: `dataset:${name}`, label: name, ...d };
}

describe('dataset .npz (x, y) at the boundary', () => {
  it('reads a good file made by NumPy', () => {
    const d = parseDatasetNpz(dataset('good.npz'), 'good.npz');
    expect([d.n, d.inputs, d.classes]).toEqual([expected.n, expected.inputs, expected.classes]);
    expect(d.x.length).toBe(d.n * d.inputs);
    expect(d.labels).toBeInstanceOf(Int32Array);
    expect(Math.max(...d.x)).toBeLessThanOrEqual(1);
  });

  it('reads a compressed file with float64 x and int32 y', () => {
    const d = parseDatasetNpz(dataset('small_compressed.npz'), 'small.npz');
    expect([d.n, d.inputs, d.classes]).toEqual([10, 4, 3]);
    expect(Array.from(d.labels)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 2]);
  });

  it.each([
    ['bad_missing_y.npz', /holds two arrays, x .* and y .*; it has x/],
    ['bad_x_3d.npz', /x must be 2-D .*\[4, 28, 28\].*flatten/],
    ['bad_rows_mismatch.npz', /x has 4 rows but y has 3 labels/],
    ['bad_nan.npz', /x\[1, 216\] is NaN; every input must be a finite number/],
    ['bad_negative_label.npz', /label y\[2\] = -1 is outside/],
    ['bad_float_labels.npz', /y holds F64 floats; labels must be integers/],
    ['bad_int_x.npz', /x must hold floats, not U8/],
  ])('refuses %s with a message that says what to fix', (name, message) => {
    expect(refused(() => parseDatasetNpz(dataset(name), name)).message).toMatch(message);
  });

  it('refuses bytes that are not an npz at all', () => {
    expect(refused(() => parseDatasetNpz(new TextEncoder().encode('hello'), 'notes.npz')).message).toMatch(
      /not a readable \.npz/,
    );
  });

  it('tells datasets from checkpoints by their array names', () => {
    expect(isDatasetNpz(dataset('good.npz'))).toBe(true);
    expect(isDatasetNpz(dataset('bad_missing_y.npz'))).toBe(true);
    expect(isDatasetNpz(checkpoint('mlp_relu.npz'))).toBe(false);
    expect(isDatasetNpz(checkpoint('classifier.pt'))).toBe(false);
    expect(isDatasetNpz(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toBe(false);
  });

  it('refuses a model whose widths do not fit, naming both shapes', () => {
    const d = parseDatasetNpz(dataset('small_compressed.npz'), 'small.npz');
    expect(() => classificationFor(d, 'small.npz', 784, 10)).toThrow(
      /takes 784 inputs and gives 10 outputs, but small\.npz has 4 inputs per example and labels 0–2/,
    );
    expect(() => classificationFor(d, 'small.npz', 4, 2)).toThrow(/3 classes/);
    expect(classificationFor(d, 'small.npz', 4, 5).classes).toBe(5);
    const big = parseDatasetNpz(dataset('bad_big_label.npz'), 'big.npz');
    expect(() => classificationFor(big, 'big.npz', 784, 10)).toThrow(/labels 0–12 \(13 classes\)/);
  });
});

describe('MNIST scoring subset', () => {
  /** A packed file like /data/mnist.bin: labels grouped by class, pixel = (digit index) mod 256. */
  function fakeBin(): Uint8Array {
    const bin = new Uint8Array(MNIST_COUNT * (1 + MNIST_PIXELS));
    for (let i = 0; i < MNIST_COUNT; i++) {
      bin[i] = Math.floor(i / 1000);
      bin.fill(i % 256, MNIST_COUNT + i * MNIST_PIXELS, MNIST_COUNT + (i + 1) * MNIST_PIXELS);
    }
    return bin;
  }

  it('takes the first 100 digits of each class; the training split is the other 9,000', () => {
    const bin = fakeBin();
    const score = mnistSplit(bin, 'score');
    expect(score.n).toBe(1000);
    expect(score.inputs).toBe(784);
    for (let c = 0; c < 10; c++)
      expect(score.labels.subarray(c * 100, (c + 1) * 100).every((l) => l === c)).toBe(true);
    // Row 100 is digit index 1000 (the first "1"): pixel value (1000 mod 256) / 255.
    expect(score.x[100 * 784]).toBeCloseTo((1000 % 256) / 255, 6);
    const train = mnistSplit(bin, 'train');
    expect(train.n).toBe(9000);
    expect(train.labels.filter((l) => l === 3).length).toBe(900);
  });

  it('refuses a truncated or mislabelled file', () => {
    expect(() => mnistClassIndices(new Uint8Array(100))).toThrow(DatasetError);
    const bin = fakeBin();
    bin[5] = 11;
    expect(() => mnistClassIndices(bin)).toThrow(/label 11/);
  });
});

describe('worker: ScoreTarget → EvalData', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  it('scores classifier.pt on good.npz as PyTorch does, on the CPU and batched in tfjs', async () => {
    const model = classifier();
    const data = evalDataFor(target('good.npz'), model.arch);
    expect(data.kind).toBe('classification');
    const cpu = scoreOne(model, data);
    expect(cpu.loss).toBeCloseTo(expected.loss, 5);
    expect(cpu.metric).toBe(expected.accuracy);
    const before = tf.memory().numTensors;
    const batched = await evaluateModels([model, model], data);
    expect(tf.memory().numTensors).toBe(before);
    expect(batched.loss[1]).toBeCloseTo(expected.loss, 4);
    expect(batched.metric[0]).toBe(expected.accuracy);
  });

  it('refuses data that does not fit the model, naming both shapes', () => {
    const model = classifier();
    expect(() => evalDataFor(target('small_compressed.npz'), model.arch)).toThrow(
      /the model takes 784 inputs and gives 10 outputs, but small_compressed\.npz has 4 inputs/,
    );
    const image: ImageTarget = {
      kind: 'image',
      id: 'sample:rings@4',
      image: { width: 4, height: 4, channels: 1, data: new Float32Array(16) },
    };
    expect(() => evalDataFor(image, model.arch)).toThrow(
      /takes 784 inputs .* but the image sample:rings@4 \(4×4, 1 channel\) needs 2 inputs/,
    );
    const truncated = { ...target('good.npz'), labels: new Int32Array(3) };
    expect(() => evalDataFor(truncated, model.arch)).toThrow(/expected 32 × 784 and 32/);
  });

  it('turns an image target into the coordinate grid, and uses a batch x as probe inputs', () => {
    const image: ImageTarget = {
      kind: 'image',
      id: 'img',
      image: { width: 3, height: 2, channels: 1, data: new Float32Array(6).fill(0.5) },
    };
    const data = evalDataFor(image, { widths: [2, 8, 1], activation: 'sine', w0: 30 });
    expect(data.kind === 'regression' && data.channels).toBe(1);
    expect(Array.from(data.x.subarray(0, 2))).toEqual([-1, -1]);
    const t = target('good.npz');
    expect(probeInputs(t, classifier().arch)).toBe(t.x);
    expect(probeInputs(null, classifier().arch)).toBeUndefined();
  });
});

describe('shared links: what classifiers are scored on', () => {
  const sha = 'ab'.repeat(32);

  it('is absent by default, so existing links and the default spec are unchanged', () => {
    expect('score' in defaultExperiment().data).toBe(false);
    expect(encodeExperiment(defaultExperiment()).length).toBe(
      encodeExperiment(parseExperiment({ version: 3 })).length,
    );
  });

  it('round-trips MNIST and a dropped dataset (by name and hash) through the URL', () => {
    for (const score of [
      { kind: 'mnist' as const },
      { kind: 'file' as const, name: 'digits.npz', sha256: sha },
    ]) {
      const spec = parseExperiment({ version: 3, data: { score }, views: { tab: 'paths' } });
      expect(decodeExperimentHash(encodeExperiment(spec)).data.score).toEqual(score);
    }
  });

  it('refuses a hostile score source with the field named', () => {
    expect(() => parseExperiment({ version: 3, data: { score: { kind: 'http', url: 'x' } } })).toThrow(
      /data\.score/,
    );
    expect(() =>
      parseExperiment({ version: 3, data: { score: { kind: 'file', name: '<img>.npz', sha256: sha } } }),
    ).toThrow(/data\.score\.name/);
  });
});
