/**
 * The Merge tab's state and actions. The form edits a draft; Merge turns it into a recipe whose
 * models are named by identity (sample id, dropped file's hash), writes the recipe into the
 * experiment (so Share carries it) and runs it in the worker. A shared link replays the recipe.
 */
import { createStore, useStore } from 'zustand';
import { archKey, describeArch } from '../../../engine/model';
import {
  MERGE_METHODS,
  METHOD_INFO,
  MergeInputError,
  recipeId,
  type MatchingMethodName,
  type MergeMethod,
  type MergeParams,
  type MergeRecipe,
} from '../../../engine/merge';
import { checkParams } from '../../../engine/merge/validate';
import { DEFAULT_STE_STEPS, MAX_STE_STEPS } from '../../../engine/merge/matching-name';
import type { MergeScore, MergeSweep, SweepParam } from '../../../engine/tf/merge-run';
import type { ModelEntry, ScoreTarget } from '../../../workers/protocol';
import { targetTransferables } from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, scoreChoice } from '../../data/score';
import { addModels, appStore, dismissBanners, showBanner, updateSpec } from '../../store';
import { registerMergeBuilder } from '../../replay';
import type { ModelId } from '../../../engine/experiment/model-id';
import { recipeFromModelId } from '../../../engine/experiment/recipe-model-id';

/** The form, as the person left it (numbers as typed, so a bad one can be shown with its reason). */
export interface MergeDraft {
  method: MergeMethod;
  base: string | null;
  models: string[];
  /** Per parameter, the text typed ('' = mergekit's default). */
  text: Record<'weights' | 'density' | 'lambda' | 'gamma' | 'epsilon' | 't' | 'seed', string>;
  normalize: 'default' | 'true' | 'false';
  rescale: 'default' | 'true' | 'false';
  align: boolean;
  matching: MatchingMethodName;
  /** STE's gradient steps as typed ('' = the default 30); read only when matching is ste. */
  steSteps: string;
  reference: string | null;
  repair: boolean;
}

/** A finished merge, as the table shows it. */
export interface MergeResultView {
  recipe: MergeRecipe;
  id: string;
  entryId: string;
  name: string;
  rows: (MergeScore & { name: string })[];
  classify: boolean;
  targetLabel: string;
  /** INR: the merge's reconstruction and its size. */
  image: { data: Float32Array; width: number; height: number; channels: number } | null;
}

export interface SweepView extends MergeSweep {
  /** The recipe swept (λ or the weight left as the form had it). */
  recipeId: string;
  param: SweepParam;
  label: string;
  classify: boolean;
  /** The base's and inputs' losses, drawn as reference lines. */
  refs: { name: string; role: string; loss: number }[];
}

export interface MergeState {
  draft: MergeDraft;
  job: JobState;
  result: MergeResultView | null;
  sweep: SweepView | null;
}

const emptyText = (): MergeDraft['text'] => ({
  weights: '',
  density: '',
  lambda: '',
  gamma: '',
  epsilon: '',
  t: '',
  seed: '',
});

export const mergeStore = createStore<MergeState>(() => ({
  draft: {
    method: 'ties',
    base: null,
    models: [],
    text: emptyText(),
    normalize: 'default',
    rescale: 'default',
    align: true,
    matching: 'weight',
    steSteps: '',
    reference: null,
    repair: false,
  },
  job: idleJob(),
  result: null,
  sweep: null,
}));

export function useMerge<T>(selector: (s: MergeState) => T): T {
  return useStore(mergeStore, selector);
}

export function patchDraft(p: Partial<MergeDraft>): void {
  mergeStore.setState((s) => ({ draft: { ...s.draft, ...p } }));
}

/**
 * Models a recipe can name: they carry a link id (samples, dropped files, finished population
 * members, aligned models and other merges, so recipes nest).
 */
export const nameable = (m: ModelEntry): boolean => !!m.ref;

/** Parses one number or a comma list ("0.3, 0.7": a value per depth). */
export function parseGradient(text: string, what: string): number | number[] | undefined {
  if (text.trim() === '') return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map((p) => (p === '' ? NaN : Number(p)));
  const bad = parts.find((_, i) => !Number.isFinite(values[i]!));
  if (bad !== undefined) throw new MergeInputError(`${what}: "${bad}" is not a number`);
  return values.length === 1 ? values[0]! : values;
}

