/**
 * The Zoo tab's state and actions. The zoo's weights live in the worker; this store holds its
 * summary (labels, PSNRs, a grid of reconstructions), the weight-space training results per
 * method and the PCA cloud. Every action is a `runJob` on this store. Stopping a fit keeps the
 * INRs finished so far (`stopJob`: the job goes on to use the worker's answer, as the Train tab's
 * Stop does), whereas Cancel (`cancelJob`) drops the whole run.
 */
import { createStore, useStore } from 'zustand';
import type { WsAugment, WsMethod, WsResult } from '../../../engine/weightspace/types';
import { DEFAULT_CLASSIFIER_ZOO, type ClassifierZooSettings } from '../../../engine/zoo/classifier-source';
import { checkZooFileSize } from '../../../engine/zoo/read';
import type { ZooError } from '../../../engine/zoo/types';
import type { ZooCloudReply, ZooFitJob, ZooSummary } from '../../../workers/protocol';
import { mnistBytes } from '../../data/images';
import { engine } from '../../engine-client';
import { cancelJob, idleJob, pauseJob, runJob, stopJob, type JobState } from '../../jobs';
import { saveBytes } from '../../lib/download';
import { appStore, showBanner } from '../../store';
import { loadTarget } from '../../data/targets';

/** The form's fit settings: the worker job's own fields, plus which source and how many seeds. */
export type ZooFitSettings = Pick<
  ZooFitJob,
  'perClass' | 'classes' | 'size' | 'hidden' | 'steps' | 'psnr' | 'seed' | 'lr'
> & {
  /**
   * MNIST digits, the Train tab's image fitted `count` times from different seeds, or MNIST
   * classifiers labelled by seed or task (settings in `ZooState.classifiers`).
   */
  source: 'mnist' | 'image' | 'classifiers';
  count: number;
};

export interface ZooState {
  fit: ZooFitSettings;
  classifiers: ClassifierZooSettings;
  summary: ZooSummary | null;
  paused: boolean;
  /** What the running job is, for its controls. */
  running: 'fit' | 'open' | 'train' | 'cloud' | null;
  /** The method training now: its curve grows from the job's progress (`wsEpochs`). */
  liveMethod: WsMethod | null;
  methods: WsMethod[];
  epochs: number;
  trainSeed: number;
  augment: WsAugment[];
  results: Partial<Record<WsMethod, WsResult>>;
  /** Method whose confusion matrix is shown. */
  confusionOf: WsMethod | null;
  cloud: ZooCloudReply | null;
  job: JobState;
}

/** DWSNets' INR setting (2→32→32→1, w0 = 30, 28×28), with a browser-sized budget per INR. */
export const DEFAULT_FIT: ZooFitSettings = {
  source: 'mnist',
  count: 16,
  perClass: 10,
  classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  size: 28,
  hidden: [32, 32],
  steps: 300,
  psnr: 35,
  seed: 0,
  lr: 2e-3,
};

export const zooStore = createStore<ZooState>(() => ({
  fit: DEFAULT_FIT,
  classifiers: DEFAULT_CLASSIFIER_ZOO,
  summary: null,
  liveMethod: null,
  paused: false,
  running: null,
  methods: ['mlp', 'np'],
  epochs: 20,
  trainSeed: 0,
  augment: [],
  results: {},
  confusionOf: null,
  cloud: null,
  job: idleJob(),
}));

export function useZoo<T>(selector: (s: ZooState) => T): T {
  return useStore(zooStore, selector);
}

export const setFit = (patch: Partial<ZooFitSettings>): void =>
  zooStore.setState((s) => ({ fit: { ...s.fit, ...patch } }));

export const setClassifiers = (patch: Partial<ClassifierZooSettings>): void =>
  zooStore.setState((s) => ({ classifiers: { ...s.classifiers, ...patch } }));

/** A new zoo replaces the old one's results. */
function newZoo(summary: ZooSummary): void {
  zooStore.setState({ summary, results: {}, cloud: null, confusionOf: null });
}

const failure = (what: string) => (m: string) => `${what}: ${m}`;

