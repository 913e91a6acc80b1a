/**
 * Builds a classifier zoo (./classifier-source.ts) with the classifier trainer's public run
 * (tf/classifier-run.ts): each label's members train together as one population, in chunks of
 * at most CHUNK. Pause holds the run between steps; a stop ends it and keeps every member whose
 * chunk had finished (the chunk in flight is dropped: its members are not trained yet).
 */
import { initModel, type Model } from '../model';
import { asClassification } from '../classifier/data';
import { trainClassifierRun } from '../tf/classifier-run';
import { MNIST_CLASSES } from '../data/mnist';
import {
  checkClassifierZoo,
  classifierPlan,
  classifierZooData,
  groupData,
  type ClassifierZooSettings,
  zooTraining,
} from './classifier-source';
import { zooFromModels } from './members';
import type { Zoo } from './types';

/** Members trained at once (one population of the classifier trainer). */
const CHUNK = 16;

export interface ClassifierZooProgress {
  /** Members finished. */
  done: number;
  total: number;
  /** Fraction of the whole build, counting the chunk in flight. */
  fraction: number;
  /** Name of the label being trained. */
  label: string;
  /** Mean held-out accuracy of the finished members (NaN before the first). */
  meanAccuracy: number;
  etaMs: number | null;
}

export interface ClassifierZooHooks {
  /** Checked between steps: an abort rejects with the signal's reason and keeps nothing. */
  signal?: AbortSignal;
  /** Awaited between steps: resolves when the build may go on (a paused job holds it). */
  gate?: () => Promise<void>;
  /** True ends the build early, keeping the finished members. */
  stop?: () => boolean;
  onProgress?: (p: ClassifierZooProgress) => void;
}

export interface ClassifierZooResult {
  /** Null when fewer than 2 members finished. */
  zoo: Zoo | null;
  done: number;
  total: number;
  /** Ended early by `stop`: the zoo holds the members finished by then. */
  stopped: boolean;
  meanAccuracy: number;
  seconds: number;
}

/** Trains the zoo's members and assembles the zoo (columns `seed`, `accuracy`; settings in the metadata). */
export async function buildClassifierZoo(
  mnist: Uint8Array,
  s: ClassifierZooSettings,
  hooks: ClassifierZooHooks = {},
): Promise<ClassifierZooResult> {
  checkClassifierZoo(s);
  const t0 = performance.now();
  const data = classifierZooData(mnist, s);
  const plan = classifierPlan(s);
  const total = plan.length * s.perLabel;
  const arch = { widths: [s.size * s.size, ...s.hidden, MNIST_CLASSES], activation: 'relu' as const };
  const models: Model[] = [];
  const labels: number[] = [];
  const seeds: number[] = [];
  const accuracy: number[] = [];
  let stopped = false;
  const mean = (): number => (accuracy.length ? accuracy.reduce((a, b) => a + b, 0) / accuracy.length : NaN);
  const report = (chunkFraction: number, chunkSize: number, label: string): void => {
    const fraction = (models.length + chunkFraction * chunkSize) / total;
    const elapsed = performance.now() - t0;
    hooks.onProgress?.({
      done: models.length,
      total,
      fraction,
      label,
      meanAccuracy: mean(),
      etaMs: fraction > 0.02 ? (elapsed * (1 - fraction)) / fraction : null,
    });
  };
  outer: for (const g of plan) {
    const d = groupData(data, g);
    const train = asClassification(d.train, MNIST_CLASSES);
    const heldOut = asClassification(d.heldOut, MNIST_CLASSES);
    for (let j = 0; j < s.perLabel; j += CHUNK) {
      const init = g.initSeeds.slice(j, j + CHUNK);
      const run = await trainClassifierRun(
        init.map((seed) => initModel(arch, seed)),
        train,
        heldOut,
        { ...zooTraining(s), batchSeeds: g.batchSeeds.slice(j, j + CHUNK) },
        {
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          ...(hooks.gate ? { gate: hooks.gate } : {}),
          stop: () => hooks.stop?.() ?? false,
          onProgress: (done, all) => report(done / all, init.length, g.name),
        },
      );
      if (run.stopped) {
        stopped = true;
        break outer;
      }
      run.models.forEach((m, k) => {
        models.push(m);
        labels.push(g.label);
        seeds.push(init[k]!);
        accuracy.push(run.heldOut.accuracy[k]!);
      });
      report(0, 0, g.name);
    }
  }
  const n = models.length;
  const zoo =
    n < 2
      ? null
      : zooFromModels(models, labels, {
          columns: [
            { name: 'seed', shape: [n], data: Int32Array.from(seeds) },
            { name: 'accuracy', shape: [n], data: Float32Array.from(accuracy) },
          ],
          meta: {
            source: `classifiers:mnist:${s.labelBy}`,
            labelNames: plan.map((g) => g.name),
            classifiers: s,
          },
        });
  return { zoo, done: n, total, stopped, meanAccuracy: mean(), seconds: (performance.now() - t0) / 1000 };
}
