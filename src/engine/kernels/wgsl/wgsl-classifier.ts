/// <reference types="@webgpu/types" />
/**
 * Minibatch training of K MLP classifiers on the WGSL kernel (wgsl-kernel.ts): the same run as
 * the tfjs ClassifierTrainer (src/engine/tf/classifier.ts), the reference it is tested against,
 * and as the wasm KernelClassifierTrainer. Each member walks the training set in its own seeded
 * order; its rows are written before each step, which is then two dispatches (forward + backward
 * per (tile, member), then reduce + update). The training and held-out sets stay on the GPU; the
 * epoch's loss is summed there too, so a step reads nothing back.
 */
import type { ClassificationData } from '../../data/eval-data';
import { checkClassifierRun, type MemberScores } from '../../classifier/kernel-trainer';
import { BatchOrder, learningRateAt, stepsPerEpoch } from '../../classifier/schedule';
import type { ClassifierTraining } from '../../classifier/settings';
import type { MlpArch, Model } from '../../model';
import type { PopulationSnapshot } from '../../population-snapshot';
import { wgslCoverage } from './plan';
import { WgslKernel } from './wgsl-kernel';

export interface WgslClassifierOptions extends ClassifierTraining {
  /** One batch-order seed per member. */
  batchSeeds: readonly number[];
  /** Tiles per member (tests). */
  tiles?: number;
}

/** Why the WGSL kernel cannot train these classifiers (null: it can). */
export function wgslClassifierCoverage(arch: MlpArch): string | null {
  if (arch.encoding) return 'classifiers with Fourier features are not in the WGSL kernel';
  return wgslCoverage(arch);
}

/** K classifiers training together on the WGSL kernel, on one GPUDevice. */
export class WgslClassifierTrainer {
  readonly k: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly orders: BatchOrder[];
  private t = 0;
  private epochExamples = 0;

  private constructor(
    private readonly kernel: WgslKernel,
    private readonly sets: readonly ClassificationData[],
    private readonly opts: WgslClassifierOptions,
  ) {
    const train = sets[0]!;
    this.k = kernel.k;
    this.stepsPerEpoch = stepsPerEpoch(train.n, opts.batch);
    this.totalSteps = this.stepsPerEpoch * opts.epochs;
    this.orders = opts.batchSeeds.map((s) => new BatchOrder(train.n, opts.batch, s));
  }

  /**
   * Compiles the kernel for this run on `device` (rejects with the reason when the run is not
   * covered, or the shaders fail to compile). The device stays the caller's.
   */
  static async create(
    device: GPUDevice,
    models: readonly Model[],
    train: ClassificationData,
    heldOut: ClassificationData,
    opts: WgslClassifierOptions,
  ): Promise<WgslClassifierTrainer> {
    checkClassifierRun(models, train, opts);
    const why = wgslClassifierCoverage(models[0]!.arch);
    if (why) throw new Error(`WGSL kernel cannot train these classifiers: ${why}`);
    if (heldOut.inputs !== train.inputs || heldOut.classes !== train.classes)
      throw new RangeError('the held-out set differs from the training set in inputs or classes');
    const kernel = await WgslKernel.create(
      device,
      models,
      { kind: 'classification', sets: [train, heldOut], batch: opts.batch },
      {
        lr: opts.lr,
        optimizer: opts.optimizer,
        momentum: opts.momentum,
        weightDecay: opts.weightDecay,
        ...(opts.tiles ? { tiles: opts.tiles } : {}),
      },
    );
    return new WgslClassifierTrainer(kernel, [train, heldOut], opts);
  }

  /** The kernel's shape plan (tiles, workgroup). */
  get plan(): WgslKernel['plan'] {
    return this.kernel.plan;
  }

  /** Dispatches the last step recorded (2). */
  get dispatchesPerStep(): number {
    return this.kernel.dispatchesPerStep;
  }

  /** Minibatch steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    return learningRateAt(this.opts.schedule, this.opts.lr, this.t, this.totalSteps);
  }

  /** One minibatch step for every member, each on its own next batch; nothing waits for the GPU. */
  step(): void {
    const epoch = Math.floor(this.t / this.stepsPerEpoch);
    const within = this.t % this.stepsPerEpoch;
    if (within === 0) this.epochExamples = 0;
    const train = this.sets[0]!;
    const from = within * this.opts.batch;
    const to = Math.min(train.n, from + this.opts.batch);
    for (let k = 0; k < this.k; k++)
      this.kernel.rows.set(this.orders[k]!.epochOrder(epoch).subarray(from, to), k * this.opts.batch);
    this.kernel.step({ lr: this.lr, count: to - from, reset: within === 0 });
    this.epochExamples += to - from;
    this.t += 1;
  }

  /** Mean minibatch cross-entropy per member over the current (or just finished) epoch. */
  async epochTrainLoss(): Promise<Float32Array> {
    const sums = await this.kernel.epochLossSums();
    return Float32Array.from(sums, (s) => s / Math.max(1, this.epochExamples));
  }

  /** Per-member cross-entropy and accuracy on the training or held-out set, summed in float64. */
  async score(which: 'train' | 'heldOut'): Promise<MemberScores> {
    const set = which === 'train' ? 0 : 1;
    const data = this.sets[set]!;
    const loss = new Float64Array(this.k);
    const correct = new Float64Array(this.k);
    const chunk = this.opts.batch;
    for (let s = 0; s < data.n; s += chunk) {
      const count = Math.min(chunk, data.n - s);
      const out = await this.kernel.scoreChunk(set, s, count);
      for (let k = 0; k < this.k; k++)
        for (let p = 0; p < count; p++) {
          loss[k] = loss[k]! + out[(k * chunk + p) * 2]!;
          correct[k] = correct[k]! + out[(k * chunk + p) * 2 + 1]!;
        }
    }
    return {
      loss: Float32Array.from(loss, (v) => v / data.n),
      accuracy: Float32Array.from(correct, (v) => v / data.n),
    };
  }

  /** The current weights as K models in PyTorch layout. */
  models(): Promise<Model[]> {
    return this.kernel.models();
  }

  /**
   * Weights, optimiser state, step count and the epoch's loss so far, read back: what another
   * engine continues from if this device is lost later (KernelClassifierTrainer.resume).
   */
  async snapshot(): Promise<PopulationSnapshot> {
    const models = await this.kernel.models();
    const { m, v } = await this.kernel.optimizerState();
    const lossSums = await this.kernel.epochLossSums();
    return { steps: this.t, models, m, v, epoch: { lossSums, examples: this.epochExamples } };
  }

  dispose(): void {
    this.kernel.dispose();
  }
}
