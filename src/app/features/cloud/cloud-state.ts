/**
 * The Cloud panel's state and actions: which models to map, the straight path to draw, and the
 * last raw and aligned PCA maps. The shared settings (raw vs aligned, 2-D vs 3-D, the alignment
 * reference) live in the experiment spec; everything here is local to the page.
 */
import { createStore, useStore } from 'zustand';
import type { ExperimentSpec } from '../../../engine/experiment/schema';
import type { CloudGroup, ModelEntry } from '../../../workers/protocol';
import { cancelJob, idleJob, runJob, type JobRun, type JobState } from '../../jobs';
import { appStore, showBanner, updateSpec } from '../../store';
import { byRef, pickModel } from '../../model-refs';

/** One PCA map as the worker returned it, with the metadata of its models at the time. */
export interface CloudResult {
  aligned: boolean;
  referenceId: string | null;
  groups: CloudGroup[];
  entries: Record<string, ModelEntry>;
}

export interface CloudState {
  /** Model ids to map; null means every model in the workspace. */
  selected: string[] | null;
  drawPath: boolean;
  pathA: string | null;
  pathB: string | null;
  /** Compute raw and aligned together, side by side. */
  compare: boolean;
  raw: CloudResult | null;
  aligned: CloudResult | null;
  job: JobState;
}

export const cloudStore = createStore<CloudState>(() => ({
  selected: null,
  drawPath: false,
  pathA: null,
  pathB: null,
  compare: true,
  raw: null,
  aligned: null,
  job: idleJob(),
}));

export function useCloud<T>(selector: (s: CloudState) => T): T {
  return useStore(cloudStore, selector);
}

/** The ids the cloud maps now: the selection, restricted to models still in the workspace. */
export function selectedIds(selected: string[] | null, models: ModelEntry[]): string[] {
  if (selected === null) return models.map((m) => m.id);
  const keep = new Set(selected);
  return models.filter((m) => keep.has(m.id)).map((m) => m.id);
}

/** The alignment reference: the spec's reference when it is selected, else the first selected. */
export function referenceId(spec: ExperimentSpec, models: ModelEntry[], ids: string[]): string | null {
  const named = byRef(models, spec.alignment.reference)?.id;
  if (named && ids.includes(named)) return named;
  return ids[0] ?? null;
}

/** The straight path's endpoints: the chosen ones while selected, else the first two selected. */
export function pathEnds(
  s: Pick<CloudState, 'pathA' | 'pathB'>,
  ids: string[],
): [string | null, string | null] {
  const a = s.pathA && ids.includes(s.pathA) ? s.pathA : (ids[0] ?? null);
  const b = s.pathB && ids.includes(s.pathB) ? s.pathB : (ids[1] ?? null);
  return [a, b];
}

/** Why the cloud cannot run now, or null. */
export function cloudBlocked(ids: string[]): string | null {
  return ids.length < 2 ? 'needs at least 2 models selected' : null;
}

export function toggleModel(id: string, on: boolean): void {
  const models = appStore.getState().models;
  const current = new Set(selectedIds(cloudStore.getState().selected, models));
  if (on) current.add(id);
  else current.delete(id);
  cloudStore.setState({ selected: models.filter((m) => current.has(m.id)).map((m) => m.id) });
}

export function selectAll(on: boolean): void {
  cloudStore.setState({ selected: on ? null : [] });
}

/** Sets the alignment reference (by identity in the spec, shared with the Align panel). */
export function setReference(id: string): void {
  pickModel(id, 'reference', (d, ref) => (d.alignment.reference = ref));
}

export function setDims(dims: 2 | 3): void {
  updateSpec((d) => (d.views.cloud.dims = dims));
}

/** Raw vs aligned; if a map is already shown, the toggle re-runs for the missing one. */
export function setAligned(aligned: boolean): void {
  updateSpec((d) => (d.views.cloud.aligned = aligned));
  const s = cloudStore.getState();
  if (!s.job.busy && (s.raw || s.aligned) && !(aligned ? s.aligned : s.raw)) void runCloud();
}

async function mapOnce(
  run: JobRun,
  ids: string[],
  aligned: boolean,
  ref: string | null,
  paths: [string, string][],
): Promise<CloudResult> {
  const models = appStore.getState().models;
  const alignTo = aligned ? ref : null;
  const groups = await run.call('cloud', { modelIds: ids, alignTo, components: 3, paths });
  const entries: Record<string, ModelEntry> = {};
  for (const m of models) if (ids.includes(m.id)) entries[m.id] = m;
  return { aligned, referenceId: alignTo, groups, entries };
}

/**
 * Maps the selected models with PCA: the spec's mode (raw or aligned to the reference), or both
 * when comparing. Reads everything it needs from the stores, so a shared link can replay it.
 */
export async function runCloud(): Promise<void> {
  const { spec, models } = appStore.getState();
  const s = cloudStore.getState();
  const ids = selectedIds(s.selected, models);
  const blocked = cloudBlocked(ids);
  if (blocked) {
    showBanner('error', `The cloud ${blocked}.`);
    return;
  }
  const ref = referenceId(spec, models, ids);
  const [a, b] = pathEnds(s, ids);
  const paths: [string, string][] = s.drawPath && a && b && a !== b ? [[a, b]] : [];
  const modes = s.compare ? [false, true] : [spec.views.cloud.aligned];
  await runJob(
    cloudStore,
    (msg) => `The cloud could not be mapped: ${msg}. Nothing changed.`,
    async (run) => {
      for (const aligned of modes) {
        const r = await mapOnce(run, ids, aligned, ref, paths);
        cloudStore.setState(aligned ? { aligned: r } : { raw: r });
      }
    },
  );
}

/** Stops waiting for the running map (the worker is told to cancel; its answer is dropped). */
export function cancelCloud(): void {
  cancelJob(cloudStore);
}
