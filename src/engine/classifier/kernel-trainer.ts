/**
 * Minibatch training of K MLP classifiers on the fused WebAssembly kernel (src/engine/kernels):
 * the same run as the tfjs ClassifierTrainer (src/engine/tf/classifier.ts), the reference it is
 * tested against. Each member walks the training set in its own seeded order, so each has a batch
 * of its own in the kernel (KernelClassification.perMember); the step, the optimiser (Adam or SGD
 * with momentum, L2 weight decay) and the learning-rate schedule are those of the reference. One
 * kernel call per step; batches are gathered straight into the kernel's memory, nothing allocated.
 */
import type { ClassificationData } from '../data/eval-data';
import { checkEvalData } from '../data/eval-data';
import { kernelCoverage, MlpKernel, type KernelFlavour } from '../kernels/mlp-kernel';
import type { MlpArch, Model } from '../model';
import { checkSnapshot, type PopulationSnapshot } from '../population-snapshot';
import { BatchOrder, learningRateAt, stepsPerEpoch } from './schedule';
import { checkTraining, type ClassifierTraining } from './settings';

/** Per-member loss [K] and accuracy [K] of a population on a labelled set. */
export interface MemberScores {
  loss: Float32Array;
  accuracy: Float32Array;
}

/**
 * What a run may set per member besides its batch order: its own base learning rate (a soup's
 * ingredients), which the run's schedule then scales as it would `lr`, so K members on K rates
 * train as K separate runs would.
 */
export interface PerMemberRates {
  /** One base learning rate per member, in place of `lr` (default: `lr` for every member). */
  memberLrs?: readonly number[];
}

/** Member k's learning rate at step t of `total`: its base rate (or the run's) under the schedule. */
export function memberRateAt(
  opts: ClassifierTraining & PerMemberRates,
  k: number,
  t: number,
  total: number,
): number {
  return learningRateAt(opts.schedule, opts.memberLrs?.[k] ?? opts.lr, t, total);
}

export interface KernelTrainerOptions extends ClassifierTraining, PerMemberRates {
  /** One batch-order seed per member. */
  batchSeeds: readonly number[];
  /** Force a build (tests); default: the best this runtime runs. */
  flavour?: KernelFlavour;
  /** Examples per tile (a multiple of 8; default the kernel's). */
  tile?: number;
}

/** Kernel memory a classifier population may take in one WebAssembly memory (of 4 GiB at most). */
export const CLASSIFIER_KERNEL_BYTES = 1 << 30;

/** Bytes the kernel needs for K members of `arch` on batches of `batch` (its larger blocks). */
export function classifierKernelBytes(arch: MlpArch, k: number, batch: number): number {
  const params = arch.widths.slice(1).reduce((s, w, l) => s + w * (arch.widths[l]! + 1), 0);
  const padded = Math.ceil(batch / 64) * 64;
  const classes = arch.widths.at(-1)!;
  return 4 * k * (padded * (arch.widths[0]! + 1 + classes) + 3 * params);
}

/** Why the kernel cannot train this population (null: it can). */
export function classifierKernelCoverage(arch: MlpArch, k: number, batch: number): string | null {
  const why = kernelCoverage(arch);
  if (why) return why;
  const bytes = classifierKernelBytes(arch, k, batch);
  if (bytes > CLASSIFIER_KERNEL_BYTES)
    return `${k} member(s) on batches of ${batch} need ${Math.ceil(bytes / 2 ** 20)} MiB of kernel memory, over its ${CLASSIFIER_KERNEL_BYTES / 2 ** 20} MiB`;
  return null;
}

/**
 * Refuses a run that cannot start (settings, data, models against data, batch seeds), with the
 * reason; both trainers (this one and the tfjs reference) call it first.
 */