/** The draft as a recipe, or the reason it is not one (the same words the engine and CLI use). */
export function draftRecipe(d: MergeDraft, models: ModelEntry[]): MergeRecipe {
  const info = METHOD_INFO[d.method];
  const byId = new Map(models.filter(nameable).map((m) => [m.ref!, m]));
  const inputs = d.models.filter((id) => byId.has(id));
  const base = info.base === 'none' ? null : d.base && byId.has(d.base) ? d.base : null;
  if (info.base === 'required' && !base)
    throw new MergeInputError(`${d.method} needs a base model: pick one`);
  const total = inputs.length + (base ? 1 : 0);
  if (d.method === 'slerp' && total !== 2)
    throw new MergeInputError(
      `slerp interpolates exactly two models (base + one, or two models); ${total} chosen`,
    );
  if (d.method !== 'slerp' && inputs.length < info.minModels)
    throw new MergeInputError(
      `${d.method} needs at least ${info.minModels} model${info.minModels > 1 ? 's' : ''}${base ? ' besides the base' : ''}; tick more`,
    );
  const archs = [...inputs, ...(base ? [base] : [])].map((id) => byId.get(id)!);
  const odd = archs.find((m) => archKey(m.arch) !== archKey(archs[0]!.arch));
  if (odd)
    throw new MergeInputError(
      `${odd.name} is a ${describeArch(odd.arch)}, ${archs[0]!.name} a ${describeArch(archs[0]!.arch)}: merged models must share an architecture`,
    );
  const params: MergeParams = {};
  if (d.text.weights.trim() !== '' && info.weights) {
    const w = d.text.weights.split(',').map((p) => (p.trim() === '' ? NaN : Number(p.trim())));
    w.forEach((v, i) => {
      if (!Number.isFinite(v))
        throw new MergeInputError(
          `weight ${i + 1} is "${d.text.weights.split(',')[i]!.trim()}"; every weight must be a finite number`,
        );
    });
    params.weights = w;
  }
  for (const k of ['density', 'lambda', 'gamma', 'epsilon', 't'] as const) {
    if (!(k in info.defaults) && !(k === 'density' && info.base === 'required' && d.method !== 'model_stock'))
      continue;
    const v = parseGradient(d.text[k], k);
    if (v !== undefined) params[k] = v;
  }
  if (d.normalize !== 'default' && 'normalize' in info.defaults) params.normalize = d.normalize === 'true';
  if (d.rescale !== 'default' && 'rescale' in info.defaults) params.rescale = d.rescale === 'true';
  if (info.random && d.text.seed.trim() !== '') {
    const s = Number(d.text.seed);
    if (!Number.isInteger(s) || s < 0)
      throw new MergeInputError(`seed "${d.text.seed}" must be a whole number ≥ 0`);
    params.seed = s;
  }
  checkParams(d.method, params, inputs.length);
  const ref = d.reference && byId.has(d.reference) ? d.reference : (base ?? inputs[0]!);
  const steps = d.align && d.matching === 'ste' ? steStepsOf(d.steSteps) : DEFAULT_STE_STEPS;
  return {
    method: d.method,
    base,
    models: inputs,
    params,
    align: d.align
      ? { matching: d.matching, reference: ref, seed: 0, ...(steps !== DEFAULT_STE_STEPS ? { steps } : {}) }
      : null,
    repair: d.repair,
  };
}

/** The STE step count typed in the form ('' = the default), or why it is not one. */
function steStepsOf(text: string): number {
  if (text.trim() === '') return DEFAULT_STE_STEPS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_STE_STEPS)
    throw new MergeInputError(`STE steps "${text.trim()}" must be a whole number from 1 to ${MAX_STE_STEPS}`);
  return n;
}

