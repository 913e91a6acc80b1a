/**
 * The worker's merge jobs: run a recipe (align → merge → REPAIR), score it beside its inputs, add
 * the merged model to the workspace; and sweep λ or one weight. Models come from the registry by
 * the identity → workspace id map the app sends.
 */
import { recipeModelId } from '../../engine/experiment/recipe-model-id';
import { recipeId, type MergeRecipe } from '../../engine/merge/recipe';
import type { Model } from '../../engine/model';
import { runMergeRecipe, sweepMergeRecipe, type MergeSweep } from '../../engine/tf/merge-run';
import { ensureBackend } from '../backends';
import type { MergeJob, MergeReply, MergeSweepJob } from '../protocol';
import type { ModelRegistry } from '../registry';
import type { JobContext } from './context';
import { evalDataFor } from './score-data';

/** The recipe's models by identity, from the workspace. */
function modelsOf(
  recipe: MergeRecipe,
  ids: Record<string, string>,
  registry: ModelRegistry,
): Map<string, Model> {
  const need = [
    ...recipe.models,
    ...(recipe.base ? [recipe.base] : []),
    ...(recipe.align ? [recipe.align.reference] : []),
  ];
  const out = new Map<string, Model>();
  for (const identity of need) {
    const wid = ids[identity];
    if (!wid) throw new Error(`model ${identity} is not in the workspace; load it first`);
    out.set(identity, registry.get(wid));
  }
  return out;
}

const progressOf = (ctx: JobContext) => (done: number, total: number, label: string) =>
  ctx.progress({ done, total, label });

/** Runs a recipe; the merge joins the workspace named `job.name`, with the recipe as identity. */
export async function runMerge(job: MergeJob, registry: ModelRegistry, ctx: JobContext): Promise<MergeReply> {
  // STE matching trains with tfjs; the other steps are plain TypeScript.
  if (job.recipe.align?.matching === 'ste') await ensureBackend();
  const models = modelsOf(job.recipe, job.ids, registry);
  const first = models.get(job.recipe.models[0]!)!;
  const data = evalDataFor(job.target, first.arch);
  // The merge is named by a model id (`merge(…)`), so it can be an input of another merge and a
  // link rebuilds it; the readable recipe string is its note.
  const id = recipeModelId(job.recipe);
  const run = await runMergeRecipe(job.recipe, models, data, id, {
    signal: ctx.signal,
    onProgress: progressOf(ctx),
  });
  const merge = run.scores[run.scores.length - 1]!;
  const firstEntry = registry.entry(job.ids[job.recipe.models[0]!]!);
  const entry = registry.add(run.model, {
    name: job.name,
    source: 'merge',
    identity: id,
    recipe: JSON.stringify(job.recipe),
    group: 'merges',
    ...(firstEntry.targetId ? { targetId: firstEntry.targetId } : {}),
    ...(data.kind === 'regression' ? { psnr: merge.metric } : { accuracy: merge.metric }),
    note: recipeId(job.recipe),
  });
  const reconstruction = data.kind === 'regression' ? run.output : new Float32Array(0);
  return { entry, scores: run.scores, reconstruction };
}

/** λ or weight sweep of a recipe (nothing joins the workspace). */
export async function runMergeSweep(
  job: MergeSweepJob,
  registry: ModelRegistry,
  ctx: JobContext,
): Promise<MergeSweep> {
  if (job.recipe.align?.matching === 'ste') await ensureBackend();
  const models = modelsOf(job.recipe, job.ids, registry);
  const data = evalDataFor(job.target, models.get(job.recipe.models[0]!)!.arch);
  return sweepMergeRecipe(job.recipe, models, data, job.param, job.values, {
    signal: ctx.signal,
    onProgress: progressOf(ctx),
  });
}