export function checkClassifierRun(
  models: readonly Model[],
  train: ClassificationData,
  opts: ClassifierTraining & PerMemberRates & { batchSeeds: readonly number[] },
): void {
  checkTraining(opts);
  if (opts.memberLrs) {
    if (opts.memberLrs.length !== models.length)
      throw new RangeError(`${models.length} models but ${opts.memberLrs.length} learning rates`);
    for (const lr of opts.memberLrs) checkTraining({ ...opts, lr });
  }
  checkEvalData(train);
  if (models.length === 0) throw new RangeError('a population needs at least one model');
  if (opts.batchSeeds.length !== models.length)
    throw new RangeError(`${models.length} models but ${opts.batchSeeds.length} batch seeds`);
  const arch = models[0]!.arch;
  const outputs = arch.widths.at(-1)!;
  if (arch.widths[0] !== train.inputs || outputs !== train.classes)
    throw new RangeError(
      `the models map ${arch.widths[0]} inputs to ${outputs} classes, the data has ${train.inputs} inputs and ${train.classes} classes`,
    );
  if (opts.batch > train.n)
    throw new RangeError(`the batch size ${opts.batch} is larger than the ${train.n} training examples`);
}

/** K classifiers training together on the fused kernel. */
export class KernelClassifierTrainer {
  readonly arch: MlpArch;
  readonly k: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly kernel: MlpKernel;
  private readonly orders: BatchOrder[];
  private readonly lossSum: Float64Array;
  /** Example indices 0…batch−1 shifted per scoring chunk (allocated once). */
  private readonly chunkRows: Int32Array;
  /** Each member's learning rate of the coming step (written in place, one per member). */
  private readonly rates: Float64Array;
  private t = 0;
  private epochExamples = 0;

  constructor(
    models: readonly Model[],
    private readonly train: ClassificationData,
    private readonly opts: KernelTrainerOptions,
  ) {
    checkClassifierRun(models, train, opts);
    this.arch = models[0]!.arch;
    const why = classifierKernelCoverage(this.arch, models.length, opts.batch);
    if (why) throw new Error(`fused kernel cannot train these classifiers: ${why}`);
    this.k = models.length;
    this.stepsPerEpoch = stepsPerEpoch(train.n, opts.batch);
    this.totalSteps = this.stepsPerEpoch * opts.epochs;
    this.kernel = new MlpKernel(
      models,
      {
        kind: 'classification',
        inputs: train.inputs,
        classes: train.classes,
        batch: opts.batch,
        perMember: true,
      },
      {
        lr: opts.lr,
        optimizer: opts.optimizer,
        momentum: opts.momentum,
        weightDecay: opts.weightDecay,
        ...(opts.flavour ? { flavour: opts.flavour } : {}),
        ...(opts.tile ? { tile: opts.tile } : {}),
      },
    );
    this.orders = opts.batchSeeds.map((s) => new BatchOrder(train.n, opts.batch, s));
    this.lossSum = new Float64Array(this.k);
    this.chunkRows = new Int32Array(opts.batch);
    this.rates = new Float64Array(this.k);
  }

  /** Which kernel build runs. */
  get flavour(): KernelFlavour {
    return this.kernel.flavour;
  }

  /** Bytes of the kernel's memory as sized at the start. */
  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  /** The memory's current size, for leak checks. */
  get byteLength(): number {
    return this.kernel.byteLength;
  }

  /** Per-member mean cross-entropy of the last step's batch, before that step. */
  lastLoss(): Float32Array {
    return this.kernel.lastLoss();
  }

  /** Minibatch steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** The learning rate the next step will use (of the run's `lr`; members may have their own). */
  get lr(): number {
    return learningRateAt(this.opts.schedule, this.opts.lr, this.t, this.totalSteps);
  }

