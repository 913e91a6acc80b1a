/** `weightscope zoo fit --source classifiers`: a zoo of MNIST classifiers labelled by seed or task. */
import { packMnist } from '../../../scripts/mnist';
import { describeArch } from '../../engine/model';
import {
  checkClassifierZoo,
  DEFAULT_CLASSIFIER_ZOO,
  formatTasks,
  parseTasks,
  type ClassifierZooSettings,
} from '../../engine/zoo/classifier-source';
import { ZooError } from '../../engine/zoo/types';
import { CliError, UsageError, type FlagSpec, type ParsedArgs } from '../args';
import { startTf } from '../backend';
import { fmt, type CommandResult } from '../command';
import { saveZoo } from '../zoo-io';

/** Flags of `zoo fit` that only a classifier zoo takes (the INR flags are refused with it). */
export const CLASSIFIER_FLAGS = {
  'label-by': {
    kind: 'choice',
    choices: ['seed', 'task'],
    help: 'classifiers: label = init seed, or task = the digit classes trained on (default task)',
  },
  seeds: { kind: 'int', arg: 'L', min: 2, max: 50, help: 'classifiers by seed: number of inits (default 4)' },
  tasks: {
    kind: 'string',
    arg: 'T;T;…',
    help: 'classifiers by task: class subsets, e.g. "0,1;2,3" or "0-4/5-9" (default 0-1;2-3;4-5;6-7;8-9)',
  },
  'per-label': {
    kind: 'int',
    arg: 'N',
    min: 1,
    max: 10_000,
    help: 'classifiers: members per label (default 8)',
  },
  digits: {
    kind: 'int',
    arg: 'N',
    min: 1,
    max: 800,
    help: 'classifiers: training digits per class (default 100)',
  },
  epochs: { kind: 'int', arg: 'E', min: 1, max: 1000, help: 'classifiers: epochs (default 3)' },
  minibatch: {
    kind: 'int',
    arg: 'B',
    min: 1,
    max: 65_536,
    help: 'classifiers: digits per step (default 32)',
  },
} as const satisfies Record<string, FlagSpec>;

const INR_ONLY = ['per-class', 'classes', 'image', 'count', 'steps', 'psnr', 'w0', 'batch'];

/** Builds the zoo and writes it to `out`. */
export async function fitClassifierZoo(args: ParsedArgs, out: string): Promise<CommandResult> {
  const wrong = INR_ONLY.filter((f) => args.has(f));
  if (wrong.length) throw new UsageError(`--${wrong.join(', --')}: not for --source classifiers`);
  const d = DEFAULT_CLASSIFIER_ZOO;
  let s: ClassifierZooSettings;
  try {
    s = {
      labelBy: (args.string('label-by') as ClassifierZooSettings['labelBy'] | undefined) ?? d.labelBy,
      seeds: args.number('seeds') ?? d.seeds,
      tasks: args.has('tasks') ? parseTasks(args.string('tasks')!) : d.tasks,
      perLabel: args.number('per-label') ?? d.perLabel,
      hidden: args.ints('hidden') ?? d.hidden,
      size: args.number('size') ?? d.size,
      digitsPerClass: args.number('digits') ?? d.digitsPerClass,
      epochs: args.number('epochs') ?? d.epochs,
      batch: args.number('minibatch') ?? d.batch,
      lr: args.number('lr') ?? d.lr,
      seed: args.number('seed') ?? d.seed,
    };
    checkClassifierZoo(s);
  } catch (e) {
    if (e instanceof ZooError) throw new CliError(e.message);
    throw e;
  }
  const backend = await startTf(args);
  const { buildClassifierZoo } = await import('../../engine/zoo/classifier-build');
  const r = await buildClassifierZoo(packMnist(), s, {
    onProgress: (p) => {
      if (process.stderr.isTTY)
        process.stderr.write(
          `${p.done}/${p.total} classifiers (${s.labelBy} ${p.label}), ETA ${p.etaMs === null ? '…' : `${Math.round(p.etaMs / 1000)} s`}\n`,
        );
    },
  });
  if (!r.zoo) throw new CliError(`only ${r.done} member(s) finished; a zoo needs at least 2`);
  saveZoo(out, r.zoo);
  const json = {
    models: r.zoo.n,
    architecture: r.zoo.arch,
    meanAccuracy: r.meanAccuracy,
    seconds: r.seconds,
    out,
    backend,
    labelBy: s.labelBy,
    labels: r.zoo.meta.labelNames,
    source: r.zoo.meta.source,
  };
  const text = [
    `${r.zoo.n} × ${describeArch(r.zoo.arch)} MNIST classifiers (${s.size}×${s.size} inputs), labelled by ${s.labelBy}: ` +
      (s.labelBy === 'task' ? formatTasks(s.tasks) : `${s.seeds} inits`),
    `mean held-out accuracy ${fmt(100 * r.meanAccuracy, 3)}% in ${fmt(r.seconds, 3)} s, ${backend}`,
    `wrote ${out}`,
  ].join('\n');
  return { json, text };
}
