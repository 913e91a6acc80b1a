/**
 * Replaying a shared link's view by model identity: every model the view names is found in the
 * workspace by its id, loaded (files the person drops), re-trained (members of the link's own
 * population) or rebuilt from its recipe (aligned, merged). A model that cannot be had is named
 * in a banner; nothing is ever substituted. Only the files the view uses are asked for, and the
 * population is trained only when the view uses a member of it (or shows training).
 */
import {
  describeModelId,
  experimentTrainingHash,
  formatModelId,
  leafIds,
  modelsUsedByView,
  needsTraining,
  parseModelId,
  type ExperimentSpec,
  type ModelId,
} from '../engine/experiment';
import { targetTransferables, type ModelEntry } from '../workers/protocol';
import { ask } from './engine-client';
import { resolveScore, scoreChoice } from './data/score';
import { addModels, appStore, dismissBanners, showBanner } from './store';
import { startTraining } from './features/train/train-state';
import { byRef } from './model-refs';

/** Builds a model from a merge recipe (registered by the Merge tab); resolves to its entry. */
export type RecipeBuilder = (
  id: Extract<ModelId, { kind: 'merge' }>,
  inputs: ModelEntry[],
) => Promise<ModelEntry>;

const mergeBuilders = new Map<string, RecipeBuilder>();

/**
 * Lets a feature rebuild `merge(<method>, …)` ids when a link names one. Until a method is
 * registered, links naming it say so instead of replaying.
 */
export function registerMergeBuilder(method: string, build: RecipeBuilder): void {
  mergeBuilders.set(method, build);
}

/** Runs the view's analysis; share.ts registers the views. */
export type ViewReplay = () => Promise<unknown> | unknown;

const TAB_LABEL: Record<ExperimentSpec['views']['tab'], string> = {
  train: 'Train',
  models: 'Models',
  align: 'Align',
  paths: 'Paths',
  cloud: 'Cloud',
  landscape: 'Landscape',
  zoo: 'Zoo',
  merge: 'Merge',
  classifier: 'Classifier',
};

/** The replay running now: aborted when a newer link replays or the person moves on. */
let replaying = new AbortController();
let unsubscribe: (() => void) | null = null;

/** Forgets a replay waiting for files (a newer link, or the person moved on). */
export function cancelPendingReplay(): void {
  replaying.abort();
  unsubscribe?.();
  unsubscribe = null;
}

/** Why an id cannot be had here (null when it can, possibly after drops or training). */
function blocker(id: ModelId, hash: string): string | null {
  const models = appStore.getState().models;
  if (byRef(models, formatModelId(id))) return null;
  switch (id.kind) {
    case 'sample':
      return `${describeModelId(id)} is not in this build's sample models`;
    case 'file':
      return null;
    case 'member':
      return id.experiment === hash
        ? null
        : `${describeModelId(id)}: those training settings are not in the link, so it cannot be re-trained`;
    case 'aligned':
      return blocker(id.model, hash) ?? blocker(id.to, hash);
    case 'merge':
      if (!mergeBuilders.has(id.method)) return `a ${id.method} merge cannot be rebuilt by this version`;
      for (const m of id.models) {
        const b = blocker(m, hash);
        if (b) return b;
      }
      return null;
  }
}

/**
 * Replays the spec's view. Waits (quietly, re-trying as models arrive) when files must be
 * dropped first; says by name what cannot be had.
 */
