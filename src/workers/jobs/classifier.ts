/**
 * The Classifier lab's jobs in the worker: train a population, fine-tune (one model or a set of
 * task models), run a replication preset. Every model that results joins the registry with its
 * provenance; the replies carry only small numbers (curves, scores), never weights.
 */
import { yieldToEvents } from '../../engine/cancel';
import {
  checkTrainData,
  mnistTrainTest,
  splitHeldOut,
  type TrainTestSplit,
  asClassification,
  formatClassList,
} from '../../engine/classifier/data';
import { fineTune, makeTaskModels, type FineTuneResult } from '../../engine/classifier/finetune';
import type { PresetHooks } from '../../engine/classifier/presets/common';
import { REBASIN_DEFAULTS, runRebasinPreset } from '../../engine/classifier/presets/rebasin';
import { REPAIR_DEFAULTS, runRepairPreset } from '../../engine/classifier/presets/repair';
import { runSoupPreset, SOUP_DEFAULTS } from '../../engine/classifier/presets/soup';
import { runWidthSweep, WIDTH_SWEEP_DEFAULTS } from '../../engine/classifier/presets/widths';
import {
  checkClassifierSettings,
  classifierPopulation,
  type ClassifierTraining,
} from '../../engine/classifier/settings';
import { describeArch, type MlpArch, type Model } from '../../engine/model';
import type { PathCurve } from '../../engine/paths/barrier';
import { trainClassifierRun, type EpochRecord } from '../../engine/tf/classifier-run';
import type {
  ClassifierDataSpec,
  ClassifierFineTuneJob,
  ClassifierPresetJob,
  ClassifierPresetReply,
  ClassifierTrainJob,
  ClassifierTrainReply,
  CurveData,
  ModelEntry,
} from '../protocol';
import { ensureBackend } from '../backends';
import { browserShardPorts } from '../kernel-pool';
import { classifierGpu } from '../wgsl-path';
import type { ModelRegistry } from '../registry';
import { waitWhilePaused, type JobContext, type PauseSwitch } from './context';

/** A classifier job's controls beyond its context: pause and stop-keeping-the-models. */
export interface ClassifierControl extends JobContext {
  pause: PauseSwitch;
  /** Stop: ends the run keeping what it trained. */
  stop: AbortSignal;
}

/** The train / held-out split of the job's data (the MNIST split, or a seeded one of a dataset). */
export function classifierSplit(d: ClassifierDataSpec): TrainTestSplit {
  return d.kind === 'mnist'
    ? mnistTrainTest(d.bin)
    : splitHeldOut(d.dataset, d.heldOutFraction, d.seed, d.name);
}

/** Classifier runs take the fused kernel where it covers them, its shards on Web Workers. */
const KERNEL = { ports: browserShardPorts, gpu: classifierGpu };

const curveData = (c: PathCurve): CurveData => ({
  alphas: Array.from(c.alphas),
  losses: Array.from(c.losses),
  accuracies: Array.from(c.metrics),
  barrier: c.barrier,
  accuracyDrop: c.metricBarrier,
});

