/**
 * Straight-through estimator matching: Ainsworth, Hayase & Srinivasa (2023), "Git Re-Basin",
 * Sec. 3.3 and Alg. 2 (Alg. 3 in the arXiv v1 numbering). A proxy θ̃_B, initialised to θ_A, is
 * trained so that the midpoint ½(θ_A + π(θ_B)) has low loss, where π is re-solved every step by
 * weight matching θ_B to θ̃_B (the projection onto B's permutation orbit). The forward pass uses
 * π(θ_B) exactly and the gradient flows to θ̃_B straight through the projection:
 * ∂L/∂θ̃_B = ½ ∂L/∂θ_mid. The permutation whose midpoint loss was lowest is returned, and weight
 * matching's own π (the first step) is a candidate, so STE is never worse than weight matching.
 *
 * The gradient needs tfjs; the matching and the Adam update run on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { yieldToEvents } from '../cancel';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { proveSameFunction, weightObjective } from '../align/common';
import { applyPermutations, mlpPermutationSpec } from '../align/permspec';
import type { AlignResult, SignMode } from '../align/types';
import { weightMatching } from '../align/weightMatching';
import { biasName, cloneModel, layerCount, paramShapes, weightName, type Model } from '../model';
import type { EvalData } from '../data/eval-data';
import { disposeData, memberLoss, uploadData, type DataTensors } from './evaluate';
import { midpointModel } from '../paths/interpolate';
import { disposeStack, stackModels } from './stack';
import { DEFAULT_STE_STEPS } from '../merge/matching-name';

/** Settings of STE matching. */
export interface SteOptions {
  /** Gradient steps (default 30). */
  steps?: number;
  /** Adam learning rate on θ̃_B (default 1e-2). */
  lr?: number;
  /** Seed of weight matching's sweep order and of the proof's probe batch (default 0). */
  seed?: number;
  signed?: SignMode;
  /** Called after each step with the step's midpoint loss. */
  onProgress?: (step: number, steps: number, loss: number) => void;
  signal?: AbortSignal;
}

/** STE matching's result: an alignment plus the midpoint losses that chose it. */
export interface SteResult extends Omit<AlignResult, 'method'> {
  method: 'ste';
  /** Midpoint loss of the returned permutation. */
  midpointLoss: number;
  /** Midpoint loss of plain weight matching (step 0), for comparison. */
  weightMatchingLoss: number;
  /** Midpoint loss at every step. */
  lossPerStep: number[];
  /** Step whose permutation was kept (0 = weight matching's). */
  bestStep: number;
}

/** The midpoint's loss and its gradient, in PyTorch layout per trainable tensor. */
function lossAndGrad(mid: Model, data: DataTensors): { loss: number; grads: Record<string, Float32Array> } {
  const arch = mid.arch;
  const stacked = stackModels([mid]);
  try {
    const L = layerCount(arch);
    const inputs = [...stacked.weights, ...stacked.biases];
    const { value, grads } = tf.tidy(() =>
      tf.valueAndGrads(
        (...ts: tf.Tensor[]) =>
          tf.sum(
            memberLoss(
              arch,
              {
                weights: ts.slice(0, L) as tf.Tensor3D[],
                biases: ts.slice(L) as tf.Tensor3D[],
                encoding: stacked.encoding,
              },
              data,
            ),
          ) as tf.Scalar,
      )(inputs),
    );
    const loss = value.dataSync()[0]!;
    const out: Record<string, Float32Array> = {};
    for (let l = 0; l < L; l++) {
      const gw = grads[l]!.dataSync() as Float32Array;
      const [, inp, outDim] = grads[l]!.shape as [number, number, number];
      const w = new Float32Array(inp * outDim);
      // [1, in, out] → PyTorch's [out, in]
      for (let i = 0; i < inp; i++) for (let o = 0; o < outDim; o++) w[o * inp + i] = gw[i * outDim + o]!;
      out[weightName(l)] = w;
      out[biasName(l)] = Float32Array.from(grads[L + l]!.dataSync() as Float32Array);
    }
    tf.dispose([value, ...grads]);
    return { loss, grads: out };
  } finally {
    disposeStack(stacked);
  }
}

/**
 * Aligns `model` (B) to `ref` (A) by STE matching on `data` (an INR's image grid or a labelled
 * batch). Deterministic for a seed. The returned model is π(B), which computes B's function.
 */
export async function steMatching(
  ref: Model,
  model: Model,
  data: EvalData,
  opts: SteOptions = {},
): Promise<SteResult> {
  const t0 = performance.now();
  const steps = opts.steps ?? DEFAULT_STE_STEPS;
  const lr = opts.lr ?? 1e-2;
  const seed = opts.seed ?? 0;
  const wmOpts = { seed, ...(opts.signed ? { signed: opts.signed } : {}), probePoints: 32 };
  const spec = mlpPermutationSpec(ref.arch);
  const tensors = uploadData(data);
  const proxy = cloneModel(ref);
  const names = paramShapes(ref.arch).map((p) => p.name);
  const m1: Record<string, Float64Array> = {};
  const m2: Record<string, Float64Array> = {};
  for (const n of names) {
    m1[n] = new Float64Array(proxy.params[n]!.data.length);
    m2[n] = new Float64Array(proxy.params[n]!.data.length);
  }
  const lossPerStep: number[] = [];
  let best: AlignResult | null = null;
  let bestLoss = Infinity;
  let bestStep = 0;
  let weightMatchingLoss = NaN;
  let sweeps = 0;
  try {
    for (let step = 0; step <= steps; step++) {
      opts.signal?.throwIfAborted();
      // π = argmin ‖θ̃_B − π(θ_B)‖: weight matching of B to the proxy. At step 0 the proxy is A,
      // so this is plain weight matching.
      const wm = weightMatching(proxy, model, wmOpts);
      sweeps += wm.sweeps;
      const { loss, grads } = lossAndGrad(midpointModel(ref, wm.model), tensors);
      lossPerStep.push(loss);
      if (step === 0) weightMatchingLoss = loss;
      if (loss < bestLoss) {
        bestLoss = loss;
        best = wm;
        bestStep = step;
      }
      opts.onProgress?.(step, steps, loss);
      if (step === steps) break;
      // Adam on θ̃_B with the straight-through gradient ½ ∂L/∂θ_mid.
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - b1 ** (step + 1);
      const c2 = 1 - b2 ** (step + 1);
      for (const n of names) {
        const p = proxy.params[n]!.data;
        const g = grads[n]!;
        const a = m1[n]!;
        const v = m2[n]!;
        for (let i = 0; i < p.length; i++) {
          const gi = 0.5 * g[i]!;
          a[i] = b1 * a[i]! + (1 - b1) * gi;
          v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
          p[i] = p[i]! - (lr * (a[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
        }
      }
      // A cancel message can arrive between steps.
      await yieldToEvents(opts.signal);
    }
  } finally {
    disposeData(tensors);
  }
  const chosen = best!;
  const aligned = applyPermutations(model, spec, chosen.perms, chosen.signs);
  const timeMs = performance.now() - t0;
  const proof = proveSameFunction(model, aligned, seed);
  const objectiveAfter = weightObjective(ref, aligned, spec);
  return {
    ...chosen,
    ...proof,
    // Weight matching's objective against A (the proxy's objective is not A's).
    objectiveBefore: weightObjective(ref, model, spec),
    objectiveAfter,
    objectivePerSweep: [objectiveAfter],
    model: aligned,
    method: 'ste',
    sweeps,
    timeMs,
    midpointLoss: bestLoss,
    weightMatchingLoss,
    lossPerStep,
    bestStep,
  };
}
