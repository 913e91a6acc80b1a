/**
 * What a job scores a model on ("Score on"): an INR's target image, the shipped MNIST subset for
 * 784 → 10 classifiers, or a dropped dataset that fits the model. The experiment spec may name a
 * choice (`data.score`); otherwise it is derived from the model, so old links keep their meaning.
 */
import {
  MNIST_CLASSES,
  MNIST_PIXELS,
  MNIST_SCORE_PER_CLASS,
  mnistSplit,
  mnistTrainSample,
} from '../../engine/data/mnist';
import { describeTarget } from '../../engine/data/target-id';
import type { ExperimentSpec } from '../../engine/experiment/schema';
import type { ClassificationTarget, ModelEntry, ScoreTarget } from '../../workers/protocol';
import { droppedDataset } from './datasets';
import { mnistBytes } from './images';
import { currentTargetId, resolveTarget } from './targets';
import { updateSpec, type DatasetInfo } from '../store';

export const MNIST_SCORE_ID = 'mnist';
/**
 * 1000 → "1,000" without Intl: toLocaleString here, at import time, loaded the locale data during
 * the page's start-up (67–359 ms of wall time at a load average of 20, timed by marks in the bundle).
 */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');
export const MNIST_SCORE_LABEL = `MNIST (${thousands(MNIST_CLASSES * MNIST_SCORE_PER_CLASS)} digits)`;
/** Which digits, for hints: the subset is fixed so that numbers replay. */
export const MNIST_SCORE_DETAIL = `a fixed subset: the first ${MNIST_SCORE_PER_CLASS} digits of each class of the 10,000 shipped`;

export interface ScoreOption {
  id: string;
  label: string;
  kind: 'image' | 'classification';
}

export interface ScoreChoice {
  options: ScoreOption[];
  chosen: ScoreOption | null;
  /** Why nothing can be scored (null when `chosen` is set). */
  problem: string | null;
}

/** The data a model can be scored on, best first. */
export function scoreOptions(m: ModelEntry, datasets: readonly DatasetInfo[]): ScoreOption[] {
  const inputs = m.arch.widths[0]!;
  const outputs = m.arch.widths[m.arch.widths.length - 1]!;
  const out: ScoreOption[] = [];
  if (inputs === 2) {
    const id = m.targetId ?? currentTargetId();
    if (m.targetId || outputs <= 4) out.push({ id, label: describeTarget(id), kind: 'image' });
  }
  if (inputs === MNIST_PIXELS && outputs === MNIST_CLASSES)
    out.push({ id: MNIST_SCORE_ID, label: MNIST_SCORE_LABEL, kind: 'classification' });
  for (const d of datasets) {
    if (d.inputs === inputs && d.classes <= outputs && outputs >= 2)
      out.push({
        id: d.id,
        label: `${d.name} (${d.n.toLocaleString('en-US')} examples)`,
        kind: 'classification',
      });
  }
  return out;
}

/** The option the spec asks for when it fits this model, else the model's first option. */
export function scoreChoice(
  m: ModelEntry | undefined,
  spec: ExperimentSpec,
  datasets: readonly DatasetInfo[],
): ScoreChoice {
  if (!m) return { options: [], chosen: null, problem: 'no model' };
  const options = scoreOptions(m, datasets);
  const want = spec.data.score;
  const wantId =
    want?.kind === 'mnist' ? MNIST_SCORE_ID : want?.kind === 'file' ? `dataset:${want.sha256}` : null;
  const picked = options.find((o) => o.id === wantId);
  if (picked) return { options, chosen: picked, problem: null };
  const classifier = !options.some((o) => o.kind === 'image');
  if (want?.kind === 'file' && classifier && !datasets.some((d) => d.sha256 === want.sha256)) {
    return {
      options,
      chosen: null,
      problem: `this view scores on the dataset ${want.name}: drop that .npz on the page to run it`,
    };
  }
  if (options[0]) return { options, chosen: options[0], problem: null };
  const inputs = m.arch.widths[0]!;
  const outputs = m.arch.widths[m.arch.widths.length - 1]!;
  return {
    options,
    chosen: null,
    problem: `${m.name} needs data to score on: drop a dataset .npz with x (N × ${inputs}, float) and y (N labels in 0–${outputs - 1})`,
  };
}

/** Records the person's choice in the spec (an image choice means "derive from the model"). */
export function setScoreChoice(id: string, datasets: readonly DatasetInfo[]): string | null {
  const d = datasets.find((x) => x.id === id);
  return updateSpec((draft) => {
    if (id === MNIST_SCORE_ID) draft.data.score = { kind: 'mnist' };
    else if (d) draft.data.score = { kind: 'file', name: d.name, sha256: d.sha256 };
    else delete draft.data.score;
  });
}

/**
 * The data behind an option, ready to send: classification arrays are fresh copies, so they can
 * be transferred to the worker without detaching what the page keeps.
 */
export async function resolveScore(option: ScoreOption): Promise<ScoreTarget> {
  if (option.kind === 'image') return resolveTarget(option.id);
  if (option.id === MNIST_SCORE_ID) {
    const d = mnistSplit(await mnistBytes(), 'score');
    return { kind: 'classification', id: MNIST_SCORE_ID, label: MNIST_SCORE_LABEL, ...d };
  }
  const held = droppedDataset(option.id);
  if (!held) throw new Error(`the dataset ${option.label} is no longer loaded: drop it again`);
  const d = held.data;
  return {
    kind: 'classification',
    id: option.id,
    label: held.name,
    x: d.x.slice(),
    labels: d.labels.slice(),
    n: d.n,
    inputs: d.inputs,
    classes: d.classes,
  };
}

export const MNIST_TRAIN_LABEL = `MNIST train (${thousands(MNIST_CLASSES * MNIST_SCORE_PER_CLASS)} digits)`;

/**
 * Training data of the same task as a held-out option, when the app knows it: the sample
 * classifiers' training split for MNIST (a class-balanced 1,000 of its digits). Null for an
 * image (an INR's train data is its one image) and for a dropped dataset (no known split).
 */
export async function resolveTrainScore(option: ScoreOption): Promise<ClassificationTarget | null> {
  if (option.id !== MNIST_SCORE_ID) return null;
  const d = mnistTrainSample(await mnistBytes());
  return { kind: 'classification', id: `${MNIST_SCORE_ID}:train`, label: MNIST_TRAIN_LABEL, ...d };
}
