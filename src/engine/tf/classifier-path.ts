/**
 * Where a classifier run trains: the fused WebAssembly kernel (src/engine/classifier/
 * kernel-trainer.ts, members split over a pool of shards) wherever it covers the run, else the
 * tfjs ClassifierTrainer, the reference and the fallback. Both sit behind one small interface, so
 * the run loop (classifier-run.ts) does not care which one steps, and the path taken is named in
 * words with the reason the kernel was not used.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classifierKernelCoverage, checkClassifierRun } from '../classifier/kernel-trainer';
import { learningRateAt, stepsPerEpoch } from '../classifier/schedule';
import type { ClassificationData } from '../data/eval-data';
import { inlinePort, KernelPool, type ShardPort } from '../kernels/pool';
import type { Model } from '../model';
import { ClassifierTrainer, type ClassifierTrainerOptions, type MemberScores } from './classifier';

/** 'auto': the fused kernel where it covers the run, else tfjs; 'fused' refuses instead of falling back. */
export type KernelChoice = 'auto' | 'fused' | 'tfjs';

/** How a run may use the fused kernel. */
export interface KernelHooks {
  choice?: KernelChoice;
  /** Ports to the shards of a population of `members` (default: one shard in this thread). */
  ports?: (members: number) => ShardPort[];
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
    path: `fused wasm ${pool.flavour} × ${pool.workers} worker${pool.workers > 1 ? 's' : ''}`,
    step: async () => void (await pool.step(1)),
    epochTrainLoss: () => pool.epochTrainLoss(),
    score: (which) => pool.score(which),
    models: () => pool.models(),
    dispose: () => pool.dispose(),
  };
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
  const why = classifierKernelCoverage(models[0]!.arch, models.length, opts.batch);
  if (why) {
    if (choice === 'fused') throw new Error(`fused kernel: ${why}`);
    return tfjsStepper(models, train, heldOut, opts, why);
  }
  try {
    const ports = kernel.ports ? kernel.ports(models.length) : [inlinePort()];
    const pool = await KernelPool.createClassifier(models, train, heldOut, opts, ports);
    return poolStepper(pool, train, opts);
  } catch (e) {
    if (choice === 'fused') throw e;
    return tfjsStepper(models, train, heldOut, opts, `failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