/** Why Merge is disabled, or null. */
export function mergeProblem(d: MergeDraft, models: ModelEntry[]): string | null {
  try {
    draftRecipe(d, models);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A recipe back into the form (a replayed link). */
export function recipeDraft(r: MergeRecipe): MergeDraft {
  const g = (v: number | readonly number[] | undefined): string =>
    v === undefined ? '' : typeof v === 'number' ? String(v) : v.join(', ');
  return {
    method: r.method,
    base: r.base,
    models: [...r.models],
    text: {
      weights: r.params.weights ? r.params.weights.map((w) => g(w)).join(', ') : '',
      density: g(r.params.density),
      lambda: g(r.params.lambda),
      gamma: g(r.params.gamma),
      epsilon: g(r.params.epsilon),
      t: g(r.params.t),
      seed: r.params.seed === undefined ? '' : String(r.params.seed),
    },
    normalize: r.params.normalize === undefined ? 'default' : r.params.normalize ? 'true' : 'false',
    rescale: r.params.rescale === undefined ? 'default' : r.params.rescale ? 'true' : 'false',
    align: !!r.align,
    matching: r.align?.matching ?? 'weight',
    steSteps: r.align?.steps === undefined ? '' : String(r.align.steps),
    reference: r.align?.reference ?? null,
    repair: r.repair,
  };
}

/** A readable name for the merge: method, inputs, base, alignment, REPAIR. */
export function mergeName(r: MergeRecipe, models: ModelEntry[]): string {
  const name = (id: string) => models.find((m) => m.ref === id)?.name ?? id;
  const p = r.params;
  const knobs = (['density', 'lambda', 'gamma', 'epsilon', 't'] as const)
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${typeof p[k] === 'number' ? p[k] : `[${(p[k] as number[]).join(' ')}]`}`);
  const how = [
    r.align
      ? `${r.align.matching}-aligned${r.align.steps !== undefined ? ` (${r.align.steps} steps)` : ''}`
      : '',
    r.repair ? 'REPAIR' : '',
  ].filter(Boolean);
  return (
    `${r.method}${knobs.length ? ` (${knobs.join(', ')})` : ''} of ${r.models.map(name).join(' + ')}` +
    `${r.base ? ` on ${name(r.base)}` : ''}${how.length ? ` · ${how.join(', ')}` : ''}`
  );
}

/** identity → workspace id for every nameable model. */
function workspaceIds(models: ModelEntry[]): Record<string, string> {
  return Object.fromEntries(models.filter(nameable).map((m) => [m.ref!, m.id]));
}

async function targetFor(
  first: ModelEntry,
  step: <T>(p: Promise<T>) => Promise<T>,
): Promise<{ target: ScoreTarget; classify: boolean }> {
  const { spec, datasets } = appStore.getState();
  const c = scoreChoice(first, spec, datasets);
  if (!c.chosen) throw new Error(c.problem ?? 'nothing to score on');
  return { target: await step(resolveScore(c.chosen)), classify: c.chosen.kind === 'classification' };
}

/** Merges as the form says: the recipe joins the experiment, the merge joins the workspace. */
export async function runMerge(): Promise<void> {
  const { models } = appStore.getState();
  let recipe: MergeRecipe;
  try {
    recipe = draftRecipe(mergeStore.getState().draft, models);
  } catch (e) {
    showBanner(
      'error',
      `Merge refused: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
    return;
  }
  const err = updateSpec((d) => {
    d.merge = { ...d.merge, recipe: recipe as NonNullable<typeof d.merge.recipe> };
  });
  if (err) {
    showBanner('error', `Merge refused: ${err}`);
    return;
  }
  dismissBanners((b) => b.text.startsWith('Merge') || b.text.startsWith('Sweep'));
  const ids = workspaceIds(models);
  const first = models.find((m) => m.id === ids[recipe.models[0]!])!;
  const name = mergeName(recipe, models);
  await runJob(
    mergeStore,
    (msg) => `Merge failed: ${msg}. The workspace is unchanged.`,
    async (run) => {
      const { target, classify } = await targetFor(first, run.step);
      const reply = await run.call(
        'merge',
        { recipe, ids, target, name },
        {
          transfer: targetTransferables(target),
          discard: (r) => void ask('remove', { modelId: r.entry.id }).catch(() => undefined),
        },
      );
      addModels([reply.entry]);
      const names = new Map(models.filter(nameable).map((m) => [m.ref!, m.name]));
      const img = target.kind === 'image' ? target.image : null;
      const stale = mergeStore.getState().sweep?.recipeId !== recipeId(recipe);
      mergeStore.setState({
        // A sweep of another recipe would sit under this table as if it were this merge's.
        ...(stale ? { sweep: null } : {}),
        result: {
          recipe,
          id: recipeId(recipe),
          entryId: reply.entry.id,
          name,
          rows: reply.scores.map((s) => ({
            ...s,
            name: s.role === 'merge' ? 'this merge' : (names.get(s.id) ?? s.id),
          })),
          classify,
          targetLabel: target.kind === 'image' ? 'its target image' : target.label,
          image: img
            ? { data: reply.reconstruction, width: img.width, height: img.height, channels: img.channels }
            : null,
        },
      });
      showBanner('info', `The merge joined the workspace (Models tab) as "${name}".`);
    },
  );
}

/** What the sweep varies for a method: λ where it reads one, else the first model's weight. */
export function sweepParam(method: MergeMethod): SweepParam | null {
  if ('lambda' in METHOD_INFO[method].defaults) return { kind: 'lambda' };
  if (METHOD_INFO[method].weights) return { kind: 'weight', index: 0 };
  return null;
}

/** Sweeps λ (or the first model's weight) over the spec's grid, one click; the grid joins the link. */
export async function runSweep(): Promise<void> {
  const { models, spec } = appStore.getState();
  let recipe: MergeRecipe;
  try {
    recipe = draftRecipe(mergeStore.getState().draft, models);
  } catch (e) {
    showBanner('error', `Sweep refused: ${e instanceof Error ? e.message : String(e)}.`);
    return;
  }
  const param = sweepParam(recipe.method);
  if (!param) {
    showBanner('error', `${recipe.method} has neither λ nor weights to sweep.`);
    return;
  }
  const grid = spec.merge.sweep ?? { param: param.kind, index: 0, from: 0, to: 1, points: 11 };
  const err = updateSpec((d) => {
    d.merge = {
      ...d.merge,
      recipe: recipe as NonNullable<typeof d.merge.recipe>,
      sweep: { ...grid, param: param.kind },
    };
  });
  if (err) {
    showBanner('error', `Sweep refused: ${err}`);
    return;
  }
  const values = Array.from(
    { length: grid.points },
    (_, i) => grid.from + ((grid.to - grid.from) * i) / (grid.points - 1),
  );
  const ids = workspaceIds(models);
  const first = models.find((m) => m.id === ids[recipe.models[0]!])!;
  const names = new Map(models.filter(nameable).map((m) => [m.ref!, m.name]));
  await runJob(
    mergeStore,
    (msg) => `Sweep failed: ${msg}.`,
    async (run) => {
      const { target, classify } = await targetFor(first, run.step);
      const r = await run.call(
        'merge-sweep',
        { recipe, ids, target, param, values },
        { transfer: targetTransferables(target) },
      );
      const result = mergeStore.getState().result;
      const refs =
        result && result.id === recipeId(recipe)
          ? result.rows
              .filter((x) => x.role !== 'merge')
              .map((x) => ({ name: x.name, role: x.role, loss: x.loss }))
          : [];
      mergeStore.setState({
        sweep: {
          ...r,
          recipeId: recipeId(recipe),
          param,
          label:
            param.kind === 'lambda'
              ? 'λ (scale of the merged task vector)'
              : `weight of ${names.get(recipe.models[0]!) ?? 'model 1'}`,
          classify,
          refs,
        },
      });
    },
  );
}

export function cancelMerge(): void {
  cancelJob(mergeStore);
}

/**
 * Builds a merge a link names as an input (`merge(…)` inside a recipe, engine/experiment/
 * recipe-model-id.ts): its inputs are already in the workspace (replay.ts builds them first); the
 * merged entry is returned for replay.ts to add under the id.
 */
export async function buildMergeFromId(id: Extract<ModelId, { kind: 'merge' }>): Promise<ModelEntry> {
  const recipe = recipeFromModelId(id);
  const { models } = appStore.getState();
  const ids = workspaceIds(models);
  const first = models.find((m) => m.id === ids[recipe.models[0]!]);
  if (!first) throw new Error(`model ${recipe.models[0]} is not in the workspace`);
  const { target } = await targetFor(first, (p) => p);
  const reply = await ask(
    'merge',
    { recipe, ids, target, name: mergeName(recipe, models) },
    { transfer: targetTransferables(target) },
  );
  return reply.entry;
}

/** Every merge method can be rebuilt from a link's `merge(…)` id. */
export function registerMergeBuilders(): void {
  for (const m of MERGE_METHODS) registerMergeBuilder(m, buildMergeFromId);
}

/** A shared link's Merge view: the recipe back into the form, merged, and its sweep if it had one. */
export async function replayMerge(): Promise<void> {
  const { spec } = appStore.getState();
  const r = spec.merge.recipe;
  if (!r) return;
  const recipe = r as unknown as MergeRecipe;
  const missing = [...recipe.models, ...(recipe.base ? [recipe.base] : [])].filter(
    (id) => !appStore.getState().models.some((m) => m.ref === id),
  );
  mergeStore.setState({ draft: recipeDraft(recipe) });
  if (missing.length > 0) {
    showBanner(
      'error',
      `This merge needs models that are not in the workspace: ${missing.join(', ')}. Drop the files it names, then press Merge.`,
    );
    return;
  }
  await runMerge();
  if (spec.merge.sweep) await runSweep();
}

export { MERGE_METHODS };
