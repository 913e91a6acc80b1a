import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid, linspace, mse, psnr } from '../src/engine/inr';
import { initModel, paramShapes, type MlpArch, type Model } from '../src/engine/model';
import { forward } from '../src/engine/forward';
import { PopulationTrainer, type RegressionTarget } from '../src/engine/tf/trainer';
import { stackModels, forwardStacked, disposeStack } from '../src/engine/tf/stack';

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };

function blobTarget(size: number): RegressionTarget {
  const x = coordinateGrid(size, size);
  const y = new Float32Array(size * size);
  for (let i = 0; i < size * size; i++) {
    const r = x[2 * i]!;
    const c = x[2 * i + 1]!;
    y[i] = 0.5 + 0.5 * Math.sin(3 * r) * Math.cos(2 * c);
  }
  return { x, y, n: size * size, inputs: 2, channels: 1 };
}

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('INR convention', () => {
  it('linspace spans [-1, 1] inclusive', () => {
    expect(Array.from(linspace(5))).toEqual([-1, -0.5, 0, 0.5, 1]);
  });
  it("grid is (row, col) with 'ij' indexing", () => {
    const g = coordinateGrid(3, 2);
    // row 0: (-1,-1), (-1,1); row 1: (0,-1), (0,1); row 2: (1,-1), (1,1)
    expect(Array.from(g)).toEqual([-1, -1, -1, 1, 0, -1, 0, 1, 1, -1, 1, 1]);
  });
  it('PSNR is 10·log10(1/MSE)', () => {
    expect(psnr(0.01)).toBeCloseTo(20, 12);
    expect(psnr(mse([0.5, 0.5], [0.4, 0.6]))).toBeCloseTo(20, 10);
  });
});

describe('SIREN init (Sitzmann et al. 2020, Sec. 3.2)', () => {
  it('first layer U(-1/in, 1/in), later U(-√(6/in)/w0, √(6/in)/w0)', () => {
    const arch: MlpArch = { widths: [2, 256, 256, 1], activation: 'sine', w0: 30 };
    const m = initModel(arch, 7);
    const w0 = m.params['layers.0.weight']!.data;
    const w1 = m.params['layers.1.weight']!.data;
    const bound0 = 1 / 2;
    const bound1 = Math.sqrt(6 / 256) / 30;
    const stats = (a: Float32Array) => {
      let mn = Infinity,
        mx = -Infinity,
        s = 0,
        s2 = 0;
      for (const v of a) {
        mn = Math.min(mn, v);
        mx = Math.max(mx, v);
        s += v;
        s2 += v * v;
      }
      return { mn, mx, mean: s / a.length, var: s2 / a.length - (s / a.length) ** 2 };
    };
    const s0 = stats(w0);
    const s1 = stats(w1);
    expect(s0.mn).toBeGreaterThanOrEqual(-bound0);
    expect(s0.mx).toBeLessThanOrEqual(bound0);
    expect(s0.mx).toBeGreaterThan(0.95 * bound0);
    expect(s1.mn).toBeGreaterThanOrEqual(-bound1);
    expect(s1.mx).toBeLessThanOrEqual(bound1);
    // Variance of U(-b, b) is b²/3.
    expect(s1.var).toBeCloseTo(bound1 ** 2 / 3, 6);
    expect(Math.abs(s1.mean)).toBeLessThan(bound1 * 0.02);
  });
  it('same seed, same weights; different seed, different weights', () => {
    const a = initModel(siren, 1);
    const b = initModel(siren, 1);
    const c = initModel(siren, 2);
    expect(a.params['layers.1.weight']!.data).toEqual(b.params['layers.1.weight']!.data);
    expect(a.params['layers.1.weight']!.data).not.toEqual(c.params['layers.1.weight']!.data);
    expect(paramShapes(siren).map((p) => p.shape)).toEqual([[16, 2], [16], [16, 16], [16], [1, 16], [1]]);
  });
});

describe('population training', () => {
  it('the batched forward equals the CPU reference', () => {
    const models = [0, 1, 2].map((s) => initModel(siren, s));
    const relu = [0, 1].map((s) =>
      initModel({ widths: [2, 8, 3], activation: 'relu', encoding: { features: 4, sigma: 3 } }, s),
    );
    for (const group of [models, relu] as Model[][]) {
      const t = blobTarget(6);
      const p = stackModels(group);
      const out = tf.tidy(
        () => forwardStacked(group[0]!.arch, p, tf.tensor2d(t.x, [t.n, 2])).arraySync() as number[][][],
      );
      disposeStack(p);
      group.forEach((m, k) => {
        const ref = forward(m, t.x, t.n);
        const got = out[k]!.flat();
        for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
      });
    }
  });

  it('K=3 batched equals 3 separate runs within 1e-5 after 10 steps', async () => {
    const target = blobTarget(8);
    const inits = [11, 12, 13].map((s) => initModel(siren, s));
    const batched = new PopulationTrainer(inits, target, { lr: 1e-3 });
    for (let i = 0; i < 10; i++) batched.step();
    const together = await batched.models();
    batched.dispose();
    for (let k = 0; k < 3; k++) {
      const alone = new PopulationTrainer([inits[k]!], target, { lr: 1e-3 });
      for (let i = 0; i < 10; i++) alone.step();
      const [single] = await alone.models();
      alone.dispose();
      for (const name of Object.keys(single!.params)) {
        const a = together[k]!.params[name]!.data;
        const b = single!.params[name]!.data;
        let d = 0;
        for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
        expect(d, name).toBeLessThan(1e-5);
      }
    }
  });

  it("the 'split' matmul layout trains exactly like the batched one", async () => {
    const target = blobTarget(8);
    const inits = [1, 2, 3].map((s) => initModel(siren, s));
    const results = [];
    for (const layout of ['batched', 'split'] as const) {
      const t = new PopulationTrainer(inits, target, { lr: 1e-3, layout });
      for (let i = 0; i < 10; i++) t.step();
      results.push(await t.models());
      t.dispose();
    }
    for (let k = 0; k < 3; k++) {
      for (const name of Object.keys(results[0]![k]!.params)) {
        const a = results[0]![k]!.params[name]!.data;
        const b = results[1]![k]!.params[name]!.data;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
      }
    }
  });

  it('loss falls, and no tensor leaks over 200 steps', async () => {
    const target = blobTarget(8);
    const before = tf.memory().numTensors;
    const trainer = new PopulationTrainer(
      [0, 1].map((s) => initModel(siren, s)),
      target,
      { lr: 1e-3, batchFraction: 0.5, noiseSeed: 3 },
    );
    const start = await trainer.evaluate();
    const during = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) trainer.step();
    expect(tf.memory().numTensors).toBe(during);
    const end = await trainer.evaluate();
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let k = 0; k < 2; k++) expect(end[k]!).toBeLessThan(start[k]! * 0.5);
  });
});
