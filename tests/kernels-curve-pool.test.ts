/**
 * Curve training with a step's t samples split over shards (src/engine/kernels/curve.ts): 1, 2
 * and 4 shards step the control point bit for bit alike (the coordinator sums the members'
 * gradients in member order whatever the split), on worker threads too, where the data reaches
 * every thread on one SharedArrayBuffer; without SharedArrayBuffer it is copied and the curve is
 * the same. A cancel rejects even while a shard is mid-step, and every shard is closed.
 * Agreement with tfjs: tests/kernels-curve.test.ts (single shard), and here for 4 threads.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { enableRelaxedSimd, nodeShardPorts } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import type { EvalData, RegressionData } from '../src/engine/data/eval-data';
import { coordinateGrid } from '../src/engine/inr';
import { trainCurveOnKernel, type KernelCurveResult } from '../src/engine/kernels/curve';
import { inlinePort, type ShardPort } from '../src/engine/kernels/pool';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { blobs } from './helpers/blobs';
import { trainCurve } from '../src/engine/tf/curve';
import { worstRelative } from './kernel-compare';

enableRelaxedSimd();

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
const reluFF: MlpArch = { widths: [2, 12, 9, 3], activation: 'relu', encoding: { features: 6, sigma: 3 } };
const gelu: MlpArch = { widths: [6, 13, 7, 4], activation: 'gelu' };

function image(h: number, w: number, channels: number): RegressionData {
  const x = coordinateGrid(h, w);
  const n = h * w;
  const y = Float32Array.from({ length: n * channels }, (_, i) => 0.5 + 0.4 * Math.sin(0.7 * i));
  return { kind: 'regression', x, y, n, inputs: 2, channels };
}

const inline = (n: number) => (members: number) => Array.from({ length: Math.min(n, members) }, inlinePort);

/** The control point and per-step losses, as plain arrays for exact comparison. */
const numbers = (r: KernelCurveResult) => ({
  control: Array.from(flattenModel(r.control)),
  losses: Array.from(r.losses),
  steps: r.steps,
});

beforeAll(async () => {
  await initNodeBackend('cpu');
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('curve training split over shards', () => {
  const CASES: [string, MlpArch, EvalData, 'bezier' | 'polychain', number][] = [
    ['SIREN, Bezier, 4 t', siren, image(9, 11, 1), 'bezier', 4],
    ['ReLU + Fourier features, polychain, 3 t', reluFF, image(7, 5, 3), 'polychain', 3],
    ['GELU classifier, Bezier, 5 t', gelu, blobs(71, 6, 4, 5), 'bezier', 5],
  ];
  for (const [name, arch, data, kind, batchT] of CASES) {
    it(`1, 2 and 4 shards give bit-identical curves (${name})`, async () => {
      const [a, b] = [initModel(arch, 3), initModel(arch, 4)];
      const opts = { kind, steps: 12, lr: 3e-3, seed: 5, batchT };
      const single = await trainCurveOnKernel(a, b, data, opts);
      expect(single.workers).toBe(1);
      expect(single.steps).toBe(12);
      for (const shards of [2, 4]) {
        const pooled = await trainCurveOnKernel(a, b, data, { ...opts, ports: inline(shards) });
        expect(pooled.workers).toBe(Math.min(shards, batchT));
        expect(numbers(pooled)).toEqual(numbers(single));
      }
    });
  }

  it('on 4 worker threads: the same curve, the data on shared memory, within 1e-4 of tfjs', async () => {
    const data = image(12, 12, 1);
    const [a, b] = [initModel(siren, 11), initModel(siren, 12)];
    const opts = { steps: 20, lr: 3e-3, seed: 2, batchT: 4 };
    const single = await trainCurveOnKernel(a, b, data, opts);
    expect(single.sharedData).toBe(false);
    const threads = await trainCurveOnKernel(a, b, data, { ...opts, ports: (m) => nodeShardPorts(m, 4) });
    expect(threads.workers).toBe(4);
    // Each thread said its data arrived as a view of a SharedArrayBuffer.
    expect(threads.sharedData).toBe(true);
    expect(numbers(threads)).toEqual(numbers(single));
    const ref = await trainCurve(a, b, data, opts);
    expect(worstRelative([threads.control], [ref.control])).toBeLessThan(1e-4);
  });

  it('without SharedArrayBuffer the threads get copies and train the same curve', async () => {
    const data = blobs(90, 6, 4, 8);
    const [a, b] = [initModel(gelu, 21), initModel(gelu, 22)];
    const opts = { steps: 10, lr: 1e-2, seed: 3, batchT: 4, ports: (m: number) => nodeShardPorts(m, 2) };
    const shared = await trainCurveOnKernel(a, b, data, opts);
    expect(shared.sharedData).toBe(true);
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const copied = await trainCurveOnKernel(a, b, data, opts);
    expect(copied.workers).toBe(2);
    expect(copied.sharedData).toBe(false);
    expect(numbers(copied)).toEqual(numbers(shared));
  });
});

describe('cancelling a pooled curve', () => {
  const data = image(8, 8, 1);
  const [a, b] = [initModel(siren, 1), initModel(siren, 2)];

  /** Ports that record their closing; shard `hang` never answers a step once `hung()` says so. */
  function watched(n: number, hung: () => boolean, hang = 1) {
    const closed: number[] = [];
    const ports = (members: number): ShardPort[] =>
      inline(n)(members).map((p, i) => ({
        request: (req) =>
          req.type === 'curveGrads' && i === hang && hung() ? new Promise(() => {}) : p.request(req),
        close: () => (closed.push(i), p.close()),
      }));
    return { ports, closed };
  }

  it('between steps: rejects with the reason, returns nothing, closes every shard', async () => {
    const ctl = new AbortController();
    const { ports, closed } = watched(2, () => false);
    let last = 0;
    await expect(
      trainCurveOnKernel(a, b, data, {
        steps: 100,
        signal: ctl.signal,
        ports,
        onProgress: (step) => {
          last = step;
          if (step === 3) ctl.abort(new Error('cancelled at step 3'));
        },
      }),
    ).rejects.toThrow(/cancelled at step 3/);
    expect(last).toBe(3);
    expect(closed.sort()).toEqual([0, 1]);
  });

  it('mid-step, while a shard is still working: rejects at once and closes every shard', async () => {
    const ctl = new AbortController();
    let stuck = false;
    const { ports, closed } = watched(4, () => stuck, 2);
    const run = trainCurveOnKernel(a, b, data, {
      steps: 50,
      signal: ctl.signal,
      ports,
      onProgress: (step) => {
        // From step 5 on, shard 2 never answers; the cancel must not wait for it.
        if (step === 4) {
          stuck = true;
          setTimeout(() => ctl.abort(new Error('cancelled mid-step')), 20);
        }
      },
    });
    await expect(run).rejects.toThrow(/cancelled mid-step/);
    expect(closed.sort()).toEqual([0, 1, 2, 3]);
  });
});
