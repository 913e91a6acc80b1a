/**
 * A zoo of MNIST classifiers, each labelled by how it was made: by its init seed (members of one
 * label start from the same init and differ only by their batch order, the SGD noise of Frankle
 * et al. 2020) or by its task (the digit classes it was trained on; every member has its own
 * init). Pure: the settings, their one check, the plan of who trains with what, and the data.
 * Training runs in ./classifier-build.ts through the classifier trainer's public API.
 */
import { architectureProblems, checkTraining, type ClassifierTraining } from '../classifier/settings';
import { batchSeed } from '../classifier/schedule';
import { formatClassList, mnistTrainTest, parseClassList, selectClasses, takeRows } from '../classifier/data';
import type { LabelledDataset } from '../data/dataset';
import { MNIST_CLASSES } from '../data/mnist';
import { deriveSeed } from '../rng';
import { resampleSquare } from './sources';
import { ZooError } from './types';

export type ClassifierLabelBy = 'seed' | 'task';

/** What a person sets to build a classifier zoo (also recorded in the zoo file's metadata). */
export interface ClassifierZooSettings {
  labelBy: ClassifierLabelBy;
  /** labelBy 'seed': how many inits (one label each). */
  seeds: number;
  /** labelBy 'task': the class subsets (one label each), e.g. [[0, 1], [2, 3]]. */
  tasks: number[][];
  /** Members per label. */
  perLabel: number;
  /** Hidden widths of the MLP (ReLU); inputs size², outputs 10. */
  hidden: number[];
  /** Digits resampled to size × size inputs (28 = the original). */
  size: number;
  /** Training digits per class, from the 9,000-digit training part (held out: the app's 1,000). */
  digitsPerClass: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
}

export const DEFAULT_CLASSIFIER_ZOO: ClassifierZooSettings = {
  labelBy: 'task',
  seeds: 4,
  tasks: [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [8, 9],
  ],
  perLabel: 8,
  hidden: [16],
  size: 14,
  digitsPerClass: 100,
  epochs: 3,
  batch: 32,
  lr: 5e-3,
  seed: 0,
};

/** Bounds: a browser-sized zoo, and what the smallest MNIST class allows. */
export const CLASSIFIER_ZOO_LIMITS = {
  maxLabels: 50,
  maxMembers: 10_000,
  maxDigitsPerClass: 800,
} as const;

/** The optimisation settings in the classifier trainer's terms (Adam, constant rate, no decay). */
export const zooTraining = (s: ClassifierZooSettings): ClassifierTraining => ({
  epochs: s.epochs,
  batch: s.batch,
  optimizer: 'adam',
  lr: s.lr,
  momentum: 0,
  weightDecay: 0,
  schedule: 'constant',
});

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi;

/**
 * Every problem with the settings, in words (empty when fine). Used on the job's payload, on CLI
 * flags and on the settings a zoo file records, so all three refuse the same things.
 */
export function classifierZooProblems(s: ClassifierZooSettings): string[] {
  const out: string[] = [];
  const { maxLabels, maxMembers, maxDigitsPerClass } = CLASSIFIER_ZOO_LIMITS;
  if (s.labelBy !== 'seed' && s.labelBy !== 'task')
    out.push(`label by must be seed or task, got ${String(s.labelBy)}`);
  const labels = s.labelBy === 'seed' ? s.seeds : Array.isArray(s.tasks) ? s.tasks.length : 0;
  if (s.labelBy === 'seed' && !isInt(s.seeds, 2, maxLabels))
    out.push(`a zoo labelled by seed needs 2 to ${maxLabels} seeds, got ${s.seeds}`);
  if (s.labelBy === 'task') {
    if (!Array.isArray(s.tasks) || s.tasks.length < 2 || s.tasks.length > maxLabels)
      out.push(`a zoo labelled by task needs 2 to ${maxLabels} tasks (class subsets)`);
    else
      s.tasks.forEach((t, i) => {
        if (!Array.isArray(t) || t.length < 2 || !t.every((c) => isInt(c, 0, MNIST_CLASSES - 1)))
          out.push(`task ${i + 1} must list at least two digit classes from 0 to 9`);
        else if (new Set(t).size !== t.length) out.push(`task ${i + 1} lists a class twice`);
      });
  }
  if (!isInt(s.perLabel, 1, maxMembers)) out.push(`members per label must be 1 to ${maxMembers}`);
  else if (labels * s.perLabel > maxMembers)
    out.push(`${labels} labels × ${s.perLabel} members is over ${maxMembers} classifiers`);
  if (!isInt(s.size, 4, 28)) out.push(`the input grid must be 4 to 28 pixels, got ${s.size}`);
  if (!isInt(s.digitsPerClass, 1, maxDigitsPerClass))
    out.push(`training digits per class must be 1 to ${maxDigitsPerClass}, got ${s.digitsPerClass}`);
  if (!isInt(s.seed, 0, 2 ** 32 - 1)) out.push(`seed must be a whole number from 0 to 2³²−1, got ${s.seed}`);
  out.push(...architectureProblems(Array.isArray(s.hidden) ? s.hidden : [], 'relu'));
  try {
    checkTraining(zooTraining(s));
  } catch (e) {
    out.push((e as Error).message);
  }
  return out;
}