/** Trains a population; progress carries the history so far (the live curves). */
export async function runClassifierTrain(
  job: ClassifierTrainJob,
  registry: ModelRegistry,
  ctl: ClassifierControl,
): Promise<ClassifierTrainReply> {
  checkClassifierSettings(job.settings);
  await ensureBackend();
  const split = classifierSplit(job.data);
  checkTrainData(split.train, { batch: job.settings.batch, name: 'the training part' });
  const classes = split.train.classes;
  const pop = classifierPopulation(job.settings, split.train.inputs, classes);
  const history: EpochRecord[] = [];
  let at = { done: 0, total: 0 };
  let kernel = '';
  const run = await trainClassifierRun(
    pop.models,
    asClassification(split.train, classes),
    asClassification(split.heldOut, classes),
    { ...job.settings, batchSeeds: pop.batchSeeds },
    {
      signal: ctl.signal,
      gate: () => waitWhilePaused(ctl.pause, ctl.signal, ctl.stop),
      stop: () => ctl.stop.aborted,
      kernel: job.kernel === 'webgpu' ? { ...KERNEL, choice: 'webgpu' } : KERNEL,
      // Before the first step, and again when a lost GPU device moves the run to another path.
      onPath: (p) => {
        kernel = p;
        ctl.progress({ ...at, label: 'steps', history: [...history], kernel });
      },
      onProgress: (done, total) => {
        at = { done, total };
        ctl.progress({ ...at, label: 'steps', history: [...history], kernel });
      },
      onEpoch: (r) => {
        history.push(r);
        ctl.progress({ ...at, label: 'steps', history: [...history], kernel });
      },
    },
  );
  const note = `held-out accuracy on ${split.description}`;
  const models: ModelEntry[] = run.models.map((model, k) =>
    registry.add(model, {
      name: `${job.group} #${k + 1}`,
      source: 'trained',
      seed: job.settings.seed,
      group: job.group,
      accuracy: run.heldOut.accuracy[k]!,
      note,
    }),
  );
  return {
    models,
    history: run.history,
    stopped: run.stopped,
    description: split.description,
    kernel: run.kernel,
  };
}

/** Fine-tunes a workspace model on each class subset (one subset: one model). */
export async function runClassifierFineTune(
  job: ClassifierFineTuneJob,
  registry: ModelRegistry,
  ctx: JobContext,
): Promise<{
  models: ModelEntry[];
  results: { classes: string; before: number; after: number; allAfter: number }[];
}> {
  await ensureBackend();
  const base = registry.get(job.baseId);
  const baseEntry = registry.entry(job.baseId);
  const split = classifierSplit(job.data);
  const hooks = {
    signal: ctx.signal,
    kernel: KERNEL,
    onProgress: (done: number, total: number) => ctx.progress({ done, total, label: 'fine-tuning steps' }),
  };
  const opts = { ...job.training, seed: job.seed };
  const results: FineTuneResult[] =
    job.subsets.length === 1
      ? [await fineTune(base, split, { ...opts, classes: job.subsets[0]! }, hooks)]
      : await makeTaskModels(base, split, job.subsets, opts, hooks);
  await yieldToEvents(ctx.signal);
  const models = results.map((r) =>
    registry.add(r.model, {
      name: `${baseEntry.name} → ${formatClassList(r.classes)}`,
      source: 'trained',
      group: `fine-tuned from ${baseEntry.name}`,
      base: job.baseId,
      accuracy: r.after.allAccuracy,
      note: `fine-tuned from ${baseEntry.name} on classes ${formatClassList(r.classes)} for ${job.training.epochs} epoch(s); accuracy on the held-out digits of all classes (${(100 * r.after.taskAccuracy).toFixed(1)}% on its own classes)`,
    }),
  );
  return {
    models,
    results: results.map((r) => ({
      classes: formatClassList(r.classes),
      before: r.before.taskAccuracy,
      after: r.after.taskAccuracy,
      allAfter: r.after.allAccuracy,
    })),
  };
}

/** "ReLU 784→512×3→10": a preset's MNIST MLP, labelled as every panel labels an architecture. */
const mnistArch = (o: { hidden: readonly number[]; activation: MlpArch['activation'] }): string =>
  describeArch({ widths: [784, ...o.hidden, 10], activation: o.activation });

/** "3 epochs of adam, batch 128". */
const describe = (t: ClassifierTraining): string =>
  `${t.epochs} epoch${t.epochs === 1 ? '' : 's'} of ${t.optimizer === 'sgd' ? 'SGD' : 'Adam'}, batch ${t.batch}`;

/** The preset's training with the job's epochs (0: the preset's own). */
const withEpochs = (t: ClassifierTraining, epochs: number): ClassifierTraining =>
  epochs > 0 ? { ...t, epochs } : t;

