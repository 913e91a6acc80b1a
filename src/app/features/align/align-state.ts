/**
 * The Align panel's state and actions. The shared settings (method, signed mode, reference as a
 * model index, seed) live in the experiment spec; the model selection, the heatmap layer and the
 * last result are local to the page.
 */
import { createStore, useStore } from 'zustand';
import { resolveSigned } from '../../../engine/align';
import { archKey, describeArch, type MlpArch } from '../../../engine/model';
import type { ExperimentSpec } from '../../../engine/experiment/schema';
import { formatModelId, parseModelId } from '../../../engine/experiment/model-id';
import type { AlignReply, AlignSummary, ModelEntry } from '../../../workers/protocol';
import { targetTransferables } from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, scoreChoice } from '../../data/score';
import { addModels, appStore, dismissBanners, showBanner, updateSpec } from '../../store';
import { byRef, pickModel } from '../../model-refs';
import { saveBytes } from '../../lib/download';
import { downloadStem } from '../../../engine/checkpoints/snippet';
import { DEFAULT_STE_STEPS, type MatchingMethodName } from '../../../engine/merge/matching-name';

/** One finished alignment: the worker's summaries plus the names they had at the time. */
export interface AlignResultView {
  refName: string;
  method: MatchingMethodName;
  /** Restarts per model (seeds seed … seed+restarts−1). */
  restarts: number;
  /** STE's gradient steps per model and restart (STE only). */
  steSteps: number;
  /** The loss STE trains the midpoint on: 'MSE' (an INR's image) or 'cross-entropy' (a classifier). */
  lossName: string;
  results: (AlignSummary & { sourceName: string })[];
  heatmap: AlignReply['heatmap'];
}

export interface AlignState {
  /** Model ids to align to the reference. */
  selected: string[];
  /** Hidden layer (0-based) whose similarity matrix is shown before and after. */
  heatmapLayer: number;
  job: JobState;
  result: AlignResultView | null;
}

export const alignStore = createStore<AlignState>(() => ({
  selected: [],
  heatmapLayer: 0,
  job: idleJob(),
  result: null,
}));

export function useAlign<T>(selector: (s: AlignState) => T): T {
  return useStore(alignStore, selector);
}

/** The reference entry the spec names, when it is in the workspace (never a substitute). */
export function referenceEntry(spec: ExperimentSpec, models: ModelEntry[]): ModelEntry | null {
  return byRef(models, spec.alignment.reference) ?? null;
}

/** Why a model cannot be aligned to the reference (short), or null when it can. */
export function ineligible(m: ModelEntry, ref: ModelEntry | null): string | null {
  if (!ref) return 'no reference';
  if (m.id === ref.id) return 'reference';
  if (archKey(m.arch) !== archKey(ref.arch)) return 'other architecture';
  return null;
}

/** The selected ids that can still be aligned to the current reference. */
export function chosenIds(selected: string[], models: ModelEntry[], ref: ModelEntry | null): string[] {
  const keep = new Set(selected);
  return models.filter((m) => keep.has(m.id) && ineligible(m, ref) === null).map((m) => m.id);
}

/** Why Run is disabled, or null. */
export function alignBlocked(models: ModelEntry[], ref: ModelEntry | null, ids: string[]): string | null {
  if (!ref) return 'needs at least 2 models of one architecture';
  if (!models.some((m) => ineligible(m, ref) === null))
    return `needs at least 2 models of one architecture (no other model is a ${describeArch(ref.arch)})`;
  if (ids.length === 0) return 'tick at least one model to align';
  return null;
}

/** Signed matching removes sign flips too; "auto" turns it on for odd activations (the engine decides). */
export function signedFor(mode: 'auto' | 'on' | 'off', arch: MlpArch): boolean {
  return resolveSigned(mode, arch.activation);
}

export function setReference(id: string): void {
  pickModel(id, 'reference', (d, ref) => (d.alignment.reference = ref));
}

export function toggleModel(id: string, on: boolean): void {
  const s = new Set(alignStore.getState().selected);
  if (on) s.add(id);
  else s.delete(id);
  alignStore.setState({ selected: [...s] });
}

/** Ticks every model that can be aligned to the reference (or none). */
export function selectAll(on: boolean): void {
  const { spec, models } = appStore.getState();
  const ref = referenceEntry(spec, models);
  alignStore.setState({
    selected: on ? models.filter((m) => ineligible(m, ref) === null).map((m) => m.id) : [],
  });
}

/** The aligned models of a result that came too late (the person cancelled): they leave again. */
function removeEntries(reply: AlignReply): void {
  for (const r of reply.results) void ask('remove', { modelId: r.entry.id }).catch(() => undefined);
}

/**
 * Aligns the ticked models (or, when none is ticked, the next model of the reference's
 * architecture) to the spec's reference. Reads everything from the stores, so a shared link can
 * replay it. Aligned models join the workspace as "B aligned to A".
 */
