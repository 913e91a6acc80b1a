import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { RegressionData } from '../data/eval-data';
import { flattenModel, type MlpArch, type Model } from '../model';
import { checkSnapshot, type PopulationSnapshot } from '../population-snapshot';
import { createRng, type Rng } from '../rng';
import { Adam } from './adam';
import {
  disposeStack,
  forwardStacked,
  perMemberMse,
  stackModels,
  unstackModels,
  withStackedMoments,
  type MatmulLayout,
  type StackedParams,
} from './stack';

/** What a population trains on: one target shared by every member (the INR's image, see `imageRegressionData`). */
export type RegressionTarget = Omit<RegressionData, 'kind'>;

export interface TrainerOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * Fraction of the pixels each member sees per step (1 = full batch). Below 1, every member
   * draws its own seeded random subset each step: the SGD noise that makes members trained from
   * one shared init differ (Frankle et al. 2020).
   */
  batchFraction?: number;
  /** Seed of the pixel subsets. */
  noiseSeed?: number;
  /** Matmul layout; the fastest depends on the backend (see MatmulLayout). */
  layout?: MatmulLayout;
}

/**
 * Trains K MLPs of one architecture together: every layer of every member in one batched matmul,
 * and one Adam update (tf/adam.ts, PyTorch's formulation) for the whole stack.
 * The loss is the SUM of the members' mean losses, so each member's gradient is exactly its own;
 * Adam is elementwise, so batched training equals K separate runs.
 */
export class PopulationTrainer {
  readonly arch: MlpArch;
  readonly k: number;
  private readonly params: StackedParams;
  private readonly vars: tf.Variable[];
  private readonly adam: Adam;
  private readonly x: tf.Tensor2D;
  private readonly y: tf.Tensor2D;
  private readonly opts: Required<TrainerOptions>;
  private readonly noise: Rng;
  private readonly target: RegressionTarget;
  private disposed = false;

  constructor(models: readonly Model[], target: RegressionTarget, opts: TrainerOptions) {
    this.arch = models[0]!.arch;
    this.k = models.length;
    this.target = target;
    this.opts = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      batchFraction: 1,
      noiseSeed: 0,
      layout: 'batched',
      ...opts,
    };
    this.noise = createRng(this.opts.noiseSeed);
    const stacked = stackModels(models);
    const toVar = (t: tf.Tensor3D): tf.Variable<tf.Rank.R3> => {
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    };
    this.params = {
      weights: stacked.weights.map(toVar),
      biases: stacked.biases.map(toVar),
      encoding: stacked.encoding,
    };
    this.vars = [...this.params.weights, ...this.params.biases] as tf.Variable[];
    this.adam = new Adam(this.vars, this.opts);
    this.x = tf.tensor2d(target.x, [target.n, target.inputs]);
    this.y = tf.tensor2d(target.y, [target.n, target.channels]);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.adam.steps;
  }

  private mask(): tf.Tensor3D | null {
    const f = this.opts.batchFraction;
    if (f >= 1) return null;
    const { n } = this.target;
    const data = new Float32Array(this.k * n);
    for (let i = 0; i < data.length; i++) data[i] = this.noise.next() < f ? 1 : 0;
    return tf.tensor3d(data, [this.k, n, 1]);
  }

  /** One Adam step for every member; returns nothing so that no GPU→CPU sync happens. */
  step(): void {
    const mask = this.mask();
    tf.tidy(() => {
      const lossFn = (): tf.Scalar => {
        const pred = forwardStacked(this.arch, this.params, this.x, this.opts.layout);
        if (!mask) return tf.sum(perMemberMse(pred, this.y));
        const se = tf.mul(tf.squaredDifference(pred, this.y), mask);
        const counts = tf.maximum(tf.mul(tf.sum(mask, [1, 2]), this.target.channels), 1);
        return tf.sum(tf.div(tf.sum(se, [1, 2]), counts));
      };
      this.adam.update(tf.variableGrads(lossFn, this.vars).grads);
    });
    mask?.dispose();
  }

  /** Per-member MSE on the full target, read back asynchronously. */
  async evaluate(): Promise<Float32Array> {
    const mse = tf.tidy(() =>
      perMemberMse(forwardStacked(this.arch, this.params, this.x, this.opts.layout), this.y),
    );
    const out = await mse.data<'float32'>();
    mse.dispose();
    return new Float32Array(out);
  }

  /** Every member's reconstruction, [K, n, channels]. */
  async predictions(): Promise<Float32Array> {
    const pred = tf.tidy(() => forwardStacked(this.arch, this.params, this.x, this.opts.layout));
    const out = await pred.data<'float32'>();
    pred.dispose();
    return new Float32Array(out);
  }

  /** The current weights as K models in PyTorch layout. */
  async models(): Promise<Model[]> {
    return unstackModels(this.arch, this.params);
  }

  /** Weights, Adam moments and step count, for another trainer to continue from. */
  async snapshot(): Promise<PopulationSnapshot> {
    const L = this.params.weights.length;
    const { m, v } = this.adam.moments;
    const asStack = (xs: readonly tf.Variable[]) => ({
      weights: xs.slice(0, L) as tf.Tensor3D[],
      biases: xs.slice(L) as tf.Tensor3D[],
      encoding: null,
    });
    const flat = async (xs: readonly tf.Variable[]) =>
      (await unstackModels(this.arch, asStack(xs))).map(flattenModel);
    return { steps: this.steps, models: await this.models(), m: await flat(m), v: await flat(v) };
  }

  /**
   * Continues from `s` (taken from any trainer of the same members): the weights must already be
   * the snapshot's (pass `s.models` to the constructor); this loads the Adam moments and step
   * count, and advances the pixel-subset stream past the steps taken, so the run goes on exactly
   * as if this trainer had taken them.
   */
  resume(s: PopulationSnapshot): void {
    checkSnapshot(s, this.k);
    withStackedMoments(s, (m, v) => this.adam.restore(s.steps, m, v));
    // mask() draws K·n uniforms a step.
    if (this.opts.batchFraction < 1)
      for (let i = s.steps * this.k * this.target.n; i > 0; i--) this.noise.next();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeStack(this.params);
    this.adam.dispose();
    tf.dispose([this.x, this.y]);
  }
}
