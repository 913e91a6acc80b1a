/**
 * Where a classifier run trains: the fused WebAssembly kernel (src/engine/classifier/
 * kernel-trainer.ts, members split over a pool of shards) wherever it covers the run, else the
 * tfjs ClassifierTrainer, the reference and the fallback. Both sit behind one small interface, so
 * the run loop (classifier-run.ts) does not care which one steps, and the path taken is named in
 * words with the reason the kernel was not used. Where the caller hands in a GPU (`KernelHooks.gpu`)
 * and it is a hardware adapter, the WGSL kernel (src/engine/kernels/wgsl) is the first candidate;
 * a software adapter (SwiftShader) leaves the run to the wasm kernel on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classifierKernelCoverage, checkClassifierRun } from '../classifier/kernel-trainer';
import { learningRateAt, stepsPerEpoch } from '../classifier/schedule';
import type { ClassificationData } from '../data/eval-data';
import { inlinePort, KernelPool, type ShardPort } from '../kernels/pool';
import { WGSL_DISPATCHES_PER_STEP } from '../kernels/wgsl/mlp-wgsl';
import { WgslClassifierTrainer, wgslClassifierCoverage } from '../kernels/wgsl/wgsl-classifier';
import type { Model } from '../model';
import { ClassifierTrainer, type ClassifierTrainerOptions, type MemberScores } from './classifier';

/**
 * 'auto': the fused kernel where it covers the run (the WGSL one first on a hardware GPU), else
 * tfjs; 'fused' refuses instead of falling back; 'webgpu' takes the WGSL kernel on the GPU given,
 * software adapter included (tests), and refuses when it cannot.
 */
export type KernelChoice = 'auto' | 'fused' | 'tfjs' | 'webgpu';

/** A GPU adapter the WGSL kernel may train on; `release` destroys the device made (the run owns it). */
export interface ClassifierGpu {
  /** A software adapter (SwiftShader, a fallback adapter): not a candidate unless forced. */
  software: boolean;
  device(): Promise<GPUDevice>;
  release(): void;
}

/** How a run may use the fused kernel. */
export interface KernelHooks {
  choice?: KernelChoice;
  /** Ports to the shards of a population of `members` (default: one shard in this thread). */
  ports?: (members: number) => ShardPort[];
  /** A GPU for the WGSL kernel, or null where there is none (default: no GPU is tried). */
  gpu?: () => Promise<ClassifierGpu | null>;
}

/** A classifier population that steps, scores and hands back its members. */
export interface ClassifierStepper {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** Steps every member has taken. */
  readonly steps: number;
  /** The learning rate the next step will use. */
  readonly lr: number;
  /** Which path runs, e.g. "fused wasm relaxed × 2 workers" or "tfjs wasm (fused kernel: …)". */
  readonly path: string;
  step(): Promise<void>;
  epochTrainLoss(): Promise<Float32Array>;
  score(which: 'train' | 'heldOut'): Promise<MemberScores>;
  models(): Promise<Model[]>;
  dispose(): void;
}

function tfjsStepper(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  why: string,
): ClassifierStepper {
  const t = new ClassifierTrainer(models, train, opts);
  return {
    stepsPerEpoch: t.stepsPerEpoch,
    totalSteps: t.totalSteps,
    get steps() {
      return t.steps;
    },
    get lr() {
      return t.lr;
    },
    path: `tfjs ${tf.getBackend()} (fused kernel: ${why})`,
    step: async () => t.step(),
    epochTrainLoss: () => t.epochTrainLoss(),
    score: (which) => t.score(which === 'train' ? train : heldOut),
    models: () => t.models(),
    dispose: () => t.dispose(),
  };
}

function poolStepper(
  pool: KernelPool,
  train: ClassificationData,
  opts: ClassifierTrainerOptions,
  note = '',
): ClassifierStepper {
  const perEpoch = stepsPerEpoch(train.n, opts.batch);
  const total = perEpoch * opts.epochs;
  return {
    stepsPerEpoch: perEpoch,
    totalSteps: total,
    get steps() {
      return pool.steps;
    },
    get lr() {
      return learningRateAt(opts.schedule, opts.lr, pool.steps, total);
    },
    path: `fused wasm ${pool.flavour} × ${pool.workers} worker${pool.workers > 1 ? 's' : ''}${note}`,
    step: async () => void (await pool.step(1)),
    epochTrainLoss: () => pool.epochTrainLoss(),
    score: (which) => pool.score(which),
    models: () => pool.models(),
    dispose: () => pool.dispose(),
  };
}

