/**
 * Trains the middle control point θ of a mode-connecting curve (Garipov et al. 2018, "Loss
 * Surfaces, Mode Connectivity, and Fast Ensembling of DNNs", Sec. 3, Eq. 3 ff.): minimise
 * E_{t~U(0,1)} L(φ_θ(t)) over θ, with the endpoints fixed. Each step samples a small batch of t
 * from a seeded Rng; the curve points φ_θ(t) = c_a(t)·a + c_θ(t)·θ + c_b(t)·b are built as tf ops
 * from a trainable θ, stacked [T, in, out] and evaluated as one batched population, so the
 * gradient flows straight through the (linear) curve into θ. Adam as in PyTorch (tf/adam.ts).
 *
 * Needs tfjs's gradients registered. This file does not import
 * '@tensorflow/tfjs-core/dist/register_all_gradients' itself: that ESM entry cannot load under
 * plain Node (directory imports), so whoever sets up tfjs registers them (tf/trainer.ts does in
 * bundled code; bench/paths.ts shows the Node route).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { ENCODING_NAME, type Model } from '../model';
import { yieldToEvents } from '../cancel';
import { Adam } from './adam';
import { disposeStack, stackModels, unstackModels, type StackedParams } from './stack';
import { disposeData, memberLoss, prefersPerModel, uploadData } from './evaluate';
import type { EvalData } from '../data/eval-data';
import { curveCoefficients, type CurveKind } from '../paths/interpolate';
import { curveSetup, type CurveSettingsInput } from '../paths/curve-setup';

/** The shared settings (curve-setup.ts) plus progress, cancel and the tfjs layout. */
export interface CurveTrainOptions extends CurveSettingsInput {
  /** After every step: (steps done, mean loss at that step). */
  onProgress?: (step: number, loss: number) => void;
  /** Cancels: checked every step; training rejects with the signal's reason (no partial curve). */
  signal?: AbortSignal;
  /**
   * 'stacked': all t of a step as one [T, in, out] population; 'per-t': T separate K = 1 passes.
   * Same numbers; the default picks the faster for the backend (see `prefersPerModel`).
   */
  layout?: 'stacked' | 'per-t';
}

export interface CurveTrainResult {
  kind: CurveKind;
  /** The trained control point; after a divergence, the last one whose loss was finite. */
  control: Model;
  /** Adam updates kept. */
  steps: number;
  /** Mean loss over the step's t batch, per step taken (a non-finite last entry marks divergence). */
  losses: Float32Array;
  /** 'done', or 'diverged' (NaN/Inf loss). */
  status: 'done' | 'diverged';
  diverged: boolean;
  /** The step (0-based) whose loss was non-finite; null unless diverged. */
  divergedAt: number | null;
}

/** The control point's stacked weights as variables ([1, in, out] and [1, 1, out]). */
function controlVariables(control: StackedParams): tf.Variable[] {
  return [...control.weights, ...control.biases].map((t) => tf.variable(t, true));
}

/**
 * Trains the curve's control point on `data`. Never throws on divergence: it stops, reports
 * `diverged` with the step, and returns the last control point whose loss was finite.
 */
