/** Entry points: align one model or many to a reference, and similarity heatmaps. */
import { assertFinite, type Model } from '../model';
import { activationMatching } from './activationMatching';
import { specFor, validatePair } from './common';
import { axisToFront } from '../gram';
import { identityPerm, type PermutationSpec } from './permspec';
import { SimilarityBuilder } from './similarity';
import type { AlignOptions, AlignProgress, AlignResult } from './types';
import { weightMatching } from './weightMatching';

/** Aligns `model` to `ref` with `opts.method` (default 'weight'). */
export function alignModels(ref: Model, model: Model, opts: AlignOptions = {}): AlignResult {
  return (opts.method ?? 'weight') === 'activation'
    ? activationMatching(ref, model, opts)
    : weightMatching(ref, model, opts);
}

/**
 * Aligns every model to one reference (the clouds view). All inputs are validated before any
 * work, so a bad model fails the call at once rather than after minutes. `onProgress(done,
 * total)` is called after each model.
 */
export function alignMany(
  ref: Model,
  models: Model[],
  opts: AlignOptions = {},
  onProgress?: AlignProgress,
): AlignResult[] {
  assertFinite(ref, 'reference');
  models.forEach((m, i) => validatePair(ref, m, `model ${i}`));
  const out: AlignResult[] = [];
  for (const m of models) {
    out.push(alignModels(ref, m, opts));
    onProgress?.(out.length, models.length);
  }
  return out;
}

/**
 * The similarity matrix of one permutation (index into the spec), n×n row-major float64, with
 * `model` taken as it is (identity on every other permutation): call it with B before alignment
 * and with the aligned model after, for a before/after heatmap. `normalize` (default true)
 * divides by the norms of the unit vectors (every slice the permutation touches, concatenated),
 * giving the cosine similarity of units' weights in [−1, 1]; otherwise it is weight matching's
 * raw Σ_p.
 */
export function layerSimilarity(
  ref: Model,
  model: Model,
  permIndex: number,
  opts: { spec?: PermutationSpec; normalize?: boolean } = {},
): Float64Array {
  validatePair(ref, model);
  const spec = specFor(ref, opts);
  const perm = spec.perms[permIndex];
  if (!perm)
    throw new RangeError(`permutation index ${permIndex} out of range (spec has ${spec.perms.length})`);
  const ids = spec.perms.map((p) => identityPerm(p.size));
  const s = new SimilarityBuilder(spec, ref, model).similarity(permIndex, ids);
  if (opts.normalize === false) return s;
  const n = perm.size;
  const na = unitNorms(ref, perm.axes, n);
  const nb = unitNorms(model, perm.axes, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const d = na[i]! * nb[j]!;
      s[i * n + j] = d > 0 ? s[i * n + j]! / d : 0;
    }
  }
  return s;
}

function unitNorms(m: Model, axes: { tensor: string; axis: number }[], n: number): Float64Array {
  const sq = new Float64Array(n);
  for (const { tensor, axis } of axes) {
    const t = m.params[tensor]!;
    const u = axisToFront(t.data, t.shape, axis);
    const len = u.length / n;
    for (let i = 0; i < n; i++) for (let k = 0; k < len; k++) sq[i] = sq[i]! + u[i * len + k]! ** 2;
  }
  return sq.map(Math.sqrt);
}
