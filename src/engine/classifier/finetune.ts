/**
 * Fine-tuning: training that starts from an existing model (the base) on a subset of the classes
 * or on another dataset. The result records its base, so that task vectors τ = θ_ft − θ_base
 * (Ilharco et al. 2023, "Editing Models with Task Arithmetic") can be formed from it later.
 */
import type { Model } from '../model';
import type { LabelledDataset } from '../data/dataset';
import { evaluateModels } from '../tf/evaluate';
import { trainClassifierRun, type EpochRecord, type RunHooks } from '../tf/classifier-run';
import { asClassification, checkTrainData, formatClassList, selectClasses } from './data';
import { batchSeed } from './schedule';
import { checkTraining, type ClassifierTraining } from './settings';

export interface FineTuneOptions extends ClassifierTraining {
  /** Train (and score the task) on these classes only; all classes when absent. */
  classes?: readonly number[];
  /** Seed of the batch order. */
  seed: number;
}

/** Held-out accuracy on the task's classes and on every class, before and after. */
export interface FineTuneScores {
  taskAccuracy: number;
  taskLoss: number;
  allAccuracy: number;
}

export interface FineTuneResult {
  model: Model;
  /** The classes trained on (every class present in the training part when none were given). */
  classes: number[];
  before: FineTuneScores;
  after: FineTuneScores;
  history: EpochRecord[];
  seconds: number;
}

async function scoresOf(
  model: Model,
  heldOut: LabelledDataset,
  task: LabelledDataset,
): Promise<FineTuneScores> {
  const outputs = model.arch.widths.at(-1)!;
  const t = await evaluateModels([model], asClassification(task, outputs));
  const all = await evaluateModels([model], asClassification(heldOut, outputs));
  return { taskAccuracy: t.metric[0]!, taskLoss: t.loss[0]!, allAccuracy: all.metric[0]! };
}

/** Fine-tunes `base` (not changed) and scores it before and after on the held-out part. */
export async function fineTune(
  base: Model,
  data: { train: LabelledDataset; heldOut: LabelledDataset },
  opts: FineTuneOptions,
  hooks: RunHooks = {},
): Promise<FineTuneResult> {
  checkTraining(opts);
  const outputs = base.arch.widths.at(-1)!;
  const inputs = base.arch.widths[0]!;
  const train = opts.classes ? selectClasses(data.train, opts.classes) : data.train;
  const task = opts.classes ? selectClasses(data.heldOut, opts.classes) : data.heldOut;
  const name = opts.classes ? `the training digits of classes ${formatClassList(opts.classes)}` : undefined;
  checkTrainData(train, { batch: opts.batch, inputs, outputs, ...(name ? { name } : {}) });
  checkTrainData(data.heldOut, { batch: 1, inputs, outputs, name: 'the held-out data' });
  const before = await scoresOf(base, data.heldOut, task);
  const run = await trainClassifierRun(
    [base],
    asClassification(train, outputs),
    asClassification(task, outputs),
    { ...opts, batchSeeds: [batchSeed(opts.seed, 0)] },
    hooks,
  );
  const model = run.models[0]!;
  const classes = [...new Set(train.labels)].sort((a, b) => a - b);
  return {
    model,
    classes,
    before,
    after: await scoresOf(model, data.heldOut, task),
    history: run.history,
    seconds: run.seconds,
  };
}

/**
 * One fine-tuned model per class subset ("task models"), each from the same base, one after the
 * other. `onModel` sees each as it finishes, so a caller can add it to the workspace at once.
 */
export async function makeTaskModels(
  base: Model,
  data: { train: LabelledDataset; heldOut: LabelledDataset },
  subsets: readonly (readonly number[])[],
  opts: Omit<FineTuneOptions, 'classes'>,
  hooks: RunHooks & { onModel?: (r: FineTuneResult, index: number) => void } = {},
): Promise<FineTuneResult[]> {
  if (subsets.length === 0) throw new RangeError('make task models needs at least one class subset');
  const out: FineTuneResult[] = [];
  for (const [i, classes] of subsets.entries()) {
    const r = await fineTune(
      base,
      data,
      { ...opts, classes, seed: opts.seed + i },
      {
        ...hooks,
        onProgress: (done, total) => hooks.onProgress?.(i * total + done, subsets.length * total),
      },
    );
    out.push(r);
    hooks.onModel?.(r, i);
  }
  return out;
}

/** The metadata a fine-tuned model carries: its base's id and how it was fine-tuned. */
export function fineTuneMetadata(
  baseId: string,
  r: FineTuneResult,
  opts: ClassifierTraining,
): Record<string, string> {
  return {
    'weightscope.base': baseId,
    'weightscope.finetune': JSON.stringify({
      classes: formatClassList(r.classes),
      epochs: opts.epochs,
      batch: opts.batch,
      optimizer: opts.optimizer,
      lr: opts.lr,
      weightDecay: opts.weightDecay,
      schedule: opts.schedule,
    }),
  };
}
