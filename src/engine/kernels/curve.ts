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
 * Every core: the T members are split over a pool of shards (src/engine/kernels/curve-shard.ts,
 * contiguous ranges as splitMembers gives them), each shard returns its members' gradients and
 * losses, and the coordinator sums them here in member order k = 0…T−1, whatever the split. So
 * 1, 2 or 4 shards step θ bit for bit alike (tests/kernels-curve-pool.test.ts); only the
 * forward/backward passes run in parallel, the O(T·P) sum and Adam stay here.
 *
 * The loss is the tfjs trainer's, on the same data: an INR's MSE on its whole coordinate grid, or
 * for a classifier the mean softmax cross-entropy (logsumexp − the label's logit) over every
 * example of the data, one full batch per step (the kernel's in-kernel cross-entropy; its
 * gradient (softmax − onehot)/N).
 */
import { abortable, yieldToEvents } from '../cancel';
import type { EvalData } from '../data/eval-data';
import { flattenModel, unflattenModel, type Model } from '../model';
import { FlatAdam } from '../optim/adam';
import { curveSetup } from '../paths/curve-setup';
import { curveCoefficients } from '../paths/interpolate';
import type { CurveTrainOptions, CurveTrainResult } from '../tf/curve';
import { kernelEvaluationCoverage } from './evaluate';
import { inlinePort, replyOf, splitMembers, type ShardPort } from './pool';
import { shareData } from './shared-data';

/** Why the kernel cannot train a curve between models like `like` on `data` (null: it can). */
export function kernelCurveCoverage(like: Model, data: EvalData): string | null {
  return kernelEvaluationCoverage(like, data);
}

/** The tfjs trainer's options, and where the kernel runs. */
export interface KernelCurveOptions extends CurveTrainOptions {
  /**
   * Shards for a step's `members` t samples (closed when training ends); default one in this
   * thread. The browser's come from browserShardPorts, Node's from nodeShardPorts.
   */
  ports?: (members: number) => ShardPort[];
}

/** The tfjs trainer's result, and how the kernel ran it. */
export interface KernelCurveResult extends CurveTrainResult {
  /** Shards the t samples were split over. */
  workers: number;
  /** Every shard read the data on shared memory (no copy per worker). */
  sharedData: boolean;
}

/**
 * Trains the curve's control point on the fused kernel; the options and result are the tfjs
 * trainer's (its `layout` is ignored). Never throws on divergence: it stops, reports `diverged`
 * with the step, and returns the last control point whose loss was finite. A cancel rejects at
 * once, even mid-step, and ends the shards.
 */
export async function trainCurveOnKernel(
  a: Model,
  b: Model,
  data: EvalData,
  opts: KernelCurveOptions = {},
): Promise<KernelCurveResult> {
  const { kind, steps, adam: adamOpts, batchT, yieldEvery, rng, start } = curveSetup(a, b, data, opts);
  const why = kernelCurveCoverage(a, data);
  if (why) throw new Error(`fused kernel cannot train this curve: ${why}`);
  const offered = opts.ports ? opts.ports(batchT) : [inlinePort()];
  if (offered.length === 0) throw new RangeError('trainCurveOnKernel needs at least one port');
  const ranges = splitMembers(batchT, offered.length);
  for (const p of offered.slice(ranges.length)) p.close();
  const ports = offered.slice(0, ranges.length);
  try {
    const shared = shareData(data, ports.length);
    const init = (m: Model) => ({ params: m.params });
    const ready = await abortable(
      Promise.all(
        ports.map((p, i) =>
          p.request({
            type: 'curveInit',
            init: {
              arch: a.arch,
              a: init(a),
              b: init(b),
              start: init(start),
              data: shared,
              members: ranges[i]![1] - ranges[i]![0],
            },
          }),
        ),
      ),
      opts.signal,
    );
    const sharedData = ready.map((r) => replyOf(r, 'ready')).every((r) => r.sharedData);
    const theta = flattenModel(start);
    const adam = new FlatAdam(theta.length, adamOpts);
    const grad = new Float32Array(theta.length);
    let good: Float32Array | null = null;
    const losses: number[] = [];
    let status: CurveTrainResult['status'] = 'done';
    let divergedAt: number | null = null;

    for (let step = 0; step < steps; step++) {
      opts.signal?.throwIfAborted();
      const coeffs = Array.from({ length: batchT }, () => curveCoefficients(kind, rng.next()));
      const replies = await abortable(
        Promise.all(
          ports.map((p, i) => p.request({ type: 'curveGrads', theta, coeffs: coeffs.slice(...ranges[i]!) })),
        ),
        opts.signal,
      );
      const parts = replies.map((r) => replyOf(r, 'curveGrads'));
      const g = parts.flatMap((r) => r.grads);
      const memberLoss = parts.flatMap((r) => Array.from(r.loss));
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
      // ∂/∂θ = (1/T) Σ_k c_θ(t_k)·∂L/∂φ(t_k), summed in member order (the fixed reduction order).
      grad.fill(0);
      coeffs.forEach(([, ct], k) => {
        const gk = g[k]!;
        const w = ct! / batchT;
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
      workers: ports.length,
      sharedData,
    };
  } finally {
    for (const p of ports) p.close();
  }
}