export async function runAlign(): Promise<void> {
  const { spec, models, datasets } = appStore.getState();
  const ref = referenceEntry(spec, models);
  const s = alignStore.getState();
  // A replayed link names the models to align; otherwise the ticked ones.
  const named = spec.alignment.models.flatMap((r) => models.find((m) => m.ref === r)?.id ?? []);
  let ids = chosenIds(named.length > 0 && s.selected.length === 0 ? named : s.selected, models, ref);
  if (ids.length === 0 && ref)
    ids = models
      .filter((m) => ineligible(m, ref) === null)
      .slice(0, 1)
      .map((m) => m.id);
  const blocked = alignBlocked(models, ref, ids);
  if (blocked || !ref) {
    showBanner('error', `Alignment ${blocked ?? 'needs a reference'}.`);
    return;
  }
  dismissBanners((b) => b.text.startsWith('Alignment'));
  await runJob(
    alignStore,
    (msg) => `Alignment failed: ${msg}. The workspace is unchanged.`,
    async (run) => {
      // Data for activation matching (probe inputs) and STE (its loss): an INR's own image, a
      // classifier's "Score on" data.
      const choice = scoreChoice(ref, spec, datasets).chosen;
      const usable = choice && (choice.kind === 'classification' || ref.targetId);
      const target = usable ? await run.step(resolveScore(choice).catch(() => null)) : null;
      if (spec.alignment.method === 'ste' && !target)
        throw new Error(
          `STE matching trains on data, and ${ref.name} has none: an INR needs its image, a classifier its "Score on" data`,
        );
      const hidden = ref.arch.widths.length - 2;
      const heatmapLayer = Math.min(Math.max(0, s.heatmapLayer), Math.max(0, hidden - 1));
      const reply = await run.call(
        'align',
        {
          refId: ref.id,
          modelIds: ids,
          method: spec.alignment.method,
          signed: spec.alignment.signed,
          seed: spec.alignment.seed,
          restarts: spec.alignment.restarts,
          steSteps: spec.alignment.steSteps,
          target,
          heatmapLayer,
        },
        // Cancelled while the worker finished: the person asked for nothing, so nothing stays.
        { transfer: targetTransferables(target), discard: removeEntries },
      );
      const { method, seed, signed, restarts, steSteps } = spec.alignment;
      const refOf = (sourceId: string): string | undefined => {
        const src = models.find((m) => m.id === sourceId)?.ref;
        if (!src || !ref.ref) return undefined;
        const to = parseModelId(ref.ref);
        const model = parseModelId(src);
        return formatModelId({
          kind: 'aligned',
          model,
          to,
          method,
          seed,
          ...(signed === 'auto' ? {} : { signed }),
          ...(restarts > 1 ? { restarts } : {}),
          ...(method === 'ste' && steSteps !== DEFAULT_STE_STEPS ? { steps: steSteps } : {}),
        });
      };
      const entries = reply.results.map((r) => {
        const id = refOf(r.sourceId);
        return id ? { ...r.entry, ref: id } : r.entry;
      });
      addModels(entries);
      // What ran, by identity, so a shared Align link replays exactly these.
      updateSpec((d) => {
        d.alignment.models = ids.flatMap((i) => models.find((m) => m.id === i)?.ref ?? []);
      });
      const names = new Map(models.map((m) => [m.id, m.name]));
      alignStore.setState({
        result: {
          refName: ref.name,
          method: spec.alignment.method,
          restarts: spec.alignment.restarts,
          steSteps: spec.alignment.steSteps,
          lossName: target?.kind === 'image' ? 'MSE' : 'cross-entropy',
          results: reply.results.map((r) => ({ ...r, sourceName: names.get(r.sourceId) ?? r.sourceId })),
          heatmap: reply.heatmap,
        },
      });
      showBanner(
        'info',
        `${entries.length} aligned model${entries.length === 1 ? '' : 's'} joined the workspace (Models tab): ${
          // Beyond two, the first names the pattern; the list itself is in the Models tab.
          entries.length <= 2
            ? entries.map((e) => e.name).join('; ')
            : `${entries[0]!.name} and ${entries.length - 1} more`
        }.`,
      );
    },
  );
}

/**
 * Cancels the running alignment: the worker stops before its next model and adds nothing; should
 * it finish first, whatever it produced is removed again (see runAlign).
 */
export function cancelAlign(): void {
  cancelJob(alignStore);
}

/**
 * Downloads the permutations of the shown alignment as JSON: per aligned model, per hidden layer
 * the index array and the signs, the reference, the method, the objective and the seed
 * (engine/align/permutation-export.ts). The same record sits in each aligned model's safetensors
 * metadata as `weightscope.permutation`.
 */
export function downloadPermutations(view: AlignResultView): void {
  const alignments = view.results.flatMap((r) =>
    r.entry.permutation ? [JSON.parse(r.entry.permutation) as unknown] : [],
  );
  const text = JSON.stringify({ format: 'weightscope.permutations/1', alignments }, null, 1);
  saveBytes(text, `permutations-to-${downloadStem(view.refName)}.json`, 'application/json');
}
