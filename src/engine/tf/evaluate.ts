/**
 * Loss and metric of many models of one architecture, evaluated as ONE batched population: each
 * chunk of models is stacked ([K, in, out] weights) and run through one batched forward pass, so
 * a 25-point path or a 21×21 plane costs a handful of large matmuls instead of hundreds of small
 * ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { yieldToEvents } from '../cancel';
import { psnr } from '../inr';
import type { MlpArch, Model } from '../model';
import { assertOutputsMatch, checkEvalData, type EvalData, type EvalResult } from '../data/eval-data';
import { kernelEvaluationCoverage } from '../kernels/evaluate';
import { evaluateOnKernel } from '../kernels/evaluate-many';
import type { ShardPort } from '../kernels/pool';
import { disposeStack, forwardStacked, perMemberMse, stackModels, type StackedParams } from './stack';

export interface EvalOptions {
  /** Models per batched forward pass (default: from `defaultChunk`). */
  chunk?: number;
  /** Called after each chunk with (models done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops between chunks, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** false: tfjs even where the fused kernel covers the models (tests, benchmarks). */
  kernel?: boolean;
  /**
   * Fused kernel: shards for `models` models (closed when done), the chunks spread over them;
   * default one kernel in this thread.
   */
  ports?: (models: number) => ShardPort[];
}

const maxWidth = (arch: MlpArch): number =>
  Math.max(...arch.widths, arch.encoding ? 2 * arch.encoding.features : 0);

/**
 * Whether one model per forward pass beats a stacked population on the current backend.
 * tfjs-wasm 4.22 sends only batch-1 matmuls to XNNPACK and runs batched ones in a plain loop;
 * measured here (SIREN 3×64, 64×64, 25 models), per-model passes took 0.95 s against 2.2 s
 * stacked, while on the cpu backend stacking won (4.9 s against 15 s). For small activations the
 * per-op overhead dominates and stacking wins everywhere.
 */
export function prefersPerModel(arch: MlpArch, n: number): boolean {
  return tf.getBackend() === 'wasm' && n * maxWidth(arch) > 2 ** 16;
}

/**
 * Models per chunk: 1 where `prefersPerModel`, else enough that one hidden activation
 * [K, n, width] stays near 2²³ floats (32 MB), since a chunk's intermediates live until its tidy
 * ends. Between 1 and 64.
 */
export function defaultChunk(arch: MlpArch, n: number): number {
  if (prefersPerModel(arch, n)) return 1;
  return Math.max(1, Math.min(64, Math.floor(2 ** 23 / Math.max(1, n * maxWidth(arch)))));
}

/** The data as tensors, uploaded once per evaluator. */
export interface DataTensors {
  x: tf.Tensor2D;
  /** Regression targets [n, channels]. */
  y: tf.Tensor2D | null;
  /** Classification one-hot labels [n, classes]. */
  oneHot: tf.Tensor2D | null;
  /** Classification labels [n], int32. */
  labels: tf.Tensor1D | null;
}

/** Uploads the data (caller disposes with `disposeData`). */
export function uploadData(data: EvalData): DataTensors {
  checkEvalData(data);
  const x = tf.tensor2d(data.x, [data.n, data.inputs]);
  if (data.kind === 'regression')
    return { x, y: tf.tensor2d(data.y, [data.n, data.channels]), oneHot: null, labels: null };
  const labels = tf.tensor1d(data.labels, 'int32');
  const oneHot = tf.tidy(() => tf.cast(tf.oneHot(labels, data.classes), 'float32') as tf.Tensor2D);
  return { x, y: null, oneHot, labels };
}

export function disposeData(t: DataTensors): void {
  tf.dispose([t.x, ...(t.y ? [t.y] : []), ...(t.oneHot ? [t.oneHot] : []), ...(t.labels ? [t.labels] : [])]);
}

/**
 * Per-member loss [K] of a stacked population, differentiable: MSE for regression; for
 * classification the mean over the batch of logsumexp(z) − z_label (cross-entropy on logits).
 * Call inside tf.tidy (or variableGrads).
 */
