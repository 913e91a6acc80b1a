/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel against the tfjs reference trainer, on any GPUDevice: the same
 * initial weights and data, `steps` Adam steps on both, then the worst relative weight difference
 * per case; and the same for classifiers against the tfjs ClassifierTrainer (minibatches, softmax
 * cross-entropy, Adam or SGD with momentum and L2 decay). Shared by the browser test (e2e/wgsl.e2e.ts imports it into the page, on SwiftShader)
 * and the GPU script (scripts/gpu-bench.ts, in Node on a real adapter).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WgslKernel } from '../src/engine/kernels/wgsl/wgsl-kernel';
import { smoothTarget, worstRelative } from '../src/engine/kernels/agreement';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { WgslClassifierTrainer } from '../src/engine/kernels/wgsl/wgsl-classifier';
import type { ClassificationData } from '../src/engine/data/eval-data';
import type { ClassifierTraining } from '../src/engine/classifier/settings';
import { createRng } from '../src/engine/rng';

export { smoothTarget, worstRelative };

export interface AgreementCase {
  name: string;
  arch: MlpArch;
  /** Image height, width (odd sizes leave a partial chunk). */
  size: [number, number];
  k: number;
  /** Forced tiles per member (several chunks per tile). */
  tiles?: number;
}

export interface AgreementRow {
  name: string;
  /** Largest |a − b| / max|b| over each tensor of each member. */
  worstRelative: number;
  /**
   * Largest |a − b| of the per-member loss after the steps (MSE; classifiers: held-out
   * cross-entropy and the epoch's training loss), relative to the reference's.
   */
  mseRelative: number;
  /** Classifiers: the largest gap in held-out accuracy. */
  accuracyGap?: number;
  dispatchesPerStep: number;
  /** Buffers made on the device after the kernel's construction (0: none per step). */
  buffersMadeStepping: number;
  tiles: number;
  /** Chunks of examples each tile's workgroup runs in turn. */
  chunks: number;
  /** Threads per workgroup of the forward + backward shader. */
  workgroup: number;
}

/** Counts the buffers made on `device` from now on (all of them, not only the kernel's). */
function countBuffers(device: GPUDevice): { made: () => number; stop: () => void } {
  const create = device.createBuffer.bind(device);
  let made = 0;
  device.createBuffer = (d: GPUBufferDescriptor) => ((made += 1), create(d));
  return { made: () => made, stop: () => void (device.createBuffer = create) };
}

/** Largest |a − b| / b over paired per-member losses. */
function lossGap(pairs: readonly (readonly [Float32Array, Float32Array])[]): number {
  let gap = 0;
  for (const [a, b] of pairs) a.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - b[j]!) / b[j]!)));
  return gap;
}

/** A case's row: the weights' and losses' gaps, and how the kernel ran. */
function row(
  name: string,
  weights: [Model[], Model[]],
  losses: readonly (readonly [Float32Array, Float32Array])[],
  kernel: { dispatchesPerStep: number; plan: { tiles: number; chunks: number; threads: number } },
  buffersMadeStepping: number,
): AgreementRow {
  return {
    name,
    worstRelative: worstRelative(...weights),
    mseRelative: lossGap(losses),
    dispatchesPerStep: kernel.dispatchesPerStep,
    buffersMadeStepping,
    tiles: kernel.plan.tiles,
    chunks: kernel.plan.chunks,
    workgroup: kernel.plan.threads,
  };
}

/** Runs every case on the kernel and on tfjs's cpu backend (the reference). */
export async function runAgreement(
  device: GPUDevice,
  cases: readonly AgreementCase[],
  steps = 20,
  lr = 1e-3,
): Promise<AgreementRow[]> {
  await tf.setBackend('cpu');
  const rows: AgreementRow[] = [];
  for (const c of cases) {
    const channels = c.arch.widths[c.arch.widths.length - 1]!;
    const data = smoothTarget(c.size[0], c.size[1], channels);
    const inits = Array.from({ length: c.k }, (_, j) => initModel(c.arch, 100 + j));
    const kernel = await WgslKernel.create(device, inits, data, { lr, tiles: c.tiles });
    const ref = new PopulationTrainer(inits, data, { lr });
    const counter = countBuffers(device);
    try {
      for (let s = 0; s < steps; s++) {
        kernel.step();
        ref.step();
      }
      await device.queue.onSubmittedWorkDone();
      const made = counter.made();
      const [mine, theirs, mseA, mseB] = [
        await kernel.models(),
        await ref.models(),
        await kernel.evaluate(),
        await ref.evaluate(),
      ];
      rows.push(row(c.name, [mine, theirs], [[mseA, mseB]], kernel, made));
    } finally {
      counter.stop();
      kernel.dispose();
      ref.dispose();
    }
  }
  return rows;
}