/** Builds a zoo in the worker: MNIST INRs, one image under seeds, or MNIST classifiers. */
export function buildZoo(): Promise<void> {
  const { fit, classifiers } = zooStore.getState();
  zooStore.setState({ running: 'fit', paused: false });
  return runJob(zooStore, failure('building the zoo failed'), async (run) => {
    const { source, count, ...settings } = fit;
    let summary: ZooSummary;
    if (source === 'classifiers') {
      const mnist = (await run.step(mnistBytes())).slice();
      summary = await run.call('zoo-classifiers', { ...classifiers, mnist }, { transfer: [mnist.buffer] });
    } else if (source === 'image') {
      // The Train tab's target image, at the zoo's grid size.
      const spec = appStore.getState().spec;
      const t = await run.step(loadTarget({ ...spec, data: { ...spec.data, size: fit.size } }));
      summary = await run.call('zoo-fit', {
        ...settings,
        mnist: new Uint8Array(0),
        image: { data: t.image, name: t.label, count },
      });
    } else {
      const mnist = (await run.step(mnistBytes())).slice();
      summary = await run.call('zoo-fit', { ...settings, mnist }, { transfer: [mnist.buffer] });
    }
    newZoo(summary);
    if (summary.cancelled)
      showBanner(
        'info',
        `Stopped: the zoo keeps the ${summary.n} ${source === 'classifiers' ? 'classifiers' : 'INRs'} finished before the stop.`,
      );
  }).finally(() => zooStore.setState({ running: null, paused: false }));
}

/** Ends a build early, keeping the members (INRs or classifiers) finished so far. */
export function stopFit(): void {
  stopJob(zooStore);
}

export function togglePause(): void {
  const paused = !zooStore.getState().paused;
  if (pauseJob(zooStore, paused)) zooStore.setState({ paused });
}

/** Drops the running job and its answer. */
export function cancelZooJob(): void {
  cancelJob(zooStore);
  zooStore.setState({ running: null, paused: false });
}

/** Opens a zoo file; a refused file leaves the current zoo as it was. */
export function openZooFile(file: File): Promise<void> {
  try {
    checkZooFileSize(file.name, file.size);
  } catch (e) {
    showBanner('error', (e as ZooError).message);
    return Promise.resolve();
  }
  zooStore.setState({ running: 'open' });
  return runJob(
    zooStore,
    (m) => `${file.name} was not opened: ${m}`,
    async (run) => {
      const bytes = new Uint8Array(await run.step(file.arrayBuffer()));
      newZoo(await run.call('zoo-open', { name: file.name, bytes }, { transfer: [bytes.buffer] }));
    },
  ).finally(() => zooStore.setState({ running: null }));
}

/** Trains the chosen methods one after another on the same split; results appear as they finish. */
export function trainMethods(): Promise<void> {
  const { methods, epochs, trainSeed, augment } = zooStore.getState();
  zooStore.setState({ running: 'train', results: {} });
  return runJob(zooStore, failure('training on weights failed'), async (run) => {
    for (const method of methods) {
      zooStore.setState({ liveMethod: method });
      // A fresh progress, so the last method's epochs do not show as this one's live curve.
      run.progress({ done: 0, total: epochs, label: `${method}: starting…`, wsEpochs: [] });
      const r = await run.call('zoo-train', { method, epochs, seed: trainSeed, augment });
      zooStore.setState((s) => ({ results: { ...s.results, [method]: r }, confusionOf: method }));
    }
  }).finally(() => zooStore.setState({ running: null, liveMethod: null }));
}

/** PCA of the zoo's weights, raw and aligned to member 0. */
export function runZooCloud(): Promise<void> {
  zooStore.setState({ running: 'cloud' });
  return runJob(zooStore, failure('the zoo cloud failed'), async (run) => {
    zooStore.setState({ cloud: await run.call('zoo-cloud', { components: 2 }) });
  }).finally(() => zooStore.setState({ running: null }));
}

export async function downloadZoo(format: 'npz' | 'safetensors'): Promise<void> {
  try {
    const { bytes, filename } = await engine().call('zoo-export', { format }).result;
    saveBytes(bytes, filename, 'application/octet-stream');
  } catch (e) {
    showBanner('error', `download failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function toggleIn<T>(list: readonly T[], item: T, on: boolean): T[] {
  return on ? [...new Set([...list, item])] : list.filter((x) => x !== item);
}