/** Throws ZooError naming every problem with the settings. */
export function checkClassifierZoo(s: ClassifierZooSettings): void {
  const p = classifierZooProblems(s);
  if (p.length) throw new ZooError(`classifier zoo settings: ${p.join('; ')}`);
}

/** One label's members: what they train on and from which seeds. */
export interface ClassifierGroup {
  label: number;
  name: string;
  /** Digit classes the members train and are scored on. */
  classes: number[];
  initSeeds: number[];
  batchSeeds: number[];
}

/**
 * Who trains on what. By seed: label ℓ's members all start from init seed deriveSeed(seed, ℓ)
 * and walk the data in their own orders. By task: each member has its own init and order.
 */
export function classifierPlan(s: ClassifierZooSettings): ClassifierGroup[] {
  const all = Array.from({ length: MNIST_CLASSES }, (_, c) => c);
  const groups = s.labelBy === 'seed' ? s.seeds : s.tasks.length;
  return Array.from({ length: groups }, (_, label) => {
    const g = deriveSeed(s.seed, label);
    const members = Array.from({ length: s.perLabel }, (_, j) => j);
    const classes = s.labelBy === 'seed' ? all : [...s.tasks[label]!].sort((a, b) => a - b);
    return {
      label,
      name: s.labelBy === 'seed' ? `init ${label}` : formatClassList(classes),
      classes,
      initSeeds: members.map((j) => (s.labelBy === 'seed' ? g : deriveSeed(g, j + 1))),
      batchSeeds: members.map((j) => batchSeed(g, j)),
    };
  });
}

/** The digits at size × size: the first `digitsPerClass` training digits of each class, and the held-out part. */
export function classifierZooData(
  bin: Uint8Array,
  s: Pick<ClassifierZooSettings, 'size' | 'digitsPerClass'>,
): { train: LabelledDataset; heldOut: LabelledDataset } {
  const split = mnistTrainTest(bin);
  const taken = new Map<number, number>();
  const rows: number[] = [];
  for (let i = 0; i < split.train.n; i++) {
    const c = split.train.labels[i]!;
    const k = taken.get(c) ?? 0;
    if (k < s.digitsPerClass) {
      taken.set(c, k + 1);
      rows.push(i);
    }
  }
  const resample = (d: LabelledDataset): LabelledDataset => {
    if (s.size === 28) return d;
    const px = s.size * s.size;
    const x = new Float32Array(d.n * px);
    for (let r = 0; r < d.n; r++)
      x.set(resampleSquare(d.x.subarray(r * 784, (r + 1) * 784), 28, s.size), r * px);
    return { ...d, x, inputs: px };
  };
  return { train: resample(takeRows(split.train, rows)), heldOut: resample(split.heldOut) };
}

/** The data of one group (its classes only). */
export const groupData = (
  d: { train: LabelledDataset; heldOut: LabelledDataset },
  g: ClassifierGroup,
): { train: LabelledDataset; heldOut: LabelledDataset } =>
  g.classes.length === MNIST_CLASSES
    ? d
    : { train: selectClasses(d.train, g.classes), heldOut: selectClasses(d.heldOut, g.classes) };

/** Parses a task list such as "0,1;2,3" or "0-4/5-9" (tasks split by ';' or '/'). */
export function parseTasks(text: string): number[][] {
  return text
    .split(/[;/]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      try {
        return parseClassList(p);
      } catch (e) {
        throw new ZooError(`task "${p}": ${(e as Error).message}`);
      }
    });
}

/** Tasks written back: [[0,1],[2,3,4]] → "0-1;2-4". */
export const formatTasks = (tasks: readonly (readonly number[])[]): string =>
  tasks.map((t) => formatClassList(t)).join(';');
