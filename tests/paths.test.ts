import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { ArchitectureMismatchError, initModel, type MlpArch, type Model } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { alphaGrid, pathCurve, pathCurveOf } from '../src/engine/paths/barrier';
import { evaluateModels } from '../src/engine/tf/evaluate';
import { type ClassificationData, type RegressionData } from '../src/engine/data/eval-data';
import { crossEntropyAccuracy, evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import {
  bezierModel,
  bezierVector,
  curveModel,
  lerpModels,
  lerpVector,
  midpointModel,
  polychainModel,
  polychainVector,
  slerpModels,
  slerpVector,
} from '../src/engine/paths/interpolate';
import { modelVector } from '../src/engine/paths/vector';

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
const rff: MlpArch = { widths: [2, 12, 3], activation: 'relu', encoding: { features: 4, sigma: 2 } };

function image(size: number): RegressionData {
  const x = coordinateGrid(size, size);
  const y = new Float32Array(size * size);
  for (let i = 0; i < size * size; i++)
    y[i] = 0.5 + 0.4 * Math.sin(3 * x[2 * i]!) * Math.cos(2 * x[2 * i + 1]!);
  return { kind: 'regression', x, y, n: size * size, inputs: 2, channels: 1 };
}

function blobs(n: number, seed: number): ClassificationData {
  const rng = createRng(seed);
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    labels[i] = c;
    x[2 * i] = Math.cos((2 * Math.PI * c) / 3) + 0.4 * rng.normal();
    x[2 * i + 1] = Math.sin((2 * Math.PI * c) / 3) + 0.4 * rng.normal();
  }
  return { kind: 'classification', x, labels, n, inputs: 2, classes: 3 };
}

