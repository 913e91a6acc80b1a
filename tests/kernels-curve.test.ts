/**
 * Curve training on the fused kernel (src/engine/kernels/curve.ts) against the tfjs trainer
 * (src/engine/tf/curve.ts): the kernel's gradients-only entry equals tfjs's gradient (MSE and
 * softmax cross-entropy), a curve trained 20 steps on the same t samples ends at the same control
 * point (INRs and classifiers), and a curve between a converged model and itself stays at it.
 * The MNIST sample classifiers' curve: tests/kernels-curve-mnist.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import type { EvalData, RegressionData } from '../src/engine/data/eval-data';
import { coordinateGrid } from '../src/engine/inr';
import { kernelCurveCoverage, trainCurveOnKernel } from '../src/engine/kernels/curve';
import { fullBatchKernel } from '../src/engine/kernels/evaluate';
import type { KernelFlavour } from '../src/engine/kernels/mlp-kernel';
import { flattenModel, initModel, type MlpArch, type Model } from '../src/engine/model';
import { blobs } from './helpers/blobs';
import { evaluateModelsCpu } from '../src/engine/paths/evaluate-cpu';
import { curveModel } from '../src/engine/paths/interpolate';
import { trainCurve, type CurveTrainOptions, type CurveTrainResult } from '../src/engine/tf/curve';
import { disposeData, memberLoss, uploadData } from '../src/engine/tf/evaluate';
import { stackModels, unstackModels } from '../src/engine/tf/stack';
import { PopulationTrainer } from '../src/engine/tf/trainer';

enableRelaxedSimd();
const FLAVOURS: KernelFlavour[] = ['simd', 'relaxed'];

const siren: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
const reluFF: MlpArch = { widths: [2, 24, 17, 3], activation: 'relu', encoding: { features: 8, sigma: 4 } };

function image(h: number, w: number, channels: number): RegressionData {
  const x = coordinateGrid(h, w);
  const n = h * w;
  const y = new Float32Array(n * channels);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < channels; c++)
      y[p * channels + c] = 0.5 + 0.4 * Math.sin((3 + c) * x[2 * p]!) * Math.cos(2 * x[2 * p + 1]!);
  return { kind: 'regression', x, y, n, inputs: 2, channels };
}

/** max |a − b| over max |b|: the error relative to the vector's scale. */
function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

/**
 * Trains the curve on tfjs and on the kernel with the same options (20 steps), checks that they
 * end at the same control point with the same losses (1e-4 relative), returns the kernel's.
 */
async function trainedAlike(
  a: Model,
  b: Model,
  data: EvalData,
  opts: CurveTrainOptions & { steps: 20 },
): Promise<CurveTrainResult> {
  const ref = await trainCurve(a, b, data, opts);
  const fused = await trainCurveOnKernel(a, b, data, opts);
  expect(fused.steps).toBe(20);
  expect(fused.status).toBe('done');
  expect(relErr(flattenModel(fused.control), flattenModel(ref.control))).toBeLessThan(1e-4);
  expect(relErr(fused.losses, ref.losses)).toBeLessThan(1e-4);
  return fused;
}

/** tfjs's gradient of the model's loss (MSE, or mean cross-entropy), in flattenModel's order. */
async function tfjsGradient(model: Model, data: EvalData): Promise<Float32Array> {
  const p = stackModels([model]);
  const t = uploadData(data);
  const vars = [...p.weights, ...p.biases];
  const grads = tf.grads((...ps: tf.Tensor[]) =>
    tf.sum(
      memberLoss(
        model.arch,
        {
          weights: ps.slice(0, p.weights.length) as tf.Tensor3D[],
          biases: ps.slice(p.weights.length) as tf.Tensor3D[],
          encoding: p.encoding,
        },
        t,
      ),
    ),
  )(vars) as tf.Tensor3D[];
  const [g] = await unstackModels(model.arch, {
    weights: grads.slice(0, p.weights.length),
    biases: grads.slice(p.weights.length),
    encoding: null,
  });
  tf.dispose([...vars, ...grads, ...(p.encoding ? [p.encoding] : [])]);
  disposeData(t);
  // unstackModels leaves out the (untrained) Fourier matrix; flattenModel reads the weights only.
  return flattenModel({ ...g!, params: { ...model.params, ...g!.params } });
}

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('the kernel’s gradients-only entry', () => {
  for (const [name, arch, data] of [
    ['SIREN', siren, image(11, 9, 1)],
    ['ReLU + Fourier features', reluFF, image(7, 13, 3)],
    ['GELU classifier, cross-entropy', { widths: [5, 13, 7, 4], activation: 'gelu' }, blobs(83, 5, 4, 3)],
  ] as const satisfies readonly (readonly [string, MlpArch, EvalData])[]) {
    for (const flavour of FLAVOURS) {
      it(`equals tfjs’s gradient within 1e-4 (${name}, ${flavour}, K = 3)`, async () => {
        const models = [1, 2, 3].map((s) => initModel(arch, s));
        const kernel = fullBatchKernel(models, data, { lr: 0, gradients: true, flavour });
        const grads = kernel.gradients();
        expect(kernel.steps).toBe(0);
        for (const [k, m] of models.entries()) {
          const ref = await tfjsGradient(m, data);
          expect(relErr(grads[k]!, ref)).toBeLessThan(1e-4);
        }
        // No Adam step was taken: the weights are the ones given.
        expect(flattenModel(kernel.models()[1]!)).toEqual(flattenModel(models[1]!));
        // A range computes the same gradients as the whole population.
        expect(kernel.gradients(1, 3)[1]).toEqual(grads[2]);
      });
    }
  }
});

