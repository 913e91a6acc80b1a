/**
 * A training job may switch engines mid-run (train.ts: it starts on the likely winner and moves
 * to a faster path when the background calibration finds one). The switch carries the weights,
 * the Adam moments and the step count, so N steps on one engine and the rest on another equal the
 * whole run on one engine (up to float rounding between engines), and a switch that dropped the
 * Adam state would not.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeKernelPool } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { inlinePort, KernelPool } from '../src/engine/kernels/pool';
import { flattenModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import type { PopulationSnapshot } from '../src/engine/population-snapshot';
import { PopulationTrainer, type RegressionTarget } from '../src/engine/tf/trainer';
import { poolRunner, tfjsRunner, type PopulationRunner } from '../src/workers/jobs/train-runners';

const size = 11;
const x = coordinateGrid(size, size);
const y = Float32Array.from({ length: size * size }, (_, i) => 0.5 + 0.4 * Math.sin(0.7 * i));
const target: RegressionTarget = { x, y, n: size * size, inputs: 2, channels: 1 };
const lr = 1e-3;

/** Largest |a − b| over a member's weights, relative to the largest |b|, worst over members. */
function worstRelative(a: Model[], b: Model[]): number {
  return Math.max(
    ...a.map((m, k) => {
      const fa = flattenModel(m);
      const fb = flattenModel(b[k]!);
      let scale = 0;
      let diff = 0;
      fb.forEach((v, i) => {
        scale = Math.max(scale, Math.abs(v));
        diff = Math.max(diff, Math.abs(fa[i]! - v));
      });
      return diff / scale;
    }),
  );
}

const tfjs = (models: readonly Model[], batchFraction = 1): PopulationRunner =>
  tfjsRunner(new PopulationTrainer(models, target, { lr, batchFraction, noiseSeed: 5 }));
const fused = async (models: readonly Model[]): Promise<PopulationRunner> =>
  poolRunner(await KernelPool.create(models, { kind: 'regression', ...target }, { lr }, [inlinePort()]));

/** `before` steps on `a`, switch (snapshot → resume, or fresh moments), `after` steps on `b`. */
async function switched(
  inits: Model[],
  a: (m: Model[]) => PopulationRunner | Promise<PopulationRunner>,
  b: (m: Model[]) => PopulationRunner | Promise<PopulationRunner>,
  before: number,
  after: number,
  carryAdam = true,
): Promise<{ models: Model[]; snap: PopulationSnapshot }> {
  const first = await a(inits);
  for (let s = 0; s < before; s++) await first.step();
  const snap = await first.snapshot();
  first.dispose();
  const second = await b(snap.models);
  try {
    if (carryAdam) await second.resume(snap);
    for (let s = 0; s < after; s++) await second.step();
    return { models: await second.models(), snap: carryAdam ? await second.snapshot() : snap };
  } finally {
    second.dispose();
  }
}

async function straight(
  inits: Model[],
  make: (m: Model[]) => PopulationRunner | Promise<PopulationRunner>,
  steps: number,
) {
  const r = await make(inits);
  try {
    for (let s = 0; s < steps; s++) await r.step();
    return { models: await r.models(), snap: await r.snapshot() };
  } finally {
    r.dispose();
  }
}

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('switching engines mid-run', () => {
  const archs: MlpArch[] = [
    { widths: [2, 13, 13, 1], activation: 'sine', w0: 30 },
    { widths: [2, 16, 9, 1], activation: 'relu', encoding: { features: 8, sigma: 10 } },
  ];
  for (const arch of archs) {
    it(`${arch.activation}: 8 steps on tfjs then 12 on the fused kernel equal 20 on either, and back`, async () => {
      const inits = [3, 4, 5].map((s) => initModel(arch, s));
      const ref = await straight(inits, tfjs, 20);
      const refFused = await straight(inits, fused, 20);
      const toFused = await switched(inits, tfjs, fused, 8, 12);
      const toTfjs = await switched(inits, fused, tfjs, 8, 12);
      expect(toFused.snap.steps).toBe(20);
      expect(toTfjs.snap.steps).toBe(20);
      expect(worstRelative(toFused.models, ref.models)).toBeLessThan(1e-4);
      expect(worstRelative(toFused.models, refFused.models)).toBeLessThan(1e-4);
      expect(worstRelative(toTfjs.models, ref.models)).toBeLessThan(1e-4);
      // The moments came across too: after the switch they are the one-engine run's.
      const moments = (s: PopulationSnapshot) => [...s.m, ...s.v];
      const worstMoment = (a: Float32Array[], b: Float32Array[]) =>
        Math.max(
          ...a.map(
            (m, i) =>
              Math.max(...m.map((v, j) => Math.abs(v - b[i]![j]!))) / Math.max(...b[i]!.map(Math.abs)),
          ),
        );
      expect(worstMoment(moments(toFused.snap), moments(ref.snap))).toBeLessThan(1e-3);
      // Dropping the Adam state at the switch (fresh moments, bias correction from step 1) is visibly wrong.
      const dropped = await switched(inits, tfjs, fused, 8, 12, false);
      expect(worstRelative(dropped.models, ref.models)).toBeGreaterThan(1e-2);
    });
  }

  it("a pool of worker threads hands each shard its own members' Adam state", async () => {
    const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };
    const inits = [1, 2, 3, 4, 5].map((s) => initModel(arch, s));
    const ref = await straight(inits, fused, 14);
    const threads = async (m: readonly Model[]) =>
      poolRunner(await nodeKernelPool(m, { kind: 'regression', ...target }, { lr }, 2));
    const sw = await switched(inits, tfjs, threads, 6, 8);
    expect(worstRelative(sw.models, ref.models)).toBeLessThan(1e-4);
    const back = await switched(inits, threads, fused, 6, 8);
    expect(worstRelative(back.models, ref.models)).toBeLessThan(1e-6);
  });

  it('a tfjs run on random pixel subsets continues the same subsets after a switch', async () => {
    const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };
    const inits = [1, 2].map((s) => initModel(arch, s));
    const half = (m: readonly Model[]) => tfjs(m, 0.5);
    const ref = await straight(inits, half, 15);
    const sw = await switched(inits, half, half, 6, 9);
    expect(worstRelative(sw.models, ref.models)).toBeLessThan(1e-6);
  });
});
