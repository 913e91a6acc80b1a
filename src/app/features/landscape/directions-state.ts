/** The random-directions view's state and actions (Li et al. 2018, filter-normalised). */
import { createStore, useStore } from 'zustand';
import { targetTransferables, type DirectionsReply } from '../../../workers/protocol';
import { cancelJob, idleJob, runJob, type JobState } from '../../jobs';
import { resolveScore, scoreChoice } from '../../data/score';
import { appStore, showBanner } from '../../store';

export interface DirectionsState {
  modelIndex: number;
  dims: 1 | 2;
  points: number;
  range: number;
  seed: number;
  job: JobState;
  result: (DirectionsReply & { modelName: string; classification: boolean }) | null;
}

export const directionsStore = createStore<DirectionsState>(() => ({
  modelIndex: 0,
  dims: 1,
  points: 21,
  range: 1,
  seed: 0,
  job: idleJob(),
  result: null,
}));

export function useDirections<T>(selector: (s: DirectionsState) => T): T {
  return useStore(directionsStore, selector);
}

/** Evaluates the loss around the chosen model in the worker. */
export async function runDirections(): Promise<void> {
  const s = directionsStore.getState();
  const { spec, models, datasets } = appStore.getState();
  const entry = models[s.modelIndex];
  if (!entry) return;
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