describe('curve training on the kernel', () => {
  let pair: [Model, Model];
  const data = image(12, 12, 1);

  beforeAll(async () => {
    const trainer = new PopulationTrainer([initModel(siren, 11), initModel(siren, 22)], data, { lr: 1e-3 });
    for (let i = 0; i < 300; i++) trainer.step();
    const m = await trainer.models();
    trainer.dispose();
    pair = [m[0]!, m[1]!];
  });

  for (const kind of ['bezier', 'polychain'] as const) {
    it(`matches tfjs after 20 steps on the same t samples (${kind})`, async () => {
      const [a, b] = pair;
      const fused = await trainedAlike(a, b, data, { kind, steps: 20, lr: 3e-3, seed: 4, batchT: 4 });
      // And it trains: the curve's middle beats the starting midpoint's.
      expect(fused.losses[19]).toBeLessThan(fused.losses[0]!);
    });
  }

  it('with Fourier features, matches tfjs (the encoding follows the endpoints’ line)', async () => {
    const d = image(7, 9, 3);
    const [a, b] = [initModel(reluFF, 5), initModel(reluFF, 6)];
    const opts = { steps: 20, lr: 1e-3, seed: 2, batchT: 3 };
    const ref = await trainCurve(a, b, d, opts);
    const fused = await trainCurveOnKernel(a, b, d, opts);
    expect(relErr(flattenModel(fused.control), flattenModel(ref.control))).toBeLessThan(1e-4);
  });

  it('between a converged model and itself, stays at it', async () => {
    const a = pair[0];
    const start = evaluateModelsCpu([a], data).loss[0]!;
    const r = await trainCurveOnKernel(a, a, data, { steps: 30, lr: 1e-4, seed: 1 });
    const control = flattenModel(r.control);
    expect(relErr(control, flattenModel(a))).toBeLessThan(1e-2);
    for (const t of [0.25, 0.5, 0.75]) {
      const loss = evaluateModelsCpu([curveModel('bezier', a, r.control, a, t)], data).loss[0]!;
      expect(loss).toBeLessThan(start + 1e-6);
    }
  });
});

describe('classifier curves on the kernel (full-batch softmax cross-entropy, as tfjs)', () => {
  const CASES: { name: string; arch: MlpArch; kind: 'bezier' | 'polychain'; batchT: number }[] = [
    {
      name: 'ReLU 6→12→7→4, Bezier, 3 t',
      arch: { widths: [6, 12, 7, 4], activation: 'relu' },
      kind: 'bezier',
      batchT: 3,
    },
    {
      name: 'tanh 6→11→4, polychain, 4 t',
      arch: { widths: [6, 11, 4], activation: 'tanh' },
      kind: 'polychain',
      batchT: 4,
    },
    {
      name: 'GELU 6→9→9→4, Bezier, 1 t',
      arch: { widths: [6, 9, 9, 4], activation: 'gelu' },
      kind: 'bezier',
      batchT: 1,
    },
  ];
  // 71 examples: the last 64-example tile is mostly padding, which the mask keeps out of the loss.
  const data = blobs(71, 6, 4, 5);

  it('covers classifiers, and says why not where the data does not fit', () => {
    const clf = initModel({ widths: [6, 8, 4], activation: 'relu' }, 1);
    expect(kernelCurveCoverage(clf, data)).toBeNull();
    expect(kernelCurveCoverage(clf, blobs(8, 6, 5, 1))).toMatch(/outputs/);
  });

  for (const { name, arch, kind, batchT } of CASES) {
    it(`matches tfjs after 20 steps on the same t samples (${name})`, async () => {
      const [a, b] = [initModel(arch, 7), initModel(arch, 8)];
      const fused = await trainedAlike(a, b, data, { kind, steps: 20, lr: 1e-2, seed: 6, batchT });
      // The loss is the mean cross-entropy in nats: near ln 4 for these untrained endpoints.
      expect(fused.losses[0]).toBeGreaterThan(0.5);
      expect(fused.losses[0]).toBeLessThan(3);
      expect(fused.losses[19]).toBeLessThan(fused.losses[0]!);
    });
  }
});
