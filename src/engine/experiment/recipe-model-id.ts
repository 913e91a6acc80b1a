/**
 * A merge recipe as a model id (model-id.ts, `merge(<method>, <params>, <id>, …)`), and back. This
 * is what a merged model is named by in a workspace and in a link, so a merge can be an input of
 * another merge and a link rebuilds the nested recipe from the id alone.
 *
 * The id lists the base first when there is one (methods whose base is optional say so with
 * `base=first`), then the inputs in order, then the alignment reference when it is neither.
 * Parameters are `key=value` pairs: scalars as `density=0.5`, per-depth lists (mergekit's
 * gradients) as `density_0=0.3;density_1=0.7`, per-model weights as `w_<i>` (or `w_<i>_<j>`),
 * alignment as `align=<matching>;align_seed=<n>;align_to=<index into the ids, or extra>` (and
 * `align_steps=<n>` for an STE alignment of other than 30 steps), REPAIR as
 * `repair=true`.
 */
import {
  METHOD_INFO,
  MERGE_METHODS,
  type Gradient,
  type MergeMethod,
  type MergeParams,
} from '../merge/types';
import { DEFAULT_STE_STEPS, type MatchingMethodName } from '../merge/matching-name';
import type { MergeRecipe } from '../merge/recipe';
import { mergeRecipeSchema } from './merge-schema';
import { formatModelId, ModelIdError, parseModelId, type ModelId } from './model-id';

type MergeId = Extract<ModelId, { kind: 'merge' }>;

const GRADIENT_KEYS = ['density', 'gamma', 'epsilon', 'lambda', 't'] as const;

function putGradient(out: Record<string, number | string>, key: string, v: Gradient): void {
  if (typeof v === 'number') out[key] = v;
  else v.forEach((x, j) => (out[`${key}_${j}`] = x));
}

/** The recipe's canonical model id. */
export function recipeModelId(r: MergeRecipe): string {
  const ids = [...(r.base ? [r.base] : []), ...r.models];
  const params: Record<string, number | string> = {};
  if (r.base && METHOD_INFO[r.method].base === 'optional') params.base = 'first';
  r.params.weights?.forEach((w, i) => putGradient(params, `w_${i}`, w));
  for (const k of GRADIENT_KEYS) if (r.params[k] !== undefined) putGradient(params, k, r.params[k]);
  if (r.params.normalize !== undefined) params.normalize = String(r.params.normalize);
  if (r.params.rescale !== undefined) params.rescale = String(r.params.rescale);
  if (r.params.seed !== undefined && METHOD_INFO[r.method].random) params.seed = r.params.seed;
  if (r.align) {
    const at = ids.indexOf(r.align.reference);
    if (at < 0) ids.push(r.align.reference);
    params.align = r.align.matching;
    params.align_seed = r.align.seed;
    params.align_to = at < 0 ? 'extra' : at;
    if (r.align.steps !== undefined && r.align.steps !== DEFAULT_STE_STEPS)
      params.align_steps = r.align.steps;
  }
  if (r.repair) params.repair = 'true';
  return formatModelId({ kind: 'merge', method: r.method, params, models: ids.map(parseModelId) });
}

/** A gradient read back: the scalar `key`, or `key_0`, `key_1`, … in order. */
function takeGradient(p: Map<string, number | string>, key: string): Gradient | undefined {
  const num = (k: string): number => {
    const v = p.get(k);
    p.delete(k);
    if (typeof v !== 'number') throw new ModelIdError(`merge(…) parameter ${k} must be a number`);
    return v;
  };
  if (p.has(key)) return num(key);
  const list: number[] = [];
  while (p.has(`${key}_${list.length}`)) list.push(num(`${key}_${list.length}`));
  return list.length > 0 ? list : undefined;
}

function takeBool(p: Map<string, number | string>, key: string): boolean | undefined {
  if (!p.has(key)) return undefined;
  const v = p.get(key);
  p.delete(key);
  if (v !== 'true' && v !== 'false') throw new ModelIdError(`merge(…) ${key} must be true or false`);
  return v === 'true';
}

/**
 * The recipe a `merge(…)` id names, validated as a link's recipe is (the engine's parameter
 * rules included). Throws ModelIdError naming what does not fit.
 */
export function recipeFromModelId(id: MergeId): MergeRecipe {
  if (!(MERGE_METHODS as readonly string[]).includes(id.method))
    throw new ModelIdError(`"${id.method}" is not a merge method (${MERGE_METHODS.join(', ')})`);
  const method = id.method as MergeMethod;
  const p = new Map(Object.entries(id.params));
  const ids = id.models.map(formatModelId);
  const info = METHOD_INFO[method];
  const hasBase = info.base === 'required' || p.get('base') === 'first';
  p.delete('base');
  const params: MergeParams = {};
  const weights: Gradient[] = [];
  for (let w = takeGradient(p, 'w_0'); w !== undefined; w = takeGradient(p, `w_${weights.length}`))
    weights.push(w);
  if (weights.length > 0) params.weights = weights;
  for (const k of GRADIENT_KEYS) {
    const v = takeGradient(p, k);
    if (v !== undefined) params[k] = v;
  }
  const normalize = takeBool(p, 'normalize');
  if (normalize !== undefined) params.normalize = normalize;
  const rescale = takeBool(p, 'rescale');
  if (rescale !== undefined) params.rescale = rescale;
  if (p.has('seed')) {
    const seed = p.get('seed');
    if (typeof seed !== 'number') throw new ModelIdError('merge(…) seed must be a number');
    params.seed = seed;
    p.delete('seed');
  }
  let align: MergeRecipe['align'] = null;
  let inputs = ids.length;
  if (p.has('align')) {
    // The reference is one of the models, or (`extra`) listed after them.
    const raw = p.get('align_to');
    const to = raw === 'extra' ? ids.length - 1 : raw;
    if (typeof to !== 'number' || !Number.isInteger(to) || to < 0 || to >= ids.length)
      throw new ModelIdError('merge(…) align_to must index one of its models or be extra');
    if (raw === 'extra') inputs = ids.length - 1;
    const steps = p.get('align_steps');
    align = {
      matching: String(p.get('align')) as MatchingMethodName,
      reference: ids[to]!,
      seed: Number(p.get('align_seed') ?? 0),
      ...(steps !== undefined ? { steps: steps as number } : {}),
    };
    for (const k of ['align', 'align_to', 'align_seed', 'align_steps']) p.delete(k);
  }
  const repair = takeBool(p, 'repair') ?? false;
  if (p.size > 0) throw new ModelIdError(`merge(…) has unknown parameters: ${[...p.keys()].join(', ')}`);
  const listed = ids.slice(0, inputs);
  const r = mergeRecipeSchema.safeParse({
    method,
    base: hasBase ? (listed[0] ?? null) : null,
    models: hasBase ? listed.slice(1) : listed,
    params,
    align,
    repair,
  });
  if (!r.success)
    throw new ModelIdError(
      `merge(…) is not a valid recipe: ${r.error.issues.map((i) => i.message).join('; ')}`,
    );
  return r.data as MergeRecipe;
}
