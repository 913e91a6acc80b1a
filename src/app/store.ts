/**
 * The app's state: the experiment spec (what a URL shares), the run's progress and small results,
 * and the workspace's model metadata. Weights never live here: they stay in the worker.
 */
import { createStore, useStore } from 'zustand';
import { defaultExperiment, parseExperiment, type ExperimentSpec } from '../engine/experiment/schema';
import type { ImageData01 } from '../engine/inr';
import type { BackendInfo, InspectResult, ModelEntry } from '../workers/protocol';
import type { JobState } from './jobs';

export type RunStatus =
  'idle' | 'loading' | 'calibrating' | 'training' | 'paused' | 'done' | 'cancelled' | 'error';

/** The Train tab's run: its job slice (`runJob(appStore, …, 'run')`) and what it shows. */
export interface RunState extends JobState {
  status: RunStatus;
  step: number;
  steps: number;
  stepsPerSec: number;
  /** Steps at which the population was evaluated, and PSNR (dB) per member at each. */
  evalSteps: number[];
  psnr: number[][];
  /** Latest reconstructions [K, H, W, C]. */
  predictions: Float32Array | null;
  target: ImageData01 | null;
  targetLabel: string;
  message: string;
}

export interface Banner {
  kind: 'error' | 'info';
  text: string;
  /** Offer a file picker in the banner (a link asks for files). */
  pick?: boolean;
}

/** A dataset a person dropped to score classifiers on (its arrays stay in src/app/datasets.ts). */
export interface DatasetInfo {
  /** "dataset:<sha256>". */
  id: string;
  name: string;
  sha256: string;
  n: number;
  inputs: number;
  /** Largest label + 1. */
  classes: number;
}

export interface AppState {
  spec: ExperimentSpec;
  run: RunState;
  backend: BackendInfo | null;
  models: ModelEntry[];
  datasets: DatasetInfo[];
  banner: Banner | null;
  /** A dropped checkpoint waiting for the person to confirm what the file cannot say. */
  pendingImport: InspectResult | null;
  /** A dropped `.npy` that may be an image or a checkpoint: the person says which. */
  pendingNpy: { name: string; file: File } | null;
  /** A shared link whose work is above the threshold: what it will run, waiting for a yes. */
  pendingLink: PendingLink | null;
  /** The last link Share made, shown for copying. */
  shareUrl: string | null;
  /** The page finished booting: the sample models loaded (or failed to, with a banner). */
  ready: boolean;
}

/** A link waiting for the person to agree to its cost (share.ts). */
export interface PendingLink {
  lines: string[];
  gflop: number;
  run: () => void;
}

export const idleRun = (): RunState => ({
  busy: false,
  jobId: null,
  progress: null,
  status: 'idle',
  step: 0,
  steps: 0,
  stepsPerSec: 0,
  evalSteps: [],
  psnr: [],
  predictions: null,
  target: null,
  targetLabel: '',
  message: '',
});

export const appStore = createStore<AppState>(() => ({
  spec: defaultExperiment(),
  run: idleRun(),
  backend: null,
  models: [],
  datasets: [],
  banner: null,
  pendingImport: null,
  pendingNpy: null,
  pendingLink: null,
  shareUrl: null,
  ready: false,
}));

/** React hook over the vanilla store. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}

/** Shallow-merges into `run`. */
export function patchRun(patch: Partial<RunState>): void {
  appStore.setState((s) => ({ run: { ...s.run, ...patch } }));
}

export function showBanner(kind: Banner['kind'], text: string, pick = false): void {
  appStore.setState({ banner: { kind, text, ...(pick ? { pick } : {}) } });
}

export function addModels(entries: ModelEntry[]): void {
  // A model the worker named (a merge's recipe id) is named so in links too: `ref` is the app's one
  // link id for every entry.
  const named = entries.map((e) => (e.ref || !e.identity ? e : { ...e, ref: e.identity }));
  appStore.setState((s) => ({ models: [...s.models, ...named] }));
}

/**
 * Applies a change to the experiment spec if the result validates; returns the reason when it
 * does not (the spec is then unchanged). Every form and panel edits the spec through this.
 */
export function updateSpec(mutate: (draft: ExperimentSpec) => void): string | null {
  const draft = structuredClone(appStore.getState().spec);
  try {
    mutate(draft);
    appStore.setState({ spec: parseExperiment(draft) });
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
