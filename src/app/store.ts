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
  /** A message that grows as news of one event arrives: a newer one of the key replaces it. */
  key?: string;
}

/** One message of the stack: a banner with an id to dismiss it by, and how often it came. */
export interface BannerMessage extends Banner {
  id: number;
  /** The same message arrived this many times (shown as "×n" instead of repeating it). */
  count: number;
}

/** Messages kept at once; beyond it the oldest info goes first, then the oldest error. */
export const MAX_BANNERS = 6;

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
  /**
   * The newest message (null when none). Kept for callers that read or clear "the banner":
   * setting it to null clears every message, as it did when there was one slot.
   */
  banner: BannerMessage | null;
  /** Every message still shown, oldest first; a new message never hides an older one. */
  banners: BannerMessage[];
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
  banners: [],
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

let bannerSeq = 0;

/** The stack after `msg` arrives: a repeat moves to the top with its count raised; errors outlive infos. */
export function stackBanner(stack: readonly BannerMessage[], msg: Banner): BannerMessage[] {
  const same = stack.find((b) => b.kind === msg.kind && b.text === msg.text && !!b.pick === !!msg.pick);
  // One file picker at a time: a newer request for files replaces the older one. It keeps the
  // older one's id, so its picker stays the same element (a file chosen while the request is
  // restated, e.g. as the first of two files joins, is not dropped on a replaced input), and a
  // restated request is not counted as a repeat.
  const picker = msg.pick ? stack.find((b) => b.pick) : undefined;
  const keep = stack.filter(
    (b) => b !== same && !(msg.pick && b.pick) && !(msg.key !== undefined && b.key === msg.key),
  );
  const next = [
    ...keep,
    { ...msg, id: picker?.id ?? ++bannerSeq, count: picker ? 1 : (same?.count ?? 0) + 1 },
  ];
  while (next.length > MAX_BANNERS) {
    const info = next.findIndex((b) => b.kind === 'info');
    next.splice(info >= 0 && info < next.length - 1 ? info : 0, 1);
  }
  return next;
}

function pushBanner(msg: Banner): void {
  appStore.setState((s) => {
    const banners = stackBanner(s.banners, msg);
    return { banners, banner: banners[banners.length - 1]! };
  });
}

/** Adds a message on top of the others (text only, never HTML); each is dismissed on its own. */
export function showBanner(kind: Banner['kind'], text: string, pick = false): void {
  pushBanner({ kind, text, ...(pick ? { pick } : {}) });
}

/**
 * Shows `text` in place of the message last shown under `key` (one event's message told more
 * fully as more is known: a restart, then the jobs it took down), or as a new one.
 */
export function replaceBanner(key: string, kind: Banner['kind'], text: string): void {
  pushBanner({ kind, text, key });
}

/** Removes the messages `drop` picks (by default: the one with this id). */
export function dismissBanners(drop: number | ((b: BannerMessage) => boolean)): void {
  const test = typeof drop === 'number' ? (b: BannerMessage) => b.id === drop : drop;
  appStore.setState((s) => {
    const banners = s.banners.filter((b) => !test(b));
    return { banners, banner: banners[banners.length - 1] ?? null };
  });
}

/**
 * Which messages stand open: every error, every request for files, and the newest message; older
 * notes (infos) fold into "earlier notes", still there to read and dismiss.
 */
export function splitBanners(banners: readonly BannerMessage[]) {
  const newest = banners[banners.length - 1];
  const open = banners.filter((b) => b.kind === 'error' || b.pick || b === newest);
  return { open, earlier: banners.filter((b) => !open.includes(b)) };
}

// A caller that sets `banner: null` (one slot's way of clearing it) clears the whole stack.
appStore.subscribe((s) => {
  if (s.banner === null && s.banners.length > 0) appStore.setState({ banners: [] });
});

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