function randomVector(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

function bitsEqual(a: Model, b: Model): boolean {
  const va = new Uint32Array(modelVector(a).buffer);
  const vb = new Uint32Array(modelVector(b).buffer);
  return va.length === vb.length && va.every((x, i) => x === vb[i]);
}

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('interpolation', () => {
  const a = initModel(siren, 1);
  const b = initModel(siren, 2);
  const c = initModel(siren, 3);

  it('every path family returns its endpoints bit for bit', () => {
    for (const m of [lerpModels, slerpModels]) {
      expect(bitsEqual(m(a, b, 0), a)).toBe(true);
      expect(bitsEqual(m(a, b, 1), b)).toBe(true);
    }
    for (const m of [bezierModel, polychainModel]) {
      expect(bitsEqual(m(a, c, b, 0), a)).toBe(true);
      expect(bitsEqual(m(a, c, b, 1), b)).toBe(true);
    }
    const [va, vb, vc] = [modelVector(a), modelVector(b), modelVector(c)];
    for (const f of [lerpVector, slerpVector]) {
      expect(f(va, vb, 0)).toEqual(va);
      expect(f(va, vb, 1)).toEqual(vb);
    }
    for (const f of [bezierVector, polychainVector]) {
      expect(f(va, vc, vb, 0)).toEqual(va);
      expect(f(va, vc, vb, 1)).toEqual(vb);
    }
    // A copy, not the same buffer: callers may mutate it.
    expect(lerpModels(a, b, 0).params['layers.0.weight']!.data).not.toBe(a.params['layers.0.weight']!.data);
  });

  it('slerp of two equal-norm tensors keeps the norm at every α', () => {
    const u = randomVector(500, 4);
    const v0 = randomVector(500, 5);
    const v = v0.map((x) => (x * norm(u)) / norm(v0));
    for (let i = 0; i <= 20; i++) {
      const alpha = i / 20;
      expect(Math.abs(norm(slerpVector(u, v, alpha)) / norm(u) - 1)).toBeLessThan(1e-5);
    }
    // Per tensor on models: rescale b's tensors to a's norms.
    const bb = slerpModels(a, a, 0.5);
    for (const name of Object.keys(bb.params)) {
      const t = b.params[name]!.data;
      const s = norm(a.params[name]!.data) / norm(t);
      bb.params[name] = { data: t.map((x) => x * s), shape: b.params[name]!.shape };
    }
    const mid = slerpModels(a, bb, 0.37);
    for (const name of Object.keys(mid.params)) {
      expect(Math.abs(norm(mid.params[name]!.data) / norm(a.params[name]!.data) - 1), name).toBeLessThan(
        1e-5,
      );
    }
  });

  it('slerp falls back to lerp for (nearly) parallel tensors and zero tensors', () => {
    const u = randomVector(50, 6);
    const v = u.map((x) => 2 * x);
    expect(slerpVector(u, v, 0.3)).toEqual(lerpVector(u, v, 0.3));
    const z = new Float32Array(50);
    expect(slerpVector(z, u, 0.3)).toEqual(lerpVector(z, u, 0.3));
  });

  it('lerp is the straight line; both curves through the midpoint are the straight line', () => {
    const mid = midpointModel(a, b);
    const [va, vb] = [modelVector(a), modelVector(b)];
    for (const t of [0.1, 0.5, 0.8]) {
      const line = modelVector(lerpModels(a, b, t));
      for (let i = 0; i < va.length; i += 7) expect(line[i]!).toBeCloseTo((1 - t) * va[i]! + t * vb[i]!, 6);
      for (const kind of ['bezier', 'polychain'] as const) {
        const cv = modelVector(curveModel(kind, a, mid, b, t));
        for (let i = 0; i < cv.length; i++) expect(Math.abs(cv[i]! - line[i]!)).toBeLessThan(1e-6);
      }
    }
    // Polychain passes through its control point at t = ½.
    const c = initModel(siren, 9);
    const p = modelVector(polychainModel(a, c, b, 0.5));
    expect(p).toEqual(modelVector(c));
  });

  it('refuses models of different architectures', () => {
    const other = initModel({ widths: [2, 8, 1], activation: 'sine' }, 1);
    expect(() => lerpModels(a, other, 0.5)).toThrow(ArchitectureMismatchError);
  });
});

describe('batched evaluation', () => {
  it('cross-entropy and accuracy equal a hand computation', async () => {
    // A single linear layer 2 → 3: logits = W x + b.
    const model: Model = {
      arch: { widths: [2, 3], activation: 'relu' },
      params: {
        'layers.0.weight': { data: Float32Array.from([1, 0, 0, 1, -1, -1]), shape: [3, 2] },
        'layers.0.bias': { data: Float32Array.from([0, 0.5, 0]), shape: [3] },
      },
    };
    const data: ClassificationData = {
      kind: 'classification',
      x: Float32Array.from([2, 0, 0, 1]),
      labels: Int32Array.from([0, 2]),
      n: 2,
      inputs: 2,
      classes: 3,
    };
    // Row 1: logits (2, 0.5, −2), label 0, predicted 0. Row 2: logits (0, 1.5, −1), label 2, predicted 1.
    const ce = (z: number[], y: number): number => Math.log(z.reduce((s, v) => s + Math.exp(v), 0)) - z[y]!;
    const expected = (ce([2, 0.5, -2], 0) + ce([0, 1.5, -1], 2)) / 2;
    const r = await evaluateModels([model], data);
    expect(r.loss[0]!).toBeCloseTo(expected, 5);
    expect(r.metric[0]!).toBe(0.5);
    const cpu = crossEntropyAccuracy(Float32Array.from([2, 0.5, -2, 0, 1.5, -1]), data.labels, 2, 3);
    expect(cpu.loss).toBeCloseTo(expected, 12);
    expect(cpu.accuracy).toBe(0.5);
  });

  it('a batched lerp path equals point-by-point CPU evaluation (regression and classification)', async () => {
    const cases: [Model, Model, RegressionData | ClassificationData][] = [
      [initModel(siren, 1), initModel(siren, 2), image(10)],
      [initModel(rff, 1), initModel(rff, 2), blobs(60, 3)],
    ];
    for (const [a, b, data] of cases) {
      const models = Array.from(alphaGrid(9), (t) => lerpModels(a, b, t));
      const got = await evaluateModels(models, data, { chunk: 4 });
      const ref = evaluateModelsCpu(models, data);
      for (let k = 0; k < models.length; k++) {
        expect(Math.abs(got.loss[k]! - ref.loss[k]!)).toBeLessThan(1e-5 * Math.max(1, ref.loss[k]!));
        expect(Math.abs(got.metric[k]! - ref.metric[k]!)).toBeLessThan(
          data.kind === 'regression' ? 1e-3 : 1e-6,
        );
      }
    }
  });

  it('chunking does not change the numbers', async () => {
    const models = [1, 2, 3, 4, 5, 6, 7].map((s) => initModel(siren, s));
    const data = image(8);
    const one = await evaluateModels(models, data, { chunk: 64 });
    const seen: number[] = [];
    const three = await evaluateModels(models, data, { chunk: 3, onProgress: (d) => seen.push(d) });
    expect(Array.from(three.loss)).toEqual(Array.from(one.loss));
    expect(seen).toEqual([3, 6, 7]);
  });

  it('does not leak tensors, also when aborted', async () => {
    const models = [1, 2, 3].map((s) => initModel(rff, s));
    const before = tf.memory().numTensors;
    await evaluateModels(models, blobs(20, 1), { chunk: 2 });
    await expect(pathCurve(models[0]!, models[1]!, image(6), { points: 5 })).rejects.toThrow(
      /3 outputs but the data has 1 channels/,
    );
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(evaluateModels(models, blobs(20, 1), { signal: ctrl.signal })).rejects.toThrow();
    await pathCurve(models[0]!, models[1]!, blobs(20, 2), { points: 7, method: 'slerp' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects labels outside the classes', async () => {
    const data = blobs(5, 1);
    data.labels[2] = 3;
    await expect(evaluateModels([initModel(rff, 1)], data)).rejects.toThrow(/outside \[0, 3\)/);
  });
});

describe('barrier', () => {
  it('a model’s path to itself has barrier 0 at every α (lerp, slerp; regression and classification)', async () => {
    const cases: [Model, RegressionData | ClassificationData][] = [
      [initModel(siren, 4), image(8)],
      [initModel(rff, 4), blobs(40, 2)],
    ];
    for (const [m, data] of cases) {
      for (const method of ['lerp', 'slerp'] as const) {
        const c = await pathCurve(m, m, data, { method, points: 11 });
        expect(c.alphas.length).toBe(11);
        for (const e of c.excess) expect(Math.abs(e)).toBeLessThan(1e-7);
        expect(Math.abs(c.barrier)).toBeLessThan(1e-7);
      }
    }
  });

  it('barrier is max over α of the loss above the chord, with the whole curve reported', async () => {
    const a = initModel(siren, 1);
    const b = initModel(siren, 2);
    const data = image(8);
    const c = await pathCurve(a, b, data, { points: 25 });
    const ref = evaluateModelsCpu([a, b], data);
    expect(c.losses[0]!).toBeCloseTo(ref.loss[0]!, 5);
    expect(c.losses[24]!).toBeCloseTo(ref.loss[1]!, 5);
    let best = -Infinity;
    c.alphas.forEach(
      (t, i) => (best = Math.max(best, c.losses[i]! - ((1 - t) * c.losses[0]! + t * c.losses[24]!))),
    );
    expect(c.barrier).toBeCloseTo(best, 6);
    expect(c.barrier).toBeGreaterThanOrEqual(0);
    // A generic path function gives the same curve.
    const g = await pathCurveOf((t) => lerpModels(a, b, t), data, { points: 25 });
    expect(Array.from(g.losses)).toEqual(Array.from(c.losses));
    // Curves need a control point.
    await expect(pathCurve(a, b, data, { method: 'bezier' })).rejects.toThrow(/control point/);
    const bz = await pathCurve(a, b, data, { method: 'bezier', control: midpointModel(a, b), points: 25 });
    for (let i = 0; i < 25; i++) expect(Math.abs(bz.losses[i]! - c.losses[i]!)).toBeLessThan(1e-5);
  });
});
