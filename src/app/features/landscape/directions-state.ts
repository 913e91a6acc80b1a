/**
 * The random-directions view's state and actions (Li et al. 2018, filter-normalised). Its
 * settings (the model by identity, 1-D or 2-D, points, range, seed) live in the experiment spec
 * (`views.directions`), so links carry them; the last result is local to the page.
 */
import { createStore, useStore } from 'zustand';
import { targetTransferables, type DirectionsReply } from '../../../workers/protocol';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, scoreChoice } from '../../data/score';
import { MAX_SEED, type ExperimentSpec } from '../../../engine/experiment/schema';
import { appStore, showBanner, updateSpec } from '../../store';
import { byRef, pickModel } from '../../model-refs';

export interface DirectionsState {
  job: JobState;
  result: (DirectionsReply & { modelName: string; classification: boolean }) | null;
}

export const directionsStore = createStore<DirectionsState>(() => ({
  job: idleJob(),
  result: null,
}));

export function useDirections<T>(selector: (s: DirectionsState) => T): T {
  return useStore(directionsStore, selector);
}

type DirectionsSettings = ExperimentSpec['views']['directions'];

/** Changes one setting of the view (through the spec's validation); returns why not, or null. */
export function setDirections(patch: Partial<DirectionsSettings>): string | null {
  const clean = patch.seed === undefined ? patch : { ...patch, seed: Math.min(MAX_SEED, patch.seed) };
  return updateSpec((d) => Object.assign(d.views.directions, clean));
}

/** Chooses the model to look around (by identity in the spec, so a link names the same model). */
export function setDirectionsModel(entryId: string): void {
  pickModel(entryId, 'random directions: model', (d, ref) => (d.views.directions.model = ref));
}

/** Evaluates the loss around the chosen model in the worker. */
export async function runDirections(): Promise<void> {
  const { spec, models, datasets } = appStore.getState();
  const s = spec.views.directions;
  const entry = byRef(models, s.model);
  if (!entry) {
    showBanner(
      'error',
      `random directions: ${s.model ? `the model ${s.model} is not in the workspace` : 'pick a model'}.`,
    );
    return;
  }
  const choice = scoreChoice(entry, spec, datasets);
  if (!choice.chosen) {
    showBanner('error', `random directions: ${choice.problem ?? 'nothing to score on'}.`);
    return;
  }
  const score = choice.chosen;
  await runJob(
    directionsStore,
    (msg) => `random directions failed: ${msg}`,
    async (run) => {
      const target = await run.step(resolveScore(score));
      const reply = await run.call(
        'directions',
        { modelId: entry.id, target, dims: s.dims, points: s.points, range: s.range, seed: s.seed },
        { transfer: targetTransferables(target) },
      );
      directionsStore.setState({
        result: { ...reply, modelName: entry.name, classification: target.kind === 'classification' },
      });
    },
  );
}

/** Cancels the evaluation, also while its data loads. */
export function cancelDirections(): void {
  cancelJob(directionsStore);
}