function wgslStepper(trainer: WgslClassifierTrainer, why: string, gpu: ClassifierGpu): ClassifierStepper {
  return {
    stepsPerEpoch: trainer.stepsPerEpoch,
    totalSteps: trainer.totalSteps,
    get steps() {
      return trainer.steps;
    },
    get lr() {
      return trainer.lr;
    },
    path: `fused WebGPU (${WGSL_DISPATCHES_PER_STEP} dispatches a step; ${why})`,
    step: async () => trainer.step(),
    epochTrainLoss: () => trainer.epochTrainLoss(),
    score: (which) => trainer.score(which),
    models: () => trainer.models(),
    dispose: () => {
      trainer.dispose();
      gpu.release();
    },
  };
}

/**
 * The WGSL kernel's stepper, or why not: `quiet` when the reason is no GPU or a software adapter
 * (the usual case, not worth naming in the path), else the reason the wasm path then carries.
 */
async function tryWgsl(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks,
  forced: boolean,
): Promise<{ stepper: ClassifierStepper } | { why: string; quiet: boolean }> {
  if (opts.memberLrs) return { why: 'per-member learning rates are not in the WGSL kernel', quiet: false };
  const gpu = kernel.gpu ? await kernel.gpu() : null;
  if (!gpu) return { why: 'no WebGPU adapter', quiet: true };
  if (gpu.software && !forced) {
    gpu.release();
    return { why: 'software adapter: the wasm kernel keeps the CPU', quiet: true };
  }
  const uncovered = wgslClassifierCoverage(models[0]!.arch);
  if (uncovered) {
    gpu.release();
    return { why: uncovered, quiet: false };
  }
  try {
    const trainer = await WgslClassifierTrainer.create(await gpu.device(), models, train, heldOut, opts);
    const why = forced ? 'chosen by the run' : 'a hardware GPU adapter, ahead of the wasm kernel';
    return { stepper: wgslStepper(trainer, why, gpu) };
  } catch (e) {
    gpu.release();
    return { why: `failed: ${e instanceof Error ? e.message : String(e)}`, quiet: false };
  }
}

/**
 * Starts the run on the fused kernel where it covers it (and `choice` allows), else on tfjs.
 * A kernel that fails to start falls back to tfjs with the reason, unless `choice` is 'fused'.
 */
export async function startClassifierPath(
  models: readonly Model[],
  train: ClassificationData,
  heldOut: ClassificationData,
  opts: ClassifierTrainerOptions,
  kernel: KernelHooks = {},
): Promise<ClassifierStepper> {
  checkClassifierRun(models, train, opts);
  const choice = kernel.choice ?? 'auto';
  if (choice === 'tfjs') return tfjsStepper(models, train, heldOut, opts, 'tfjs chosen');
  // The GPU first, where one is handed in; its reason rides on the path that runs instead.
  let gpuWhy = '';
  if (choice === 'webgpu' || (choice === 'auto' && kernel.gpu)) {
    const tried = await tryWgsl(models, train, heldOut, opts, kernel, choice === 'webgpu');
    if ('stepper' in tried) return tried.stepper;
    if (choice === 'webgpu') throw new Error(`fused WebGPU: ${tried.why}`);
    if (!tried.quiet) gpuWhy = ` (fused WebGPU: ${tried.why})`;
  }
  const why = classifierKernelCoverage(models[0]!.arch, models.length, opts.batch);
  if (why) {
    if (choice === 'fused') throw new Error(`fused kernel: ${why}`);
    return tfjsStepper(models, train, heldOut, opts, `${why}${gpuWhy}`);
  }
  try {
    const ports = kernel.ports ? kernel.ports(models.length) : [inlinePort()];
    const pool = await KernelPool.createClassifier(models, train, heldOut, opts, ports);
    return poolStepper(pool, train, opts, gpuWhy);
  } catch (e) {
    if (choice === 'fused') throw e;
    return tfjsStepper(
      models,
      train,
      heldOut,
      opts,
      `failed: ${e instanceof Error ? e.message : String(e)}${gpuWhy}`,
    );
  }
}
