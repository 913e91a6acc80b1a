import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { pathCurve } from '../src/engine/paths/barrier';
import { trainCurve } from '../src/engine/tf/curve';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import type { RegressionData } from '../src/engine/data/eval-data';
import { curveModel, lerpModels, midpointModel } from '../src/engine/paths/interpolate';
import { modelVector } from '../src/engine/paths/vector';
import { PopulationTrainer } from '../src/engine/tf/trainer';

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };

function image(size: number): RegressionData {
  const x = coordinateGrid(size, size);
  const y = new Float32Array(size * size);
  for (let i = 0; i < size * size; i++)
    y[i] = 0.5 + 0.4 * Math.sin(3 * x[2 * i]!) * Math.cos(2 * x[2 * i + 1]!);
  return { kind: 'regression', x, y, n: size * size, inputs: 2, channels: 1 };
}

async function trainPair(arch: MlpArch, data: RegressionData, steps: number): Promise<[Model, Model]> {
  const trainer = new PopulationTrainer([initModel(arch, 11), initModel(arch, 22)], data, { lr: 1e-3 });
  for (let i = 0; i < steps; i++) trainer.step();
  const models = await trainer.models();
  trainer.dispose();
  return [models[0]!, models[1]!];
}

const finite = (m: Model): boolean => modelVector(m).every(Number.isFinite);

let data: RegressionData;
let pair: [Model, Model];

beforeAll(async () => {
  await initNodeBackend('cpu');
  data = image(12);
  pair = await trainPair(siren, data, 300);
});

describe('curve training (Garipov et al. 2018)', () => {
  it('lowers the mid-path loss below the straight line’s, for Bezier and polychain', async () => {
    const [a, b] = pair;
    const line = evaluateModelsCpu([lerpModels(a, b, 0.5)], data).loss[0]!;
    for (const kind of ['bezier', 'polychain'] as const) {
      const before = tf.memory().numTensors;
      const seen: number[] = [];
      const r = await trainCurve(a, b, data, {
        kind,
        steps: 150,
        lr: 3e-3,
        seed: 1,
        onProgress: (s) => void seen.push(s),
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.status).toBe('done');
      expect(r.diverged).toBe(false);
      expect(r.steps).toBe(150);
      expect(seen.length).toBe(150);
      const mid = evaluateModelsCpu([curveModel(kind, a, r.control, b, 0.5)], data).loss[0]!;
      expect(mid).toBeLessThan(0.5 * line);
      // The whole curve, evaluated batched, stays below the straight line's barrier.
      const straight = await pathCurve(a, b, data, { points: 9 });
      const curved = await pathCurve(a, b, data, { points: 9, method: kind, control: r.control });
      expect(curved.barrier).toBeLessThan(straight.barrier);
      expect(curved.losses[0]).toBe(straight.losses[0]);
      expect(curved.losses[8]).toBe(straight.losses[8]);
    }
  });

  it('the same seed replays the same control point', async () => {
    const [a, b] = pair;
    const r1 = await trainCurve(a, b, data, { steps: 5, seed: 3 });
    const r2 = await trainCurve(a, b, data, { steps: 5, seed: 3 });
    expect(modelVector(r1.control)).toEqual(modelVector(r2.control));
    const r0 = await trainCurve(a, b, data, { steps: 0 });
    expect(modelVector(r0.control)).toEqual(modelVector(midpointModel(a, b)));
  });

  it('stacked and per-t layouts take the same steps', async () => {
    const [a, b] = pair;
    const s = await trainCurve(a, b, data, { steps: 4, seed: 8, layout: 'stacked' });
    const p = await trainCurve(a, b, data, { steps: 4, seed: 8, layout: 'per-t' });
    for (let i = 0; i < 4; i++)
      expect(Math.abs(s.losses[i]! - p.losses[i]!)).toBeLessThan(1e-6 * Math.max(1, s.losses[i]!));
    const vs = modelVector(s.control);
    const vp = modelVector(p.control);
    for (let i = 0; i < vs.length; i++) expect(Math.abs(vs[i]! - vp[i]!)).toBeLessThan(1e-5);
  });

  it('a cancel (the signal aborts) rejects: no partial curve is returned as if trained', async () => {
    const [a, b] = pair;
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const steps: number[] = [];
    await expect(
      trainCurve(a, b, data, {
        steps: 50,
        signal: ctrl.signal,
        onProgress: (s) => {
          steps.push(s);
          if (s === 4) ctrl.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on a NaN/Inf loss (huge lr) stops, reports the step and keeps the last good control point', async () => {
    const d = image(8);
    // SIREN at lr 1e15: the first update gives a huge but finite loss, the second overflows.
    const [a, b] = [initModel(siren, 1), initModel(siren, 2)];
    const before = tf.memory().numTensors;
    const r = await trainCurve(a, b, d, { steps: 200, lr: 1e15, seed: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.diverged).toBe(true);
    expect(r.status).toBe('diverged');
    expect(r.divergedAt).toBeGreaterThanOrEqual(2); // so at least one kept update is checked
    expect(Number.isFinite(r.losses[r.losses.length - 1]!)).toBe(false);
    expect(finite(r.control)).toBe(true);
    // "Last good" = the control point after divergedAt − 1 updates, which a shorter run reproduces.
    const short = await trainCurve(a, b, d, { steps: r.divergedAt! - 1, lr: 1e15, seed: 5 });
    expect(short.diverged).toBe(false);
    expect(r.steps).toBe(r.divergedAt! - 1);
    expect(modelVector(r.control)).toEqual(modelVector(short.control));
  });

  it('a poisoned endpoint diverges at step 0 and keeps the starting control point', async () => {
    const [a, b] = pair;
    const bad: Model = { arch: b.arch, params: { ...b.params } };
    const w = new Float32Array(b.params['layers.2.weight']!.data);
    w[0] = 1e30;
    bad.params['layers.2.weight'] = { data: w, shape: b.params['layers.2.weight']!.shape };
    const before = tf.memory().numTensors;
    const r = await trainCurve(a, bad, data, { steps: 20 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ diverged: true, divergedAt: 0, steps: 0, status: 'diverged' });
    expect(modelVector(r.control)).toEqual(modelVector(midpointModel(a, bad)));
  });
});
