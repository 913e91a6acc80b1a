/**
 * Minibatch training of K MLP classifiers of one architecture together, stacked as one population
 * (every layer one batched matmul, as PopulationTrainer does for INRs). The loss is the SUM of the
 * members' mean cross-entropies, so each member's gradient is exactly its own and K members
 * trained together equal K separate runs. Each member walks the training set in its own seeded
 * order (one shuffle per epoch), so members from one shared init still differ (Frankle et al.
 * 2020), and a seed replays the same weights bit for bit on one backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { MlpArch, Model } from '../model';
import { checkSnapshot, type PopulationSnapshot } from '../population-snapshot';
import { checkEvalData, type ClassificationData } from '../data/eval-data';
import {
  checkClassifierRun,
  memberRateAt,
  type MemberScores,
  type PerMemberRates,
} from '../classifier/kernel-trainer';
import { BatchOrder, learningRateAt, stepsPerEpoch } from '../classifier/schedule';
import type { ClassifierTraining } from '../classifier/settings';
import { createOptimizer, type StackOptimizer } from './optimizers';
import {
  disposeStack,
  forwardStacked,
  stackModels,
  unstackModels,
  withStackedMoments,
  type MatmulLayout,
  type StackedParams,
} from './stack';

export interface ClassifierTrainerOptions extends ClassifierTraining, PerMemberRates {
  /** One batch-order seed per member. */
  batchSeeds: readonly number[];
  /** Matmul layout (default: 'split' on wasm, where XNNPACK takes only plain 2-D matmuls). */
  layout?: MatmulLayout;
}

export type { MemberScores };

/** Rows per forward pass when scoring: bounds the [K, rows, width] activations. */
const EVAL_ROWS = 2048;

/** Mean cross-entropy [K] (logsumexp − picked logit) of logits [K, B, C]. Call inside tidy. */
function crossEntropy(logits: tf.Tensor3D, oneHot: tf.Tensor): tf.Tensor1D {
  const picked = tf.sum(tf.mul(logits, oneHot), 2);
  return tf.mean(tf.sub(tf.logSumExp(logits, 2), picked), 1) as tf.Tensor1D;
}

export class ClassifierTrainer {
  readonly arch: MlpArch;
  readonly k: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly params: StackedParams;
  private readonly vars: tf.Variable[];
  private readonly optimizer: StackOptimizer;
  private readonly orders: BatchOrder[];
  private readonly x: tf.Tensor2D;
  private readonly labels: tf.Tensor1D;
  private readonly lossSum: tf.Variable;
  private readonly opts: ClassifierTrainerOptions;
  private readonly layout: MatmulLayout;
  private readonly data: ClassificationData;
  private t = 0;
  private epochExamples = 0;
  private disposed = false;

  constructor(models: readonly Model[], train: ClassificationData, opts: ClassifierTrainerOptions) {
    checkClassifierRun(models, train, opts);
    this.arch = models[0]!.arch;
    this.k = models.length;
    this.opts = opts;
    this.data = train;
    this.layout = opts.layout ?? (tf.getBackend() === 'wasm' ? 'split' : 'batched');
    this.stepsPerEpoch = stepsPerEpoch(train.n, opts.batch);
    this.totalSteps = this.stepsPerEpoch * opts.epochs;
    const stacked = stackModels(models);
    const toVar = (t: tf.Tensor3D): tf.Variable<tf.Rank.R3> => {
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    };
    this.params = { weights: stacked.weights.map(toVar), biases: stacked.biases.map(toVar), encoding: null };
    this.vars = [...this.params.weights, ...this.params.biases] as tf.Variable[];
    this.optimizer = createOptimizer({
      name: opts.optimizer,
      momentum: opts.momentum,
      weightDecay: opts.weightDecay,
    });
    this.orders = opts.batchSeeds.map((s) => new BatchOrder(train.n, opts.batch, s));
    this.x = tf.tensor2d(train.x, [train.n, train.inputs]);
    this.labels = tf.tensor1d(train.labels, 'int32');
    this.lossSum = tf.tidy(() => tf.variable(tf.zeros([this.k]), false));
  }

  /** Minibatch steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** Completed epochs. */
  get epochs(): number {
    return Math.floor(this.t / this.stepsPerEpoch);
  }

  /** The learning rate the next step will use (of the run's `lr`; members may have their own). */
  get lr(): number {
    return learningRateAt(this.opts.schedule, this.opts.lr, this.t, this.totalSteps);
  }