/**
 * The cases the browser test and the GPU script check (small: SwiftShader runs them in seconds):
 * K = 1, 2, 3 and 32, odd widths and pixel counts that leave a chunk part empty, several chunks
 * per tile, and a hidden layer wider than 256 (the old kernel's limit; here 9 GEMM blocks).
 */
export const AGREEMENT_CASES: AgreementCase[] = [
  {
    name: 'SIREN 2→13→11→1, K=1, 13×11',
    arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 },
    size: [13, 11],
    k: 1,
  },
  {
    name: 'SIREN 2→17→9→3, K=3, 15×11, 2 tiles of 3 chunks',
    arch: { widths: [2, 17, 9, 3], activation: 'sine', w0: 30 },
    size: [15, 11],
    k: 3,
    tiles: 2,
  },
  {
    name: 'SIREN 2→64→33→1, K=1, 9×9',
    arch: { widths: [2, 64, 33, 1], activation: 'sine', w0: 30 },
    size: [9, 9],
    k: 1,
  },
  {
    name: 'SIREN 2→9→7→1, K=32, 7×5',
    arch: { widths: [2, 9, 7, 1], activation: 'sine', w0: 30 },
    size: [7, 5],
    k: 32,
  },
  {
    name: 'SIREN 2→270→9→1 (hidden wider than 256), K=2, 7×5',
    arch: { widths: [2, 270, 9, 1], activation: 'sine', w0: 30 },
    size: [7, 5],
    k: 2,
  },
  {
    name: 'ReLU+FF(5) 2→10→13→1 +0.5, K=1, 11×9',
    arch: { widths: [2, 13, 1], activation: 'relu', encoding: { features: 5, sigma: 2 }, outputOffset: 0.5 },
    size: [11, 9],
    k: 1,
  },
  {
    name: 'ReLU 2→9→1 (no features, one hidden layer), K=2, 7×7',
    arch: { widths: [2, 9, 1], activation: 'relu' },
    size: [7, 7],
    k: 2,
  },
  {
    name: 'ReLU+FF(7) 2→14→15→7→2, K=3, 13×5',
    arch: { widths: [2, 15, 7, 2], activation: 'relu', encoding: { features: 7, sigma: 3 } },
    size: [13, 5],
    k: 3,
  },
];

export interface ClassifierCase {
  name: string;
  arch: MlpArch;
  k: number;
  /** Training examples (held-out: half as many). */
  n: number;
  training: ClassifierTraining;
  tiles?: number;
}

/**
 * Seeded inputs in [−1, 1) labelled by the argmax of a random linear map (learnable); the map is
 * that of `task`, so sets drawn with other seeds and the same task share their labelling.
 */
export function labelledData(
  n: number,
  inputs: number,
  classes: number,
  seed: number,
  task = 0,
): ClassificationData {
  const taskRng = createRng(task);
  const map = Float32Array.from({ length: inputs * classes }, () => taskRng.normal());
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * inputs }, () => rng.uniform(-1, 1));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let z = 0;
      for (let j = 0; j < inputs; j++) z += x[i * inputs + j]! * map[j * classes + c]!;
      if (z > best) [best, labels[i]] = [z, c];
    }
  }
  return { kind: 'classification', x, labels, n, inputs, classes };
}