export async function trainCurve(
  a: Model,
  b: Model,
  data: EvalData,
  opts: CurveTrainOptions = {},
): Promise<CurveTrainResult> {
  const { kind, steps, adam: adamOpts, batchT, yieldEvery, rng, start } = curveSetup(a, b, data, opts);
  const arch = a.arch;

  const ends = [stackModels([a]), stackModels([b])] as const;
  const init = stackModels([start]);
  const vars = controlVariables(init);
  const L = init.weights.length;
  const controlEncoding = init.encoding;
  tf.dispose([...init.weights, ...init.biases]);
  const adam = new Adam(vars, adamOpts);
  let good: tf.Tensor[] | null = null;
  const tensors = uploadData(data);
  const losses: number[] = [];
  let status: CurveTrainResult['status'] = 'done';
  let divergedAt: number | null = null;

  type PointFn = (ta: tf.Tensor3D, tt: tf.Tensor, tb: tf.Tensor3D) => tf.Tensor3D;
  const stackedPoint = (point: PointFn): StackedParams => ({
    weights: vars.slice(0, L).map((th, l) => point(ends[0].weights[l]!, th, ends[1].weights[l]!)),
    biases: vars.slice(L).map((th, l) => point(ends[0].biases[l]!, th, ends[1].biases[l]!)),
    encoding: controlEncoding ? point(ends[0].encoding!, controlEncoding, ends[1].encoding!) : null,
  });
  const layout = opts.layout ?? (prefersPerModel(arch, data.n) ? 'per-t' : 'stacked');

  const restoreGood = (): void => {
    if (good) vars.forEach((p, i) => p.assign(good![i]!));
  };

  try {
    for (let step = 0; step < steps; step++) {
      opts.signal?.throwIfAborted();
      const coeffs = Array.from({ length: batchT }, () => curveCoefficients(kind, rng.next()));
      const { value, grads } = tf.tidy(() => {
        const lossFn = (): tf.Scalar => {
          if (layout === 'per-t') {
            // One K = 1 population per t: batch-1 matmuls, which tfjs-wasm sends to XNNPACK.
            const each = coeffs.map(([ca, ct, cb]) => {
              const point = (ta: tf.Tensor3D, tt: tf.Tensor, tb: tf.Tensor3D): tf.Tensor3D =>
                tf.add(tf.add(tf.mul(ta, ca), tf.mul(tt, ct)), tf.mul(tb, cb));
              return memberLoss(arch, stackedPoint(point), tensors);
            });
            return tf.mean(tf.concat(each));
          }
          // Coefficient columns [T, 1, 1], broadcast against the [1, in, out] weights.
          const [ka, kt, kb] = [0, 1, 2].map((i) =>
            tf.tensor3d(
              coeffs.map((c) => c[i]!),
              [batchT, 1, 1],
            ),
          );
          const point = (ta: tf.Tensor3D, tt: tf.Tensor, tb: tf.Tensor3D): tf.Tensor3D =>
            tf.add(tf.add(tf.mul(ka!, ta), tf.mul(kt!, tt)), tf.mul(kb!, tb));
          return tf.mean(memberLoss(arch, stackedPoint(point), tensors));
        };
        return tf.variableGrads(lossFn, vars);
      });
      const loss = (await value.data())[0]!;
      value.dispose();
      losses.push(loss);
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        status = 'diverged';
        divergedAt = step;
        restoreGood();
        break;
      }
      // This θ produced a finite loss: it is the one to fall back to if the update blows up.
      if (good) tf.dispose(good);
      good = vars.map((p) => tf.clone(p));
      const t = step + 1;
      adam.update(grads);
      tf.dispose(Object.values(grads));
      opts.onProgress?.(t, loss);
      if (yieldEvery > 0 && t % yieldEvery === 0) await yieldToEvents(opts.signal);
    }
    if (status !== 'diverged') {
      // The last update is not covered by a loss yet; a non-finite weight means it blew up.
      // Read asynchronously: a synchronous readback on WebGPU (an OffscreenCanvas detour in
      // tfjs) never returned in a worker on SwiftShader, hanging the whole job.
      const allFinite = tf.tidy(() => tf.all(tf.stack(vars.map((p) => tf.all(tf.isFinite(p))))));
      const finite = (await allFinite.data())[0] === 1;
      allFinite.dispose();
      if (!finite) {
        status = 'diverged';
        divergedAt = losses.length;
        restoreGood();
      }
    }
    const kept = status === 'diverged' ? Math.max(0, divergedAt! - 1) : losses.length;
    const [trained] = await unstackModels(arch, {
      weights: vars.slice(0, L) as tf.Variable<tf.Rank.R3>[],
      biases: vars.slice(L) as tf.Variable<tf.Rank.R3>[],
      encoding: null,
    });
    const control: Model = {
      arch: trained!.arch,
      params: {
        ...(start.params[ENCODING_NAME] ? { [ENCODING_NAME]: start.params[ENCODING_NAME] } : {}),
        ...trained!.params,
      },
    };
    return {
      kind,
      control,
      steps: kept,
      losses: Float32Array.from(losses),
      status,
      diverged: status === 'diverged',
      divergedAt,
    };
  } finally {
    adam.dispose();
    tf.dispose([...vars, ...(good ?? [])]);
    disposeStack(ends[0]);
    disposeStack(ends[1]);
    if (controlEncoding) controlEncoding.dispose();
    disposeData(tensors);
  }
}
