import { describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { loadModel } from '../src/cli/io';
import { weightMatching } from '../src/engine/align';
import { classificationFor } from '../src/engine/data/dataset';
import { mnistSplit } from '../src/engine/data/mnist';
import { coordinateGrid } from '../src/engine/inr';
import { initModel, type MlpArch } from '../src/engine/model';
import type { EvalData } from '../src/engine/data/eval-data';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { midpointModel } from '../src/engine/paths/interpolate';
import { steMatching } from '../src/engine/tf/ste';
import { packMnist } from '../scripts/mnist';
import * as tf from '@tensorflow/tfjs-core';

/** Midpoint loss on the CPU reference path, independent of the tfjs gradient code. */
const midLoss = (a: Parameters<typeof midpointModel>[0], b: typeof a, data: EvalData): number =>
  evaluateModelsCpu([midpointModel(a, b)], data).loss[0]!;

describe('STE matching (Git Re-Basin Alg. 2/3)', () => {
  it('on two MNIST classifiers: keeps the function and never loses to weight matching', async () => {
    await initNodeBackend('wasm');
    const a = loadModel('public/models/mnist-mlp-1.safetensors').model;
    const b = loadModel('public/models/mnist-mlp-2.safetensors').model;
    const data = classificationFor(mnistSplit(packMnist(), 'score'), 'MNIST', 784, 10);
    const before = tf.memory().numTensors;
    const r = await steMatching(a, b, data, { steps: 8, seed: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.method).toBe('ste');
    expect(r.maxOutputDiff).toBeLessThanOrEqual(1e-5 * Math.max(1, r.outputScale));
    const wm = weightMatching(a, b, { seed: 0 });
    const steLoss = midLoss(a, r.model, data);
    const wmLoss = midLoss(a, wm.model, data);
    console.log(
      `MNIST midpoint cross-entropy: weight matching ${wmLoss.toFixed(4)}, STE ${steLoss.toFixed(4)} (step ${r.bestStep})`,
    );
    expect(steLoss).toBeLessThanOrEqual(wmLoss + 1e-6);
    expect(r.lossPerStep).toHaveLength(9);
    expect(r.weightMatchingLoss).toBeCloseTo(wmLoss, 4);
  });

  it('on two SIRENs over an image grid: same guarantees, and reproducible', async () => {
    await initNodeBackend('wasm');
    const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
    const size = 12;
    const x = coordinateGrid(size, size);
    const y = new Float32Array(size * size).map((_, i) => 0.5 + 0.4 * Math.sin(i / 7));
    const data: EvalData = { kind: 'regression', x, y, n: size * size, inputs: 2, channels: 1 };
    const a = initModel(arch, 1);
    const b = initModel(arch, 2);
    const r1 = await steMatching(a, b, data, { steps: 5, seed: 3 });
    const r2 = await steMatching(a, b, data, { steps: 5, seed: 3 });
    expect(r1.lossPerStep).toEqual(r2.lossPerStep);
    expect(r1.maxOutputDiff).toBeLessThanOrEqual(1e-5 * Math.max(1, r1.outputScale));
    expect(midLoss(a, r1.model, data)).toBeLessThanOrEqual(
      midLoss(a, weightMatching(a, b, { seed: 3 }).model, data) + 1e-6,
    );
  });

  it('stops when cancelled', async () => {
    await initNodeBackend('wasm');
    const arch: MlpArch = { widths: [2, 8, 1], activation: 'relu' };
    const data: EvalData = {
      kind: 'regression',
      x: coordinateGrid(4, 4),
      y: new Float32Array(16),
      n: 16,
      inputs: 2,
      channels: 1,
    };
    const ctl = new AbortController();
    ctl.abort();
    await expect(
      steMatching(initModel(arch, 1), initModel(arch, 2), data, { signal: ctl.signal }),
    ).rejects.toThrow();
  });
});