export function memberLoss(arch: MlpArch, p: StackedParams, data: DataTensors): tf.Tensor1D {
  const pred = forwardStacked(arch, p, data.x);
  if (data.y) return perMemberMse(pred, data.y);
  const lse = tf.logSumExp(pred, 2);
  const picked = tf.sum(tf.mul(pred, data.oneHot!), 2);
  return tf.mean(tf.sub(lse, picked), 1) as tf.Tensor1D;
}

/** Per-member accuracy [K] (argmax of logits equals the label). Call inside tf.tidy. */
function memberAccuracy(arch: MlpArch, p: StackedParams, data: DataTensors): tf.Tensor1D {
  const pred = forwardStacked(arch, p, data.x);
  return tf.mean(tf.cast(tf.equal(tf.argMax(pred, 2), data.labels!), 'float32'), 1) as tf.Tensor1D;
}

/**
 * Holds the data on the backend so that repeated evaluations (a path, then a plane) upload it
 * once. Dispose when done.
 */
export class BatchEvaluator {
  readonly data: EvalData;
  private readonly tensors: DataTensors;
  private disposed = false;
  /** Which path the last evaluate ran: the fused wasm kernel or tfjs. */
  lastPath: 'fused' | 'tfjs' | null = null;

  constructor(data: EvalData) {
    this.data = data;
    this.tensors = uploadData(data);
  }

  /**
   * Evaluates `count` models built on demand by `build(i)`, chunk by chunk, so that only one
   * chunk's weights exist at a time (a 21×21 plane never holds 441 models at once).
   */
  async evaluate(count: number, build: (i: number) => Model, opts: EvalOptions = {}): Promise<EvalResult> {
    if (this.disposed) throw new Error('BatchEvaluator used after dispose');
    const loss = new Float32Array(count);
    const metric = new Float32Array(count);
    if (count === 0) return { loss, metric };
    if (opts.kernel !== false) {
      // The fused kernel's forward pass where it covers the models (13× tfjs-wasm on a 21×21
      // SIREN plane here); tfjs below for everything else.
      const first = build(0);
      assertOutputsMatch(first.arch, this.data);
      if (kernelEvaluationCoverage(first, this.data) === null) {
        this.lastPath = 'fused';
        return evaluateOnKernel(count, (i) => (i === 0 ? first : build(i)), this.data, opts);
      }
    }
    this.lastPath = 'tfjs';
    let chunk = opts.chunk ?? 0;
    for (let start = 0; start < count; start += chunk) {
      // A macrotask turn per chunk: a worker receives a cancel (or a ping) between chunks.
      await yieldToEvents(opts.signal);
      const first = build(start);
      if (start === 0) assertOutputsMatch(first.arch, this.data);
      if (chunk <= 0) chunk = defaultChunk(first.arch, this.data.n);
      const end = Math.min(count, start + chunk);
      const models = [first];
      for (let i = start + 1; i < end; i++) models.push(build(i));
      const arch = first.arch;
      const stacked = stackModels(models);
      let out: tf.Tensor1D[];
      try {
        out = tf.tidy(() => {
          const l = memberLoss(arch, stacked, this.tensors);
          return this.data.kind === 'classification' ? [l, memberAccuracy(arch, stacked, this.tensors)] : [l];
        });
      } finally {
        disposeStack(stacked);
      }
      const values = await Promise.all(out.map((t) => t.data<'float32'>()));
      tf.dispose(out);
      loss.set(values[0]!, start);
      if (this.data.kind === 'classification') metric.set(values[1]!, start);
      else for (let i = start; i < end; i++) metric[i] = psnr(loss[i]!);
      opts.onProgress?.(end, count);
    }
    return { loss, metric };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeData(this.tensors);
  }
}

/** Evaluates models built on demand, uploading the data once for this call. */
export async function evaluateMany(
  count: number,
  build: (i: number) => Model,
  data: EvalData,
  opts: EvalOptions = {},
): Promise<EvalResult> {
  const ev = new BatchEvaluator(data);
  try {
    return await ev.evaluate(count, build, opts);
  } finally {
    ev.dispose();
  }
}

/** Loss and metric of each model (all of one architecture) as one batched population. */
export function evaluateModels(
  models: readonly Model[],
  data: EvalData,
  opts: EvalOptions = {},
): Promise<EvalResult> {
  return evaluateMany(models.length, (i) => models[i]!, data, opts);
}
