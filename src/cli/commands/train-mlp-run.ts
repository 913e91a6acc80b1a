/**
 * The tfjs half of `train-mlp`, loaded after the backend starts: train from a fresh init or
 * fine-tune a base, then score the result on the training part and the held-out part.
 */
import {
  asClassification,
  checkTrainData,
  selectClasses,
  type TrainTestSplit,
} from '../../engine/classifier/data';
import { fineTune, fineTuneMetadata } from '../../engine/classifier/finetune';
import { classifierPopulation, type ClassifierSettings } from '../../engine/classifier/settings';
import type { Model } from '../../engine/model';
import { evaluateModels } from '../../engine/tf/evaluate';
import { trainClassifierRun, type EpochRecord, type RunHooks } from '../../engine/tf/classifier-run';
import type { KernelChoice } from '../../engine/tf/classifier-path';
import { shardPortsFor } from '../kernel-pool';

export interface TrainRequest {
  settings: ClassifierSettings;
  split: TrainTestSplit;
  classes: number[] | null;
  base: Model | null;
  baseId: string | null;
  inputs: number;
  outputs: number;
  /** Fused kernel (auto: where it covers the run) or tfjs. */
  kernel: KernelChoice;
}

export interface TrainOutcome {
  model: Model;
  train: { loss: number; accuracy: number };
  test: { loss: number; accuracy: number };
  history: EpochRecord[];
  metadata: Record<string, string> | null;
  seconds: number;
  /** Which path trained, e.g. "fused wasm relaxed × 1 worker" or "tfjs wasm (fused kernel: …)". */
  kernel: string;
}

/** Progress on stderr when it is a terminal (stdout carries only the result). */
const progress: RunHooks = {
  onEpoch: (r) => {
    if (process.stderr.isTTY)
      process.stderr.write(
        `epoch ${r.epoch}: train loss ${r.trainLoss[0]!.toFixed(4)}, held-out accuracy ${(100 * r.heldOutAccuracy[0]!).toFixed(2)}%\n`,
      );
  },
};

export async function trainClassifier(q: TrainRequest): Promise<TrainOutcome> {
  const t0 = performance.now();
  const { settings, split, classes, inputs, outputs } = q;
  const train = classes ? selectClasses(split.train, classes) : split.train;
  const held = classes ? selectClasses(split.heldOut, classes) : split.heldOut;
  const what = classes ? ' of the chosen classes' : '';
  checkTrainData(train, { batch: settings.batch, inputs, outputs, name: `the training part${what}` });
  checkTrainData(held, { batch: 1, inputs, outputs, name: `the held-out part${what}` });
  let model: Model;
  let history: EpochRecord[];
  let metadata: Record<string, string> | null = null;
  let kernel = '';
  const hooks: RunHooks = {
    ...progress,
    kernel: { choice: q.kernel, ports: shardPortsFor() },
    onPath: (p) => void (kernel = p),
  };
  if (q.base) {
    const r = await fineTune(
      q.base,
      { train: split.train, heldOut: split.heldOut },
      { ...settings, ...(classes ? { classes } : {}) },
      hooks,
    );
    model = r.model;
    history = r.history;
    metadata = fineTuneMetadata(q.baseId!, r, settings);
  } else {
    const pop = classifierPopulation(settings, inputs, outputs);
    const r = await trainClassifierRun(
      pop.models,
      asClassification(train, outputs),
      asClassification(held, outputs),
      { ...settings, batchSeeds: pop.batchSeeds },
      hooks,
    );
    model = r.models[0]!;
    history = r.history;
  }
  const tr = await evaluateModels([model], asClassification(train, outputs));
  const te = await evaluateModels([model], asClassification(held, outputs));
  return {
    model,
    train: { loss: tr.loss[0]!, accuracy: tr.metric[0]! },
    test: { loss: te.loss[0]!, accuracy: te.metric[0]! },
    history,
    metadata,
    seconds: (performance.now() - t0) / 1000,
    kernel,
  };
}
