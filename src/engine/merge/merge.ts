/**
 * One entry point for every merge method: validates, resolves mergekit's defaults and per-layer
 * gradients, and merges tensor by tensor in float64 (rounded to float32 once).
 */
import type { Tensor } from '../tensor';
import { ENCODING_NAME, paramShapes, structuredCloneArch, type Model } from '../model';
import { createRng, deriveSeed } from '../rng';
import { bernoulliDrop } from './dare';
import { dellaMagprune } from './della';
import { magnitudeOutliers } from './breadcrumbs';
import { evaluateGradient, tensorDepth } from './gradient';
import { linearTensor } from './linear';
import { modelStockTensor } from './model-stock';
import { slerpTensor } from './slerp';
import { mixTaskVectors, type Sparsifier } from './task-arithmetic';
import { magnitudeTopK } from './ties';
import { METHOD_INFO, MergeInputError, type MergeMethod, type MergeParams } from './types';
import { checkModels, checkParams, type MergeLabels } from './validate';

/** How each generalized-task-arithmetic method sparsifies and whether it elects signs. */
const GTA: Partial<Record<MergeMethod, { sparsify?: Sparsifier; consensus: boolean }>> = {
  task_arithmetic: { consensus: false },
  ties: { sparsify: magnitudeTopK, consensus: true },
  dare_linear: { sparsify: bernoulliDrop, consensus: false },
  dare_ties: { sparsify: bernoulliDrop, consensus: true },
  breadcrumbs: { sparsify: magnitudeOutliers, consensus: false },
  breadcrumbs_ties: { sparsify: magnitudeOutliers, consensus: true },
  della: { sparsify: dellaMagprune, consensus: true },
  della_linear: { sparsify: dellaMagprune, consensus: false },
};

/** A method's parameters with mergekit's defaults filled in. */
export type ResolvedParams = Required<Omit<MergeParams, 'weights'>> & Pick<MergeParams, 'weights'>;

/** Fills every unset parameter with the method's default (mergekit's registry). */
export function resolveParams(method: MergeMethod, p: MergeParams = {}): ResolvedParams {
  const d = METHOD_INFO[method].defaults;
  return {
    ...(p.weights ? { weights: p.weights } : {}),
    density: p.density ?? 1,
    gamma: p.gamma ?? (d.gamma as number | undefined) ?? 0.01,
    epsilon: p.epsilon ?? (d.epsilon as number | undefined) ?? 0.15,
    lambda: p.lambda ?? 1,
    t: p.t ?? 0.5,
    normalize: p.normalize ?? (d.normalize as boolean | undefined) ?? false,
    rescale: p.rescale ?? (d.rescale as boolean | undefined) ?? false,
    seed: p.seed ?? 0,
  };
}

/** Inputs of `mergeModels` besides the method and the models. */
export interface MergeOptions extends MergeLabels {
  base?: Model;
  params?: MergeParams;
}

const f64 = (t: Tensor): Float64Array => Float64Array.from(t.data);

/**
 * Merges `models` (and `base`, where the method takes one) with `method`. Refuses bad inputs with
 * MergeInputError before any work; never modifies its inputs.
 */
export function mergeModels(method: MergeMethod, models: readonly Model[], opts: MergeOptions = {}): Model {
  if (!(method in METHOD_INFO)) throw new MergeInputError(`unknown merge method "${String(method)}"`);
  const { base } = opts;
  checkModels(method, models, base, opts);
  checkParams(method, opts.params ?? {}, models.length);
  const p = resolveParams(method, opts.params);
  const like = base ?? models[0]!;
  const arch = like.arch;
  const shapes = paramShapes(arch);
  // Per-tensor values first, so a bad combination at any depth fails before any work.
  const perTensor = shapes.map(({ name }) => {
    const t = tensorDepth(name, arch);
    const weights = models.map((_, i) => evaluateGradient(p.weights?.[i] ?? 1, t));
    const v = {
      weights,
      density: evaluateGradient(p.density, t),
      gamma: evaluateGradient(p.gamma, t),
      epsilon: evaluateGradient(p.epsilon, t),
      lambda: evaluateGradient(p.lambda, t),
      t: evaluateGradient(p.t, t),
    };
    if (method === 'linear' && p.normalize && Math.abs(weights.reduce((a, b) => a + b, 0)) < 1e-12)
      throw new MergeInputError(
        `linear: the weights at ${name} sum to 0, so normalize cannot divide by them`,
      );
    if ((method === 'della' || method === 'della_linear') && v.density < 1) {
      if (v.density + v.epsilon >= 1 || v.density - v.epsilon <= 0)
        throw new MergeInputError(
          `${method}: at ${name}, density ± epsilon = ${v.density} ± ${v.epsilon} leaves (0, 1); ` +
            'keep probabilities must stay inside it — lower epsilon or move density',
        );
    }
    return v;
  });

  const params: Record<string, Tensor> = {};
  const enc = like.params[ENCODING_NAME];
  if (enc) params[ENCODING_NAME] = { data: new Float32Array(enc.data), shape: [...enc.shape] };
  shapes.forEach(({ name, shape }, ti) => {
    const v = perTensor[ti]!;
    const xs = models.map((m) => f64(m.params[name]!));
    let out: Float64Array;
    if (method === 'linear') out = linearTensor(xs, v.weights, p.normalize);
    else if (method === 'slerp')
      out = base ? slerpTensor(f64(base.params[name]!), xs[0]!, v.t) : slerpTensor(xs[0]!, xs[1]!, v.t);
    else if (method === 'model_stock') out = modelStockTensor(f64(base!.params[name]!), xs, name);
    else {
      const g = GTA[method]!;
      const b = f64(base!.params[name]!);
      const deltas = xs.map((x, m) => {
        const tau = new Float64Array(x.length);
        for (let i = 0; i < tau.length; i++) tau[i] = x[i]! - b[i]!;
        if (!g.sparsify) return tau;
        const seed = deriveSeed(deriveSeed(p.seed, m), ti);
        return g.sparsify(tau, { ...v, rescale: p.rescale, shape, rng: () => createRng(seed) });
      });
      out = mixTaskVectors(b, deltas, v.weights, {
        consensus: g.consensus,
        normalize: p.normalize,
        lambda: v.lambda,
      });
    }
    params[name] = { data: Float32Array.from(out), shape: [...shape] };
  });
  return { arch: structuredCloneArch(arch), params };
}
