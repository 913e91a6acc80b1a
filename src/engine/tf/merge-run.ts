/**
 * Runs a merge recipe end to end (align → merge → REPAIR) and scores it beside its inputs, and
 * sweeps one parameter. Scores come from the plain-TypeScript forward pass (float64 sums), so a
 * replayed recipe gives the same numbers on every backend. STE matching needs tfjs, hence the
 * tf layer.
 */
import { yieldToEvents } from '../cancel';
import { forward } from '../forward';
import { mergeModels, repairModel, resolveParams, MergeInputError, type MergeRecipe } from '../merge/index';
import type { Model } from '../model';
import type { EvalData } from '../data/eval-data';
import { evaluateModelsCpu } from '../paths/evaluate-cpu';
import { matchModels } from './matching';

/** One row of the score table. */
export interface MergeScore {
  /** Model id (the recipe id for the merge). */
  id: string;
  role: 'base' | 'input' | 'merge';
  /** MSE (INR) or mean cross-entropy (classifier). */
  loss: number;
  /** PSNR in dB (INR) or accuracy in [0, 1] (classifier). */
  metric: number;
}

/** What a recipe run returns. */
export interface MergeRun {
  model: Model;
  /** The inputs as merged (aligned when the recipe aligns), in recipe order. */
  inputs: Model[];
  base: Model | null;
  scores: MergeScore[];
  /** The merge's output on the data (INR: the reconstruction), flat [n, outputs]. */
  output: Float32Array;
}

/** Progress and cancellation. */
export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, what: string) => void;
}

function resolve(models: ReadonlyMap<string, Model>, id: string): Model {
  const m = models.get(id);
  if (!m)
    throw new MergeInputError(`model ${id} is not in the workspace; load it (or the file it names) first`);
  return m;
}

/** REPAIR coefficients of a recipe's endpoints (see README, `merge --repair`). */
function repairTargets(
  recipe: MergeRecipe,
  inputs: Model[],
  base: Model | null,
): { ends: Model[]; coeffs: number[] } {
  const p = resolveParams(recipe.method, recipe.params);
  if (recipe.method === 'slerp') {
    const t = typeof p.t === 'number' ? p.t : p.t[0]!;
    return { ends: base ? [base, inputs[0]!] : inputs, coeffs: [1 - t, t] };
  }
  const w = recipe.params.weights;
  if (recipe.method === 'linear' && w && w.every((x) => typeof x === 'number')) {
    const s = (w as number[]).reduce((a, b) => a + b, 0);
    return { ends: inputs, coeffs: (w as number[]).map((x) => x / s) };
  }
  return { ends: inputs, coeffs: inputs.map(() => 1 / inputs.length) };
}

/** Aligns the recipe's inputs (and base) as it says; returns them in order. */
export async function prepareInputs(
  recipe: MergeRecipe,
  models: ReadonlyMap<string, Model>,
  data: EvalData,
  opts: RunOptions = {},
): Promise<{ inputs: Model[]; base: Model | null }> {
  let inputs = recipe.models.map((id) => resolve(models, id));
  let base = recipe.base ? resolve(models, recipe.base) : null;
  const al = recipe.align;
  if (al) {
    const ref = resolve(models, al.reference);
    const todo = [...inputs, ...(base ? [base] : [])];
    const out: Model[] = [];
    for (const [i, m] of todo.entries()) {
      opts.signal?.throwIfAborted();
      opts.onProgress?.(i, todo.length, 'aligning');
      out.push(
        (
          await matchModels(ref, m, al.matching, {
            seed: al.seed,
            data,
            ...(al.steps !== undefined ? { steSteps: al.steps } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          })
        ).model,
      );
    }
    inputs = out.slice(0, inputs.length);
    base = base ? out[inputs.length]! : null;
  }
  return { inputs, base };
}

/** Merges prepared inputs with the recipe's method and params, REPAIRed when it says so. */
export function mergePrepared(
  recipe: MergeRecipe,
  inputs: Model[],
  base: Model | null,
  data: EvalData,
): Model {
  const merged = mergeModels(recipe.method, inputs, {
    ...(base ? { base } : {}),
    params: recipe.params,
    names: recipe.models,
    ...(recipe.base ? { baseName: recipe.base } : {}),
  });
  if (!recipe.repair) return merged;
  const { ends, coeffs } = repairTargets(recipe, inputs, base);
  return repairModel(merged, ends, coeffs, data.x, data.n).model;
}

/** Runs the recipe and scores base, inputs and merge on `data`. */
export async function runMergeRecipe(
  recipe: MergeRecipe,
  models: ReadonlyMap<string, Model>,
  data: EvalData,
  id: string,
  opts: RunOptions = {},
): Promise<MergeRun> {
  const { inputs, base } = await prepareInputs(recipe, models, data, opts);
  opts.signal?.throwIfAborted();
  opts.onProgress?.(1, 2, 'merging');
  const model = mergePrepared(recipe, inputs, base, data);
  // The originals are scored (alignment does not change a function, only its weights).
  const originals = [
    ...(recipe.base ? [resolve(models, recipe.base)] : []),
    ...recipe.models.map((i) => resolve(models, i)),
  ];
  const ids = [...(recipe.base ? [recipe.base] : []), ...recipe.models];
  const r = evaluateModelsCpu([...originals, model], data);
  const scores: MergeScore[] = [...ids, id].map((mid, k) => ({
    id: mid,
    role: k === ids.length ? 'merge' : recipe.base && k === 0 ? 'base' : 'input',
    loss: r.loss[k]!,
    metric: r.metric[k]!,
  }));
  opts.onProgress?.(2, 2, 'done');
  return { model, inputs, base, scores, output: forward(model, data.x, data.n) };
}

/** What a sweep varies: λ, or the weight of one input (by index). */
export type SweepParam = { kind: 'lambda' } | { kind: 'weight'; index: number };

/** A sweep's curve: the merge's loss and metric at each value. */
export interface MergeSweep {
  values: number[];
  loss: number[];
  metric: number[];
}

/**
 * The merge's score against λ (or one input's weight) at `values`, aligning once and merging
 * (and REPAIRing, when the recipe does) at each value.
 */
export async function sweepMergeRecipe(
  recipe: MergeRecipe,
  models: ReadonlyMap<string, Model>,
  data: EvalData,
  param: SweepParam,
  values: readonly number[],
  opts: RunOptions = {},
): Promise<MergeSweep> {
  const { inputs, base } = await prepareInputs(recipe, models, data, opts);
  const loss: number[] = [];
  const metric: number[] = [];
  for (const [i, v] of values.entries()) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.(i, values.length, 'sweeping');
    const params = { ...recipe.params };
    if (param.kind === 'lambda') params.lambda = v;
    else {
      const w = recipe.models.map((_, k) => recipe.params.weights?.[k] ?? 1);
      w[param.index] = v;
      params.weights = w;
    }
    const m = mergePrepared({ ...recipe, params }, inputs, base, data);
    const r = evaluateModelsCpu([m], data);
    loss.push(r.loss[0]!);
    metric.push(r.metric[0]!);
    await yieldToEvents(opts.signal);
  }
  opts.onProgress?.(values.length, values.length, 'done');
  return { values: [...values], loss, metric };
}