export async function replayLink(spec: ExperimentSpec, runView: ViewReplay): Promise<void> {
  cancelPendingReplay();
  replaying = new AbortController();
  const mine = replaying.signal;
  const hash = experimentTrainingHash(spec);
  const ids = viewIds(spec);
  const nameOf = (sha: string) => spec.files.find((f) => f.sha256 === sha)?.name;
  const tab = TAB_LABEL[spec.views.tab];
  const blocked = ids.map((id) => blocker(id, hash)).filter((b): b is string => b !== null);
  if (blocked.length > 0) {
    showBanner(
      'error',
      `This link's ${tab} view needs models that cannot be had here: ${blocked.join('; ')}. Nothing was substituted; pick other models to continue.`,
    );
    return;
  }
  const models = appStore.getState().models;
  const missing = ids
    .flatMap(leafIds)
    .filter((l): l is Extract<ModelId, { kind: 'file' }> => l.kind === 'file')
    .filter((l) => !byRef(models, formatModelId(l)));
  const unique = [...new Map(missing.map((m) => [m.sha256, m])).values()];
  if (unique.length > 0) {
    const ask = (left: typeof unique): void =>
      showBanner(
        'info',
        `This link's ${tab} view uses ${left.length === 1 ? 'a checkpoint' : `${left.length} checkpoints`} that cannot travel in a link. Drop ${left.length === 1 ? 'it' : 'them'} on the page (any order) to replay: ${left.map((m) => describeModelId(m, nameOf)).join('; ')}.`,
        true,
      );
    ask(unique);
    // Re-try when models arrive; the link's answers add the files without questions.
    unsubscribe = appStore.subscribe((s, prev) => {
      if (s.models === prev.models || mine.aborted) return;
      const left = unique.filter((m) => !byRef(s.models, formatModelId(m)));
      if (left.length > 0) {
        // After the import's own "joined" message, which is set right after the model is added.
        setTimeout(() => !mine.aborted && ask(left), 0);
        return;
      }
      unsubscribe?.();
      unsubscribe = null;
      void replayLink(appStore.getState().spec, runView);
    });
    return;
  }
  if (spec.views.tab === 'train') {
    await startTraining();
    return;
  }
  const untrained = ids
    .flatMap(leafIds)
    .some((l) => l.kind === 'member' && !byRef(appStore.getState().models, formatModelId(l)));
  if (needsTraining(spec, hash) && untrained) {
    await startTraining();
    if (mine.aborted) return;
    if (appStore.getState().run.status !== 'done') {
      showBanner('error', `Training did not finish, so the link's ${tab} view was not replayed.`);
      return;
    }
  }
  try {
    for (const id of ids) await build(id);
  } catch (e) {
    showBanner(
      'error',
      `This link's ${tab} view could not be rebuilt: ${e instanceof Error ? e.message : String(e)}. Nothing was substituted.`,
    );
    return;
  }
  if (mine.aborted) return;
  dismissBanners((b) => !!b.pick);
  await runView();
}

function viewIds(spec: ExperimentSpec): ModelId[] {
  return modelsUsedByView(spec).map(parseModelId);
}

/** The entry for an id, building recipes (and the recipes inside them) first. */
async function build(id: ModelId): Promise<ModelEntry> {
  const ref = formatModelId(id);
  const have = byRef(appStore.getState().models, ref);
  if (have) return have;
  if (id.kind === 'aligned') {
    const src = await build(id.model);
    const to = await build(id.to);
    const { spec, datasets } = appStore.getState();
    const choice = scoreChoice(to, spec, datasets).chosen;
    // Activation matching correlates on the data, STE trains on it; weight matching needs none.
    const target = id.method !== 'weight' && choice ? await resolveScore(choice).catch(() => null) : null;
    const reply = await ask(
      'align',
      {
        refId: to.id,
        modelIds: [src.id],
        method: id.method,
        signed: id.signed ?? 'auto',
        seed: id.seed,
        restarts: id.restarts ?? 1,
        ...(id.steps !== undefined ? { steSteps: id.steps } : {}),
        target,
        heatmapLayer: 0,
      },
      { transfer: targetTransferables(target) },
    );
    const entry = { ...reply.results[0]!.entry, ref };
    addModels([entry]);
    return entry;
  }
  if (id.kind === 'merge') {
    const inputs: ModelEntry[] = [];
    for (const m of id.models) inputs.push(await build(m));
    const entry = { ...(await mergeBuilders.get(id.method)!(id, inputs)), ref };
    addModels([entry]);
    return entry;
  }
  throw new Error(`${describeModelId(id)} is not in the workspace`);
}
