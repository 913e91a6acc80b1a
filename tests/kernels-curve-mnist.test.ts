/**
 * A classifier curve as the Paths tab trains it: the MNIST sample classifiers #1 and #2
 * (784 → 64 → 10, public/models) on the 1,000 class-balanced training digits the app trains
 * curves on (mnistTrainSample), on the fused kernel against the tfjs trainer, 20 Bezier steps
 * on the same t samples: the control point within 1e-4 relative; and the same 20 steps with the
 * t samples split over 2 worker threads (the digits on shared memory) bit for bit alike. tfjs runs on its wasm backend
 * here (its cpu backend takes about a minute for these 20 steps; both are the reference's ops).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { packMnist } from '../scripts/mnist';
import { enableRelaxedSimd, nodeShardPorts } from '../src/cli/kernel-pool';
import { loadModel } from '../src/cli/io';
import { initNodeBackend } from '../src/cli/tf-node';
import { classificationFor } from '../src/engine/data/dataset';
import { mnistTrainSample } from '../src/engine/data/mnist';
import { kernelCurveCoverage, trainCurveOnKernel } from '../src/engine/kernels/curve';
import { flattenModel, type Model } from '../src/engine/model';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { curveModel, midpointModel } from '../src/engine/paths/interpolate';
import { trainCurve } from '../src/engine/tf/curve';
import { worstRelative } from './kernel-compare';

enableRelaxedSimd();

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('the MNIST sample classifiers’ curve on the kernel', () => {
  it('matches the tfjs trainer after 20 Bezier steps, and lowers the loss at the curve’s middle', async () => {
    const a = loadModel('public/models/mnist-mlp-1.safetensors').model;
    const b = loadModel('public/models/mnist-mlp-2.safetensors').model;
    const data = classificationFor(mnistTrainSample(packMnist()), 'MNIST train sample', 784, 10);
    expect(data.n).toBe(1000);
    expect(kernelCurveCoverage(a, data)).toBeNull();
    const opts = { kind: 'bezier' as const, steps: 20, seed: 1 };
    const ref = await trainCurve(a, b, data, opts);
    const fused = await trainCurveOnKernel(a, b, data, opts);
    expect(fused.status).toBe('done');
    expect(worstRelative([fused.control], [ref.control])).toBeLessThan(1e-4);
    const lossDiff = Math.max(...fused.losses.map((l, i) => Math.abs(l - ref.losses[i]!)));
    expect(lossDiff / Math.max(...ref.losses)).toBeLessThan(1e-4);
    // Trained: the curve's middle classifies these digits better than the straight line's
    // middle, where the control point started (the midpoint of A and B).
    const middle = (control: Model): number =>
      evaluateModelsCpu([curveModel('bezier', a, control, b, 0.5)], data).loss[0]!;
    expect(middle(fused.control)).toBeLessThan(middle(midpointModel(a, b)));
    expect(fused.losses[19]).toBeLessThan(fused.losses[0]!);
    const pooled = await trainCurveOnKernel(a, b, data, { ...opts, ports: (m) => nodeShardPorts(m, 2) });
    expect([pooled.workers, pooled.sharedData]).toEqual([2, true]);
    expect(Array.from(pooled.losses)).toEqual(Array.from(fused.losses));
    expect(Array.from(flattenModel(pooled.control))).toEqual(Array.from(flattenModel(fused.control)));
  }, 180_000);
});