/** Runs every classifier case on the kernel and on tfjs's cpu backend (the reference). */
export async function runClassifierAgreement(
  device: GPUDevice,
  cases: readonly ClassifierCase[],
  steps = 20,
): Promise<AgreementRow[]> {
  await tf.setBackend('cpu');
  const rows: AgreementRow[] = [];
  for (const c of cases) {
    const [inputs, classes] = [c.arch.widths[0]!, c.arch.widths.at(-1)!];
    const train = labelledData(c.n, inputs, classes, 7);
    const heldOut = labelledData(Math.ceil(c.n / 2), inputs, classes, 8);
    const inits = Array.from({ length: c.k }, (_, j) => initModel(c.arch, 200 + j));
    const opts = { ...c.training, batchSeeds: inits.map((_, j) => 300 + j) };
    const kernel = await WgslClassifierTrainer.create(device, inits, train, heldOut, {
      ...opts,
      tiles: c.tiles,
    });
    const ref = new ClassifierTrainer(inits, train, opts);
    const counter = countBuffers(device);
    try {
      for (let s = 0; s < steps; s++) {
        kernel.step();
        ref.step();
      }
      await device.queue.onSubmittedWorkDone();
      const made = counter.made();
      const [mine, theirs] = [await kernel.models(), await ref.models()];
      const [sa, sb] = [await kernel.score('heldOut'), await ref.score(heldOut)];
      const [ta, tb] = [await kernel.epochTrainLoss(), await ref.epochTrainLoss()];
      const losses = [[sa.loss, sb.loss] as const, [ta, tb] as const];
      // Accuracies are counts over the set: they agree exactly unless a logit pair is within rounding.
      const accuracyGap = Math.max(...Array.from(sa.accuracy, (v, j) => Math.abs(v - sb.accuracy[j]!)));
      rows.push({ ...row(c.name, [mine, theirs], losses, kernel, made), accuracyGap });
    } finally {
      counter.stop();
      kernel.dispose();
      ref.dispose();
    }
  }
  return rows;
}

const TRAINING: ClassifierTraining = {
  epochs: 20,
  batch: 13,
  optimizer: 'adam',
  lr: 1e-2,
  momentum: 0.9,
  weightDecay: 0,
  schedule: 'constant',
};

/**
 * Classifier cases: ReLU, tanh, GELU; K = 1, 2 and 3; odd widths; batches that do not fill a
 * chunk, a short last batch each epoch (several epochs in 20 steps), several chunks per tile;
 * Adam and SGD with momentum, L2 decay, a cosine schedule; MNIST's 784 inputs into 300 hidden
 * units (layers several GEMM blocks wide and deep).
 */
export const CLASSIFIER_CASES: ClassifierCase[] = [
  {
    name: 'ReLU 6→11→3, K=1, Adam, batch 13 of 37',
    arch: { widths: [6, 11, 3], activation: 'relu' },
    k: 1,
    n: 37,
    training: TRAINING,
  },
  {
    name: 'tanh 6→9→7→4, K=3, SGD μ=0.9 λ=1e-3 cosine, batch 13 of 37',
    arch: { widths: [6, 9, 7, 4], activation: 'tanh' },
    k: 3,
    n: 37,
    training: { ...TRAINING, optimizer: 'sgd', lr: 0.05, weightDecay: 1e-3, schedule: 'cosine' },
  },
  {
    name: 'GELU 5→13→3, K=3, Adam λ=1e-2, batch 70 of 75 (3 chunks in 1 tile)',
    arch: { widths: [5, 13, 3], activation: 'gelu' },
    k: 3,
    n: 75,
    training: { ...TRAINING, batch: 70, weightDecay: 1e-2 },
    tiles: 1,
  },
  {
    name: 'GELU 7→5→9→2, K=1, plain SGD, batch 13 of 30',
    arch: { widths: [7, 5, 9, 2], activation: 'gelu' },
    k: 1,
    n: 30,
    training: { ...TRAINING, optimizer: 'sgd', momentum: 0, lr: 0.1 },
  },
  {
    name: 'ReLU 4→17→15→5, K=3, Adam cosine, batch 13 of 41',
    arch: { widths: [4, 17, 15, 5], activation: 'relu' },
    k: 3,
    n: 41,
    training: { ...TRAINING, lr: 3e-3, schedule: 'cosine' },
  },
  {
    name: 'ReLU 784→300→10 (MNIST-wide input), K=2, Adam, batch 13 of 40',
    arch: { widths: [784, 300, 10], activation: 'relu' },
    k: 2,
    n: 40,
    training: { ...TRAINING, lr: 1e-3 },
  },
];
