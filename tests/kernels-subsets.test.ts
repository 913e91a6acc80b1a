/**
 * Members on random pixel subsets (PopulationTrainer's batchFraction < 1, the SGD noise that makes
 * members trained from one shared init differ) on the fused kernel: the same seeded subsets as
 * the tfjs reference, step for step, so 20 Adam steps agree to 1e-4 relative; a pool of 1, 2 or 4
 * worker threads trains identical members (each shard reads its own members' draws from the
 * population's stream); and a run switched between tfjs and the kernel mid-way goes on with the
 * subsets it would have drawn (the snapshot's step count positions the stream).
 */
import { describe, expect, it } from 'vitest';
import { nodeKernelPool } from '../src/cli/kernel-pool';
import { smoothTarget } from '../src/engine/kernels/agreement';
import { MlpKernel, type KernelOptions } from '../src/engine/kernels/mlp-kernel';
import { inlinePort, KernelPool } from '../src/engine/kernels/pool';
import { flattenModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import type { PopulationSnapshot } from '../src/engine/population-snapshot';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { poolRunner, tfjsRunner, type PopulationRunner } from '../src/workers/jobs/train-runners';
import { fusedCoverage, jobKernelOptions } from '../src/workers/kernel-pool';
import type { TrainJob } from '../src/workers/protocol';
import { kernelTestSetup, worstRelative } from './kernel-compare';

const FLAVOURS = kernelTestSetup();
const lr = 1e-3;

interface Case {
  name: string;
  arch: MlpArch;
  size: [number, number];
  k: number;
  fraction: number;
  /** Every member from one init (the case subsets exist for), else one seed each. */
  shared: boolean;
  tile?: number;
}

const CASES: Case[] = [
  {
    name: 'SIREN 2→13→11→1, K=1, half the pixels',
    arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 },
    size: [13, 11],
    k: 1,
    fraction: 0.5,
    shared: false,
  },
  {
    name: 'ReLU + Fourier features 2→21→10→3, K=3 from one init, 30 % of the pixels',
    arch: { widths: [2, 21, 10, 3], activation: 'relu', encoding: { features: 7, sigma: 10 } },
    size: [11, 9],
    k: 3,
    fraction: 0.3,
    shared: true,
    tile: 16,
  },
  {
    name: 'SIREN 2→9→7→1, K=32 from one init, 70 % of the pixels',
    arch: { widths: [2, 9, 7, 1], activation: 'sine', w0: 30 },
    size: [7, 5],
    k: 32,
    fraction: 0.7,
    shared: true,
  },
  {
    // ~1.7 pixels a member a step: some members draw none (their gradient is 0, Adam still steps).
    name: 'tanh 2→6→5→2, K=5, 5 % of the pixels',
    arch: { widths: [2, 6, 5, 2], activation: 'tanh', outputOffset: 0.5 },
    size: [5, 7],
    k: 5,
    fraction: 0.05,
    shared: false,
    tile: 8,
  },
];

const inits = (c: Pick<Case, 'arch' | 'k' | 'shared'>): Model[] =>
  Array.from({ length: c.k }, (_, k) => initModel(c.arch, c.shared ? 40 : 40 + k));

const subsetOpts = (fraction: number, seed: number): KernelOptions => ({
  lr,
  pixelSubsets: { fraction, seed },
});

describe('fused kernel on random pixel subsets vs the tfjs PopulationTrainer (20 Adam steps)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const data = smoothTarget(c.size[0], c.size[1], c.arch.widths.at(-1)!);
      const models = inits(c);
      const ref = new PopulationTrainer(models, data, { lr, batchFraction: c.fraction, noiseSeed: 11 });
      const make = (seed: number, flavour: (typeof FLAVOURS)[number]) =>
        new MlpKernel(
          models,
          { kind: 'regression', ...data },
          { ...subsetOpts(c.fraction, seed), flavour, ...(c.tile ? { tile: c.tile } : {}) },
        );
      const kernels = FLAVOURS.map((fl) => make(11, fl));
      // The control: the same kernel drawing other subsets (another seed).
      const other = make(12, FLAVOURS[0]!);
      try {
        for (let s = 0; s < 20; s++) {
          ref.step();
          for (const kernel of [...kernels, other]) kernel.step();
        }
        const refModels = await ref.models();
        const mseRef = await ref.evaluate();
        for (const kernel of kernels) {
          expect(worstRelative(kernel.models(), refModels), kernel.flavour).toBeLessThan(1e-4);
          // evaluate() is on the full target, whatever the steps saw.
          kernel.evaluate().forEach((v, k) => expect(Math.abs(v - mseRef[k]!)).toBeLessThan(1e-5));
        }
        expect(worstRelative(other.models(), refModels)).toBeGreaterThan(1e-3);
        if (c.shared && c.k > 1) {
          // Members from one init differ only by their subsets: they have drifted apart.
          const [a, b] = kernels[0]!.models().map(flattenModel);
          expect(Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)))).toBeGreaterThan(1e-4);
        }
      } finally {
        ref.dispose();
      }
    });
  }

  it('refuses what it does not draw', () => {
    const data = { kind: 'regression' as const, ...smoothTarget(4, 4, 1) };
    const models = [initModel({ widths: [2, 4, 1], activation: 'sine', w0: 30 }, 1)];
    expect(() => new MlpKernel(models, data, subsetOpts(1, 0))).toThrow(/fraction/);
    expect(
      () =>
        new MlpKernel(models, data, {
          ...subsetOpts(0.5, 0),
          pixelSubsets: { fraction: 0.5, seed: 0, first: 1 },
        }),
    ).toThrow(/members 1…1 of 1/);
    const kernel = new MlpKernel(models, data, subsetOpts(0.5, 0));
    expect(() => kernel.resetMember(0, models[0]!)).toThrow(/together/);
  });
});

