/**
 * Curve training on the fused kernel (Garipov et al. 2018, "Loss Surfaces, Mode Connectivity, and
 * Fast Ensembling of DNNs", Sec. 3): minimise E_{t~U(0,1)} L(φ_θ(t)) over the control point θ,
 * the endpoints a, b fixed. Each step's T samples of t are T members of one kernel call: member k
 * holds φ_θ(t_k) = c_a(t_k)·a + c_θ(t_k)·θ + c_b(t_k)·b (Bezier Eq. 4 or the polychain's
 * Eq. 5, coefficients from curveCoefficients), and the kernel's gradients-only entry returns
 * ∂L/∂φ for each. The curve is linear in θ, so by the chain rule
 *   ∂/∂θ mean_k L(φ_θ(t_k)) = (1/T) Σ_k c_θ(t_k) · ∂L/∂φ(t_k),
 * and Adam (src/engine/optim/adam.ts) steps θ. The same t samples (the seeded Rng) as the tfjs
 * trainer (src/engine/tf/curve.ts), whose results this one reproduces; tfjs stays the fallback
 * for what `kernelCurveCoverage` refuses.
 *
 * The loss is the tfjs trainer's, on the same data: an INR's MSE on its whole coordinate grid, or
 * for a classifier the mean softmax cross-entropy (logsumexp − the label's logit) over every
 * example of the data, one full batch per step (the kernel's in-kernel cross-entropy; its
 * gradient (softmax − onehot)/N).
 */
import { yieldToEvents } from '../cancel';
import type { EvalData } from '../data/eval-data';
import { ENCODING_NAME, flattenModel, unflattenModel, type Model } from '../model';
import { FlatAdam } from '../optim/adam';
import { curveSetup } from '../paths/curve-setup';
import { curveCoefficients } from '../paths/interpolate';
import type { CurveTrainOptions, CurveTrainResult } from '../tf/curve';
import { fullBatchKernel, kernelEvaluationCoverage } from './evaluate';

/** Why the kernel cannot train a curve between models like `like` on `data` (null: it can). */
export function kernelCurveCoverage(like: Model, data: EvalData): string | null {
  return kernelEvaluationCoverage(like, data);
}

const combine3 = (
  [ca, ct, cb]: number[],
  a: Float32Array,
  t: Float32Array,
  b: Float32Array,
  out: Float32Array,
): Float32Array => {
  // The tfjs trainer's order: (a·c_a + θ·c_θ) + b·c_b, each product and sum rounded to float32.
  const f = Math.fround;
  [ca, ct, cb] = [f(ca!), f(ct!), f(cb!)];
  for (let i = 0; i < out.length; i++) out[i] = f(f(f(a[i]! * ca!) + f(t[i]! * ct!)) + f(b[i]! * cb!));
  return out;
};

/**
 * Trains the curve's control point on the fused kernel; the options and result are the tfjs
 * trainer's (its `layout` is ignored). Never throws on divergence: it stops, reports `diverged`
 * with the step, and returns the last control point whose loss was finite.
 */
export async function trainCurveOnKernel(
  a: Model,
  b: Model,
  data: EvalData,
  opts: CurveTrainOptions = {},
): Promise<CurveTrainResult> {
  const { kind, steps, adam: adamOpts, batchT, yieldEvery, rng, start } = curveSetup(a, b, data, opts);
  const why = kernelCurveCoverage(a, data);
  if (why) throw new Error(`fused kernel cannot train this curve: ${why}`);
  const [fa, fb] = [flattenModel(a), flattenModel(b)];
  const theta = flattenModel(start);
  const enc = a.params[ENCODING_NAME]
    ? [a.params[ENCODING_NAME].data, start.params[ENCODING_NAME]!.data, b.params[ENCODING_NAME]!.data]
    : null;
  const kernel = fullBatchKernel(
    Array.from({ length: batchT }, () => start),
    data,
    { lr: 0, gradients: true },
  );
  const adam = new FlatAdam(theta.length, adamOpts);
  const point = new Float32Array(theta.length);
  const encPoint = enc ? new Float32Array(enc[0]!.length) : undefined;
  const grad = new Float32Array(theta.length);
  let good: Float32Array | null = null;
  const losses: number[] = [];
  let status: CurveTrainResult['status'] = 'done';
  let divergedAt: number | null = null;

  for (let step = 0; step < steps; step++) {
    opts.signal?.throwIfAborted();
    const coeffs = Array.from({ length: batchT }, () => curveCoefficients(kind, rng.next()));
    coeffs.forEach((c, k) => {
      kernel.setFlat(
        k,
        combine3(c, fa, theta, fb, point),
        enc ? combine3(c, enc[0]!, enc[1]!, enc[2]!, encPoint!) : undefined,
      );
    });
    const g = kernel.gradients();
    const memberLoss = kernel.lastLoss();
    const loss = memberLoss.reduce((s, x) => s + x, 0) / batchT;
    losses.push(loss);
    if (!Number.isFinite(loss)) {
      status = 'diverged';
      divergedAt = step;
      if (good) theta.set(good);
      break;
    }
    // This θ produced a finite loss: it is the one to fall back to if the update blows up.
    good = theta.slice();
    grad.fill(0);
    coeffs.forEach(([, ct], k) => {
      const gk = g[k]!;
      const w = ct / batchT;
      for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! + w * gk[i]!;
    });
    adam.update(theta, grad);
    const t = step + 1;
    opts.onProgress?.(t, loss);
    if (yieldEvery > 0 && t % yieldEvery === 0) await yieldToEvents(opts.signal);
  }
  if (status !== 'diverged' && !theta.every(Number.isFinite)) {
    // The last update is not covered by a loss yet; a non-finite weight means it blew up.
    status = 'diverged';
    divergedAt = losses.length;
    if (good) theta.set(good);
  }
  const kept = status === 'diverged' ? Math.max(0, divergedAt! - 1) : losses.length;
  return {
    kind,
    control: unflattenModel(start, theta),
    steps: kept,
    losses: Float32Array.from(losses),
    status,
    diverged: status === 'diverged',
    divergedAt,
  };
}