/** Runs one preset on MNIST; the trained endpoints (or soups) join the workspace. */
export async function runClassifierPreset(
  job: ClassifierPresetJob,
  registry: ModelRegistry,
  ctx: JobContext,
): Promise<ClassifierPresetReply> {
  await ensureBackend();
  const paths = new Set<string>();
  const hooks = {
    signal: ctx.signal,
    kernel: KERNEL,
    onPath: (_stage: string, p: string) => void paths.add(p),
    onProgress: (f: number, stage: string) =>
      ctx.progress({ done: Math.round(1000 * f), total: 1000, label: stage }),
  };
  const reply = await presetReply(job, registry, hooks);
  return { ...reply, notes: [...reply.notes, `Training ran on ${[...paths].join('; ')}.`] };
}

async function presetReply(
  job: ClassifierPresetJob,
  registry: ModelRegistry,
  hooks: PresetHooks,
): Promise<ClassifierPresetReply> {
  const tag = `${job.preset} seed ${job.seed}`;
  const add = (model: Model, name: string): ModelEntry =>
    registry.add(model, { name, source: 'trained', group: `preset ${tag}` });
  const hidden = job.hidden.length > 0 ? { hidden: job.hidden } : {};
  const seed = job.seed;
  switch (job.preset) {
    case 'rebasin': {
      const training = withEpochs(REBASIN_DEFAULTS.training, job.epochs);
      const r = await runRebasinPreset(job.mnist, { ...hidden, seed, training }, hooks);
      const setup = `two ${mnistArch(r.options)} MLPs, ${describe(r.options.training)}`;
      const models = [add(r.models.a, `re-basin A (${tag})`), add(r.models.b, `re-basin B (${tag})`)];
      return {
        preset: 'rebasin',
        models,
        curves: r.curves.map((c) => ({
          method: c.method,
          train: curveData(c.train),
          heldOut: curveData(c.heldOut),
        })),
        notes: r.notes,
        paper: r.paper,
        setup,
        seconds: r.seconds,
      };
    }
    case 'widths': {
      const training = withEpochs(WIDTH_SWEEP_DEFAULTS.training, job.epochs);
      const r = await runWidthSweep(job.mnist, { widths: job.widths, seed, training }, hooks);
      const setup = `two MLPs of ${r.options.depth} hidden layers per width, ${describe(r.options.training)}`;
      return {
        preset: 'widths',
        models: [],
        points: r.points,
        notes: [],
        paper: r.paper,
        setup,
        seconds: r.seconds,
      };
    }
    case 'repair': {
      const training = withEpochs(REPAIR_DEFAULTS.training, job.epochs);
      const r = await runRepairPreset(job.mnist, { ...hidden, seed, training }, hooks);
      const setup = `two ${mnistArch(r.options)} MLPs, ${describe(r.options.training)}`;
      return {
        preset: 'repair',
        models: [],
        endpoints: r.endpoints,
        midpoints: r.midpoints,
        curves: [
          { method: 'naive', train: null, heldOut: curveData(r.curves.naive) },
          { method: 'weight', train: null, heldOut: curveData(r.curves.aligned) },
        ],
        notes: r.notes,
        paper: r.paper,
        setup,
        seconds: r.seconds,
      };
    }
    case 'soup': {
      const d = SOUP_DEFAULTS;
      const r = await runSoupPreset(
        job.mnist,
        {
          ...hidden,
          seed,
          base: withEpochs(d.base, job.epochs),
          fineTune: withEpochs(d.fineTune, job.epochs),
        },
        hooks,
      );
      const models = [
        add(r.models.uniform, `uniform soup (${tag})`),
        add(r.models.greedy, `greedy soup (${tag})`),
      ];
      const o = r.options;
      const setup = `${mnistArch(o)} base (${describe(o.base)}), ${o.ingredients} fine-tuned ingredients (${describe(o.fineTune)}, lr ${o.lrs.join(' / ')})`;
      return {
        preset: 'soup',
        models,
        soup: {
          base: r.base.heldOutAccuracy,
          ingredients: r.ingredients,
          bestSingle: r.bestSingle.heldOutAccuracy,
          uniform: r.uniformSoup.heldOutAccuracy,
          greedy: r.greedySoup.heldOutAccuracy,
          greedyMembers: r.greedySoup.members.length,
        },
        notes: [],
        paper: r.paper,
        setup,
        seconds: r.seconds,
      };
    }
  }
}
