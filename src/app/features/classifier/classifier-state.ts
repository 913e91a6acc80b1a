/**
 * The Classifier lab's state and actions. The settings (training, fine-tuning, the presets'
 * sizes) live in the experiment spec, so a link replays them; live curves, results and jobs are
 * local to the page. All work runs in the engine worker through `runJob`.
 */
import { createStore, useStore } from 'zustand';
import { parseClassList } from '../../../engine/classifier/data';
import type { ClassifierSettings } from '../../../engine/classifier/settings';
import type { ExperimentSpec } from '../../../engine/experiment/schema';
import { ACTIVATION_LABELS } from '../../../engine/model';
import type { EpochRecord } from '../../../engine/tf/classifier-run';
import type {
  ClassifierDataSpec,
  ClassifierFineTuneReply,
  ClassifierPresetReply,
  ModelEntry,
  PresetName,
} from '../../../workers/protocol';
import { engine } from '../../engine-client';
import { droppedDataset } from '../../data/datasets';
import { mnistBytes } from '../../data/images';
import { cancelJob, idleJob, pauseJob, runJob, stopJob, type JobState } from '../../jobs';
import { addModels, appStore, showBanner, updateSpec } from '../../store';

type Spec = ExperimentSpec['classifier'];

export interface TrainSlice {
  job: JobState;
  paused: boolean;
  /** The finished run's curves (live ones come in `job.progress.history`). */
  history: EpochRecord[];
  message: string;
  /** Which path the finished run trained on (the live one comes in `job.progress.kernel`). */
  kernel: string;
}
export const trainStore = createStore<TrainSlice>(() => ({
  job: idleJob(),
  paused: false,
  history: [],
  message: '',
  kernel: '',
}));

export const tuneStore = createStore<{ job: JobState; result: ClassifierFineTuneReply | null }>(() => ({
  job: idleJob(),
  result: null,
}));

export const presetStore = createStore<{
  job: JobState;
  running: PresetName | null;
  result: ClassifierPresetReply | null;
  /** Counts finished runs, so a test can tell a new result from the last one. */
  seq: number;
}>(() => ({ job: idleJob(), running: null, result: null, seq: 0 }));

export const useTrain = <T>(pick: (s: TrainSlice) => T): T => useStore(trainStore, pick);
export const useTune = <T>(pick: (s: ReturnType<typeof tuneStore.getState>) => T): T =>
  useStore(tuneStore, pick);
export const usePreset = <T>(pick: (s: ReturnType<typeof presetStore.getState>) => T): T =>
  useStore(presetStore, pick);

/** The trainer settings of the spec's classifier section. */
export function settingsOf(c: Spec): ClassifierSettings {
  const {
    hidden,
    activation,
    epochs,
    batch,
    optimizer,
    lr,
    momentum,
    weightDecay,
    schedule,
    seed,
    population,
    initMode,
  } = c;
  return {
    hidden,
    activation,
    epochs,
    batch,
    optimizer,
    lr,
    momentum,
    weightDecay,
    schedule,
    seed,
    population,
    initMode,
  };
}

/** The data a job trains on: a copy of the bytes, transferred to the worker. */
async function dataSpec(
  c: Spec,
): Promise<{ data: ClassifierDataSpec; transfer: Transferable[]; label: string }> {
  if (c.data.kind === 'mnist') {
    const bin = (await mnistBytes()).slice();
    return { data: { kind: 'mnist', bin }, transfer: [bin.buffer], label: 'MNIST' };
  }
  const found = droppedDataset(`dataset:${c.data.sha256}`);
  if (!found) throw new Error(`this experiment trains on ${c.data.name}: drop that file on the page first`);
  const d = found.data;
  const dataset = { ...d, x: d.x.slice(), labels: d.labels.slice() };
  return {
    data: { kind: 'dataset', name: c.data.name, dataset, heldOutFraction: c.heldOut, seed: c.seed },
    transfer: [dataset.x.buffer, dataset.labels.buffer],
    label: c.data.name,
  };
}

/** Removes models a cancelled job added anyway (its answer arrived after the cancel). */
const removeAll = (models: ModelEntry[]): void =>
  models.forEach(
    (m) =>
      void engine()
        .call('remove', { modelId: m.id })
        .result.catch(() => undefined),
  );