describe('the train job', () => {
  it('runs a shared-init population on the kernel, with its subsets', () => {
    const job: Pick<TrainJob, 'arch' | 'backend' | 'lr' | 'batchFraction' | 'noiseSeed'> = {
      arch: { widths: [2, 64, 64, 1], activation: 'sine', w0: 30 },
      backend: 'auto',
      lr: 2e-3,
      batchFraction: 0.25,
      noiseSeed: 9,
    };
    expect(fusedCoverage(job as TrainJob)).toBeNull();
    expect(jobKernelOptions(job)).toEqual({ lr: 2e-3, pixelSubsets: { fraction: 0.25, seed: 9 } });
    expect(jobKernelOptions({ ...job, batchFraction: 1 })).toEqual({ lr: 2e-3 });
  });
});

describe('a population on pixel subsets over worker threads', () => {
  const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };
  const data = { kind: 'regression' as const, ...smoothTarget(9, 9, 1) };

  it('1, 2 and 4 workers give identical models, equal to one kernel in this thread', async () => {
    const models = inits({ arch, k: 5, shared: true });
    const opts = subsetOpts(0.4, 3);
    const single = new MlpKernel(models, data, opts);
    for (let s = 0; s < 12; s++) single.step();
    const expected = single.models().map(flattenModel);
    for (const threads of [1, 2, 4]) {
      const pool = await nodeKernelPool(models, data, opts, threads);
      try {
        expect(pool.workers).toBe(threads);
        await pool.step(5);
        await pool.step(7);
        const got = (await pool.models()).map(flattenModel);
        got.forEach((m, k) =>
          expect(Array.from(m), `${threads} workers, member ${k}`).toEqual(Array.from(expected[k]!)),
        );
        expect(Array.from(await pool.evaluate())).toEqual(Array.from(single.evaluate()));
      } finally {
        pool.dispose();
      }
    }
  });
});

describe('switching engines mid-run on pixel subsets', () => {
  const arch: MlpArch = { widths: [2, 13, 13, 1], activation: 'sine', w0: 30 };
  const target = smoothTarget(11, 11, 1);
  const fraction = 0.5;
  const tfjs = (models: readonly Model[]): PopulationRunner =>
    tfjsRunner(new PopulationTrainer(models, target, { lr, batchFraction: fraction, noiseSeed: 5 }));
  const fused = async (models: readonly Model[]): Promise<PopulationRunner> =>
    poolRunner(
      await KernelPool.create(models, { kind: 'regression', ...target }, subsetOpts(fraction, 5), [
        inlinePort(),
      ]),
    );
  const threads = async (models: readonly Model[]): Promise<PopulationRunner> =>
    poolRunner(await nodeKernelPool(models, { kind: 'regression', ...target }, subsetOpts(fraction, 5), 2));

  async function run(
    inits: Model[],
    legs: [(m: Model[]) => PopulationRunner | Promise<PopulationRunner>, number][],
  ): Promise<Model[]> {
    let models = inits;
    let snap: PopulationSnapshot | null = null;
    for (const [make, steps] of legs) {
      const r = await make(models);
      try {
        if (snap) await r.resume(snap);
        for (let s = 0; s < steps; s++) await r.step();
        snap = await r.snapshot();
        models = snap.models;
      } finally {
        r.dispose();
      }
    }
    return models;
  }

  it('tfjs → kernel → tfjs and kernel → worker threads equal one engine throughout', async () => {
    const inits = [7, 7, 7].map((s) => initModel(arch, s));
    const ref = await run(inits, [[tfjs, 20]]);
    const refFused = await run(inits, [[fused, 20]]);
    expect(worstRelative(refFused, ref)).toBeLessThan(1e-4);
    const there = await run(inits, [
      [tfjs, 6],
      [fused, 9],
      [tfjs, 5],
    ]);
    expect(worstRelative(there, ref)).toBeLessThan(1e-4);
    // Shards resume the stream at the snapshot's step too: bit for bit the one-kernel run.
    const sharded = await run(inits, [
      [fused, 8],
      [threads, 12],
    ]);
    sharded.forEach((m, k) =>
      expect(Array.from(flattenModel(m))).toEqual(Array.from(flattenModel(refFused[k]!))),
    );
  });
});
