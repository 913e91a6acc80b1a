/**
 * The classifier path choice around the WGSL kernel, in Node (no WebGPU here): what the kernel
 * covers and why it refuses the rest, a run forced onto it without a GPU refused with the reason,
 * and a run with no GPU to offer keeps the wasm kernel's path, word for word. The kernel itself is
 * tested on SwiftShader (tests/wgsl-node.test.ts on Dawn, e2e/wgsl.e2e.ts in Chromium).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DEFAULT_TRAINING } from '../src/engine/classifier/settings';
import { wgslClassifierCoverage } from '../src/engine/kernels/wgsl/wgsl-classifier';
import { gradsShader } from '../src/engine/kernels/wgsl/mlp-wgsl';
import { planWgsl } from '../src/engine/kernels/wgsl/plan';
import { initModel, type MlpArch } from '../src/engine/model';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';
import { labelledData } from '../scripts/wgsl-agreement';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('WGSL classifier coverage', () => {
  it('takes ReLU, tanh and GELU classifiers and says why it refuses the rest', () => {
    for (const activation of ['relu', 'tanh', 'gelu'] as const)
      expect(wgslClassifierCoverage({ widths: [20, 33, 17, 10], activation })).toBeNull();
    expect(wgslClassifierCoverage({ widths: [784, 512, 10], activation: 'relu' })).toBeNull();
    expect(
      wgslClassifierCoverage({ widths: [2, 16, 3], activation: 'relu', encoding: { features: 4, sigma: 1 } }),
    ).toMatch(/Fourier features/);
  });

  it('bakes the batch size and the loss into the shader: a minibatch reads its rows, labels as u32', () => {
    const arch: MlpArch = { widths: [6, 11, 3], activation: 'gelu' };
    const code = gradsShader(planWgsl(arch, 2, 13, 6, 3, undefined, { loss: 'ce' }));
    expect(code).toMatch(/var<storage, read> rows: array<u32>/);
    expect(code).toMatch(/var<storage, read> ys: array<u32>/);
    expect(code).toMatch(/let real = px < st\.count;/);
    expect(code).toMatch(/fn tanh_/);
    expect(code).not.toMatch(/fn sincos/);
  });
});

describe('classifier path with the WGSL kernel', () => {
  const arch: MlpArch = { widths: [6, 11, 3], activation: 'tanh' };
  const train = labelledData(40, 6, 3, 1);
  const models = [initModel(arch, 1), initModel(arch, 2)];
  const opts = { ...DEFAULT_TRAINING, epochs: 1, batch: 8, batchSeeds: [5, 6] };

  it('refuses a run forced onto the GPU where there is none, with the reason', async () => {
    await expect(
      trainClassifierRun(models, train, train, opts, { kernel: { choice: 'webgpu' } }),
    ).rejects.toThrow(/^fused WebGPU: no WebGPU adapter$/);
    await expect(
      trainClassifierRun(models, train, train, opts, { kernel: { choice: 'webgpu', gpu: async () => null } }),
    ).rejects.toThrow(/^fused WebGPU: no WebGPU adapter$/);
  });

  it('with no GPU to offer, runs on the wasm kernel and its path names nothing else', async () => {
    const r = await trainClassifierRun(models, train, train, opts, { kernel: { gpu: async () => null } });
    expect(r.kernel).toMatch(/^fused wasm (relaxed|simd) × 1 worker$/);
    expect(r.history).toHaveLength(1);
  });
});