  /** One minibatch step for every member, each on its own next batch. */
  step(): void {
    const epoch = Math.floor(this.t / this.stepsPerEpoch);
    const within = this.t % this.stepsPerEpoch;
    if (within === 0) {
      this.lossSum.fill(0);
      this.epochExamples = 0;
    }
    const from = within * this.opts.batch;
    const to = Math.min(this.train.n, from + this.opts.batch);
    for (let k = 0; k < this.k; k++)
      this.kernel.setBatchRows(this.train, this.orders[k]!.epochOrder(epoch), k, from, to);
    for (let k = 0; k < this.k; k++) this.rates[k] = memberRateAt(this.opts, k, this.t, this.totalSteps);
    this.kernel.step(0, this.k, this.rates);
    // The kernel's loss is that of the weights the step started from, summed over the batch.
    const sums = this.kernel.lossSums();
    for (let k = 0; k < this.k; k++) this.lossSum[k] = this.lossSum[k]! + sums[k]!;
    this.epochExamples += to - from;
    this.t += 1;
  }

  /** Mean minibatch cross-entropy per member over the current (or just finished) epoch. */
  epochTrainLoss(): Float32Array {
    return Float32Array.from(this.lossSum, (s) => s / Math.max(1, this.epochExamples));
  }

  /**
   * Per-member cross-entropy and accuracy on `data`, through the training kernel in chunks of a
   * batch (every member reads the same chunk); summed in float64. The next step rewrites the batch.
   */
  score(data: ClassificationData): MemberScores {
    checkEvalData(data);
    if (data.inputs !== this.train.inputs || data.classes !== this.train.classes)
      throw new RangeError(`scoring data has ${data.inputs} inputs / ${data.classes} classes, models differ`);
    const C = data.classes;
    const loss = new Float64Array(this.k);
    const correct = new Float64Array(this.k);
    const chunk = this.chunkRows.length;
    for (let s = 0; s < data.n; s += chunk) {
      const e = Math.min(data.n, s + chunk);
      const rows = this.chunkRows;
      for (let i = 0; i < e - s; i++) rows[i] = s + i;
      this.kernel.setBatchRows(data, rows, 'all', 0, e - s);
      const logits = this.kernel.logits();
      const np = this.kernel.paddedRows;
      for (let k = 0; k < this.k; k++) {
        for (let p = 0; p < e - s; p++) {
          let max = -Infinity;
          let arg = 0;
          for (let c = 0; c < C; c++) {
            const z = logits[(k * C + c) * np + p]!;
            if (z > max) {
              max = z;
              arg = c;
            }
          }
          let sum = 0;
          for (let c = 0; c < C; c++) sum += Math.exp(logits[(k * C + c) * np + p]! - max);
          const label = data.labels[s + p]!;
          loss[k] = loss[k]! + max + Math.log(sum) - logits[(k * C + label) * np + p]!;
          if (arg === label) correct[k] = correct[k]! + 1;
        }
      }
    }
    return {
      loss: Float32Array.from(loss, (v) => v / data.n),
      accuracy: Float32Array.from(correct, (v) => v / data.n),
    };
  }

  /** The current weights as K models in PyTorch layout (copies). */
  models(): Model[] {
    return this.kernel.models();
  }

  /** Weights, optimiser state, step count and the epoch's loss so far, for another engine. */
  snapshot(): PopulationSnapshot {
    const { m, v } = this.kernel.moments();
    return {
      steps: this.t,
      models: this.models(),
      m,
      v,
      epoch: { lossSums: Float32Array.from(this.lossSum), examples: this.epochExamples },
    };
  }

  /**
   * Continues from `s` (taken from any engine of these members, the WGSL kernel's included): the
   * trainer was built from `s.models`; this loads the optimiser state, the step count (which sets
   * the batch order's epoch and position, and Adam's bias correction) and the epoch's loss so far.
   */
  resume(s: PopulationSnapshot): void {
    checkSnapshot(s, this.k);
    this.kernel.setMoments(s.steps, s.m, s.v);
    this.t = s.steps;
    // The next step of a new epoch restarts the sums itself; until then they are the last epoch's.
    this.lossSum.fill(0);
    this.epochExamples = 0;
    if (s.epoch) {
      this.lossSum.set(s.epoch.lossSums);
      this.epochExamples = s.epoch.examples;
    }
  }
}
