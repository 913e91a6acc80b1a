/**
 * A merge recipe: everything that makes a merged model, with its inputs named by model id
 * (DESIGN "Models are referenced by identity": `sample:<name>`, `file:<sha256>`,
 * `member:<hash>/<i>`, or a recipe). The recipe is what a share link carries and what a
 * downloaded merge records in its metadata; replaying it gives the same model.
 */
import type { MatchingMethodName } from './matching-name';
import { METHOD_INFO, type Gradient, type MergeMethod, type MergeParams } from './types';

/** How inputs are aligned before merging: every model (and the base) to `reference`. */
export interface RecipeAlignment {
  matching: MatchingMethodName;
  /** Model id of the reference. */
  reference: string;
  seed: number;
  /** STE's gradient steps (ste only); absent: DEFAULT_STE_STEPS. */
  steps?: number;
}

/** A complete, replayable merge. */
export interface MergeRecipe {
  method: MergeMethod;
  /** Model id of the base, or null for methods that take none. */
  base: string | null;
  /** Model ids of the inputs, in order (weights follow this order). */
  models: string[];
  params: MergeParams;
  align: RecipeAlignment | null;
  /** REPAIR the merge on the scoring data (Jordan et al. 2023). */
  repair: boolean;
}

const g = (v: Gradient): string => (typeof v === 'number' ? String(v) : `[${v.join(' ')}]`);

/**
 * The recipe as a model id: `merge(method, params…, ids…)`, with `base=`, `aligned(…)` and
 * `repair` where they apply. Deterministic (keys in a fixed order), so equal recipes have equal ids.
 */
export function recipeId(r: MergeRecipe): string {
  const parts: string[] = [r.method];
  if (r.base) parts.push(`base=${r.base}`);
  const p = r.params;
  if (p.weights) parts.push(`weights=[${p.weights.map(g).join(' ')}]`);
  for (const k of ['density', 'gamma', 'epsilon', 'lambda', 't'] as const)
    if (p[k] !== undefined) parts.push(`${k}=${g(p[k])}`);
  if (p.normalize !== undefined) parts.push(`normalize=${p.normalize}`);
  if (p.rescale !== undefined) parts.push(`rescale=${p.rescale}`);
  if (p.seed !== undefined && METHOD_INFO[r.method].random) parts.push(`seed=${p.seed}`);
  if (r.align) {
    const steps = r.align.matching === 'ste' && r.align.steps !== undefined ? `, ${r.align.steps} steps` : '';
    parts.push(`aligned(${r.align.matching} to ${r.align.reference}, seed ${r.align.seed}${steps})`);
  }
  if (r.repair) parts.push('repair');
  return `merge(${[...parts, ...r.models].join(', ')})`;
}