/** Trains the spec's population; the members join the workspace when it ends (Stop included). */
export async function trainClassifiers(): Promise<void> {
  const c = appStore.getState().spec.classifier;
  trainStore.setState({ history: [], paused: false, message: '', kernel: '' });
  await runJob(
    trainStore,
    (m) => `Classifier training failed: ${m}. The workspace is unchanged.`,
    async (run) => {
      const { data, transfer, label } = await run.step(dataSpec(c));
      const group = `${ACTIVATION_LABELS[c.activation]} ${c.hidden.join('-')} ${label} seed ${c.seed}${c.initMode === 'shared' ? ' shared' : ''}`;
      const r = await run.call(
        'classifier-train',
        { settings: settingsOf(c), data, group },
        { transfer, discard: (res) => removeAll(res.models) },
      );
      addModels(r.models);
      const n = r.models.length;
      trainStore.setState({
        history: r.history,
        kernel: r.kernel,
        message: `${n} classifier${n === 1 ? '' : 's'} joined the workspace${r.stopped ? ' (stopped early)' : ''}. Held out: ${r.description}.`,
      });
    },
  );
}

export function pauseClassifiers(paused: boolean): void {
  if (pauseJob(trainStore, paused)) trainStore.setState({ paused });
}

/** Ends training early; the members trained so far join the workspace. */
export function stopClassifiers(): void {
  if (stopJob(trainStore)) trainStore.setState({ paused: false });
}

/** Parses "0-4; 5-9" into class subsets, or throws saying why. */
export function parseSubsets(text: string, classes = 10): number[][] {
  const parts = text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('name at least one class subset, e.g. 0-4');
  return parts.map((p) => parseClassList(p, classes));
}

/** Fine-tunes `baseId` on each subset of the spec (one subset: one model; several: task models). */
export async function runFineTune(baseId: string, taskModels: boolean): Promise<void> {
  const c = appStore.getState().spec.classifier;
  let subsets: number[][];
  try {
    subsets = parseSubsets(taskModels ? c.fineTune.tasks : c.fineTune.classes);
  } catch (e) {
    showBanner('error', `Fine-tune: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  await runJob(
    tuneStore,
    (m) => `Fine-tuning failed: ${m}. The workspace is unchanged.`,
    async (run) => {
      const { data, transfer } = await run.step(dataSpec(c));
      const training = { ...settingsOf(c), epochs: c.fineTune.epochs, lr: c.fineTune.lr };
      const r = await run.call(
        'classifier-finetune',
        { baseId, data, subsets, training, seed: c.seed },
        { transfer, discard: (res) => removeAll(res.models) },
      );
      addModels(r.models);
      tuneStore.setState({ result: r });
    },
  );
}

/** Runs a replication preset with the spec's sizes; its models join the workspace. */
export async function runPreset(preset: PresetName): Promise<void> {
  const err = updateSpec((d) => (d.classifier.presets.last = preset));
  if (err) showBanner('error', err);
  const p = appStore.getState().spec.classifier.presets;
  presetStore.setState({ running: preset, result: null });
  await runJob(
    presetStore,
    (m) => `The ${preset} preset failed: ${m}. The workspace is unchanged.`,
    async (run) => {
      const mnist = (await run.step(mnistBytes())).slice();
      const r = await run.call(
        'classifier-preset',
        { preset, mnist, hidden: p.hidden, widths: p.widths, epochs: p.epochs, seed: p.seed },
        { transfer: [mnist.buffer], discard: (res) => removeAll(res.models) },
      );
      addModels(r.models);
      presetStore.setState((s) => ({ result: r, seq: s.seq + 1 }));
    },
  );
  presetStore.setState({ running: null });
}

export const cancelPreset = (): void => cancelJob(presetStore);
export const cancelFineTune = (): void => cancelJob(tuneStore);

/** What a shared link of this tab replays: the last preset it ran, else the training. */
export async function replayClassifier(): Promise<void> {
  const last = appStore.getState().spec.classifier.presets.last;
  if (last !== 'none') await runPreset(last);
  else await trainClassifiers();
}
