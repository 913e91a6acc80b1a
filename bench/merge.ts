/**
 * Merge performance: every merge method on 8 models of 784-512×3-10 (about 0.93 M parameters
 * each, the base plus 8 "fine-tuned" copies, each the base plus its own seeded perturbation so
 * that the task vectors differ), and REPAIR of the midpoint of two such models on 1,000 MNIST
 * digits. Plain TypeScript on one thread (float64 sums).
 */
import { packMnist } from '../scripts/mnist';
import { mnistSplit } from '../src/engine/data/mnist';
import { MERGE_METHODS, mergeModels, repairModel, type MergeParams } from '../src/engine/merge';
import { cloneModel, initModel, paramCount, type MlpArch, type Model } from '../src/engine/model';
import { lerpModels } from '../src/engine/paths/interpolate';
import { createRng } from '../src/engine/rng';
import { timeIt, type BenchRow } from './measure';

const ARCH: MlpArch = { widths: [784, 512, 512, 512, 10], activation: 'relu' };

function finetuned(base: Model, seed: number): Model {
  const m = cloneModel(base);
  const rng = createRng(seed);
  for (const t of Object.values(m.params))
    for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + 0.01 * rng.normal();
  return m;
}

/** One row per method, plus REPAIR. */
export async function benchMerge(reps = 3): Promise<BenchRow[]> {
  const base = initModel(ARCH, 0);
  const models = Array.from({ length: 8 }, (_, i) => finetuned(base, i + 1));
  const rows: BenchRow[] = [];
  const params: MergeParams = { density: 0.5, epsilon: 0.1, seed: 0 };
  for (const method of MERGE_METHODS) {
    const inputs = method === 'slerp' ? models.slice(0, 1) : models;
    const opts =
      method === 'linear'
        ? {}
        : { base, params: method === 'model_stock' || method === 'slerp' ? {} : params };
    const t = await timeIt(() => mergeModels(method, inputs, opts), reps, 1);
    rows.push({
      group: 'merge',
      name: `merge ${method}, ${method === 'slerp' ? 'base + 1 model' : '8 models'} of 784-512×3-10${
        'density' in (opts.params ?? {}) ? ', density 0.5' : ''
      }`,
      runtime: 'node/ts',
      median: t.median / 1000,
      min: t.min / 1000,
      max: t.max / 1000,
      unit: 's',
      usage: t.usage,
      extra: { params: paramCount(ARCH) },
    });
  }
  const digits = mnistSplit(packMnist(), 'score');
  const [a, b] = [models[0]!, initModel(ARCH, 99)];
  const mid = lerpModels(a, b, 0.5);
  const t = await timeIt(() => repairModel(mid, [a, b], [0.5, 0.5], digits.x, digits.n), reps, 1);
  rows.push({
    group: 'merge',
    name: 'REPAIR of a 784-512×3-10 midpoint, 1,000 MNIST digits (3 forward passes)',
    runtime: 'node/ts',
    median: t.median / 1000,
    min: t.min / 1000,
    max: t.max / 1000,
    unit: 's',
    usage: t.usage,
  });
  return rows;
}
