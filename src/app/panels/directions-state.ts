/** The random-directions view's state and actions (Li et al. 2018, filter-normalised). */
import { createStore, useStore } from 'zustand';
import { targetTransferables, type DirectionsReply, type JobProgress } from '../../workers/protocol';
import { cancelJob, engine } from '../engine-client';
import { resolveScore, scoreChoice } from '../score';
import { appStore, showBanner } from '../store';

export interface DirectionsState {
  modelIndex: number;
  dims: 1 | 2;
  points: number;
  range: number;
  seed: number;
  busy: boolean;
  jobId: number | null;
  progress: JobProgress | null;
  result: (DirectionsReply & { modelName: string; classification: boolean }) | null;
}

export const directionsStore = createStore<DirectionsState>(() => ({
  modelIndex: 0,
  dims: 1,
  points: 21,
  range: 1,
  seed: 0,
  busy: false,
  jobId: null,
  progress: null,
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
  directionsStore.setState({ busy: true, progress: null });
  try {
    const target = await resolveScore(choice.chosen);
    const call = engine().call(
      'directions',
      { modelId: entry.id, target, dims: s.dims, points: s.points, range: s.range, seed: s.seed },
      { onJobProgress: (p) => directionsStore.setState({ progress: p }) },
      targetTransferables(target),
    );
    directionsStore.setState({ jobId: call.id });
    const reply = await call.result;
    if (reply.type === 'directions')
      directionsStore.setState({
        result: { ...reply.payload, modelName: entry.name, classification: target.kind === 'classification' },
      });
  } catch (e) {
    if (directionsStore.getState().jobId !== null)
      showBanner('error', `random directions failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    directionsStore.setState({ busy: false, jobId: null, progress: null });
  }
}

export function cancelDirections(): void {
  const { jobId } = directionsStore.getState();
  if (jobId === null) return;
  directionsStore.setState({ jobId: null });
  cancelJob(jobId);
}