  /** One minibatch step for every member. No GPU→CPU read, so steps queue without a sync. */
  step(): void {
    if (this.disposed) throw new Error('ClassifierTrainer used after dispose');
    const epoch = Math.floor(this.t / this.stepsPerEpoch);
    const within = this.t % this.stepsPerEpoch;
    if (within === 0) {
      tf.tidy(() => this.lossSum.assign(tf.zeros([this.k])));
      this.epochExamples = 0;
    }
    const rows = this.orders.map((o) => o.indices(epoch, within));
    const b = rows[0]!.length;
    const idxData = new Int32Array(this.k * b);
    rows.forEach((r, k) => idxData.set(r, k * b));
    const lr = this.opts.memberLrs
      ? this.opts.memberLrs.map((_, k) => memberRateAt(this.opts, k, this.t, this.totalSteps))
      : this.lr;
    tf.tidy(() => {
      const idx = tf.tensor2d(idxData, [this.k, b], 'int32');
      const xb = tf.gather(this.x, idx) as tf.Tensor as tf.Tensor3D;
      const oneHot = tf.oneHot(tf.gather(this.labels, idx) as tf.Tensor as tf.Tensor2D, this.data.classes);
      let perMember: tf.Tensor1D | null = null;
      const { grads } = tf.variableGrads(() => {
        // variableGrads disposes what its function made; keep the per-member losses for the sum.
        perMember = tf.keep(crossEntropy(forwardStacked(this.arch, this.params, xb, this.layout), oneHot));
        return tf.sum(perMember);
      }, this.vars);
      this.lossSum.assign(tf.add(this.lossSum, tf.mul(perMember!, b)));
      (perMember as tf.Tensor | null)?.dispose();
      this.optimizer.apply(
        this.vars,
        this.vars.map((v) => grads[v.name]!),
        lr,
      );
    });
    this.epochExamples += b;
    this.t += 1;
  }

  /** Mean minibatch cross-entropy per member over the current (or just finished) epoch. */
  async epochTrainLoss(): Promise<Float32Array> {
    const sum = await this.lossSum.data<'float32'>();
    return Float32Array.from(sum, (s) => s / Math.max(1, this.epochExamples));
  }

  /** Per-member cross-entropy and accuracy on `data` (row chunks, one read at the end). */
  async score(data: ClassificationData): Promise<MemberScores> {
    checkEvalData(data);
    if (data.inputs !== this.arch.widths[0] || data.classes !== this.data.classes)
      throw new RangeError(`scoring data has ${data.inputs} inputs / ${data.classes} classes, models differ`);
    // One tidy per chunk, so only one chunk's activations are alive at a time.
    const parts: tf.Tensor[] = [];
    for (let s = 0; s < data.n; s += EVAL_ROWS) {
      const e = Math.min(data.n, s + EVAL_ROWS);
      parts.push(
        tf.tidy(() => {
          const x = tf.tensor2d(data.x.subarray(s * data.inputs, e * data.inputs), [e - s, data.inputs]);
          const lab = tf.tensor1d(data.labels.subarray(s, e), 'int32');
          const logits = forwardStacked(this.arch, this.params, x, this.layout);
          const ce = tf.mul(crossEntropy(logits, tf.oneHot(lab, data.classes)), e - s);
          const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), lab), 'float32'), 1);
          return tf.stack([ce, correct]);
        }),
      );
    }
    const acc = tf.tidy(() => tf.addN(parts));
    tf.dispose(parts);
    const v = await acc.data<'float32'>();
    acc.dispose();
    return {
      loss: Float32Array.from(v.subarray(0, this.k), (s) => s / data.n),
      accuracy: Float32Array.from(v.subarray(this.k), (c) => c / data.n),
    };
  }

  /** The current weights as K models in PyTorch layout. */
  async models(): Promise<Model[]> {
    return unstackModels(this.arch, this.params);
  }

  /**
   * Continues from `s` (taken from another engine of these members, e.g. the WGSL kernel before
   * its device was lost): the trainer was built from `s.models`; this loads the optimiser state,
   * the step count (the batch order's epoch and position, Adam's bias correction) and the epoch's
   * loss so far, so the run goes on as if this trainer had taken those steps.
   */
  resume(s: PopulationSnapshot): void {
    checkSnapshot(s, this.k);
    withStackedMoments(s, (m, v) => this.optimizer.restore(this.vars, s.steps, m, v));
    this.t = s.steps;
    const sums = s.epoch?.lossSums ?? new Float32Array(this.k);
    tf.tidy(() => this.lossSum.assign(tf.tensor1d(sums)));
    this.epochExamples = s.epoch?.examples ?? 0;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeStack(this.params);
    this.optimizer.dispose();
    tf.dispose([this.x, this.labels, this.lossSum]);
  }
}
