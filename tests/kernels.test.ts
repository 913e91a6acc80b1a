/**
 * The fused MLP population kernel (src/engine/kernels) against the tfjs reference trainers: same
 * initial weights and data, 20 Adam steps, every weight within 1e-4 relative; its SIMD sin/cos/exp
 * against Math; its memory fixed over 1,000 steps; its committed binaries equal to the generator's.
 */
import { describe, expect, it } from 'vitest';
import { smoothTarget as target } from '../src/engine/kernels/agreement';
import {
  bestFlavour,
  MlpKernel,
  probeKernelMath,
  type KernelFlavour,
} from '../src/engine/kernels/mlp-kernel';
import { MLP_RELAXED_WASM_BASE64, MLP_SIMD_WASM_BASE64 } from '../src/engine/kernels/mlp-wasm';
import { mlpKernelWat } from '../src/engine/kernels/mlp-wat';
import { initModel, type MlpArch } from '../src/engine/model';
import { kernelTestSetup, worstRelative } from './kernel-compare';
import { createRng } from '../src/engine/rng';
import { BatchOrder } from '../src/engine/classifier/schedule';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { PopulationTrainer } from '../src/engine/tf/trainer';

const FLAVOURS = kernelTestSetup();
const flavour: KernelFlavour = bestFlavour()!;

const CASES: { name: string; arch: MlpArch; size: [number, number]; k: number; tile?: number }[] = [
  {
    name: 'SIREN 2→13→11→1, K=1',
    arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 },
    size: [13, 11],
    k: 1,
  },
  {
    name: 'SIREN 3×64, K=3, 3 channels',
    arch: { widths: [2, 64, 64, 64, 3], activation: 'sine', w0: 30 },
    size: [17, 15],
    k: 3,
  },
  {
    name: 'SIREN 2→9→7→1, K=32',
    arch: { widths: [2, 9, 7, 1], activation: 'sine', w0: 30 },
    size: [7, 5],
    k: 32,
  },
  {
    name: 'ReLU + Fourier features, K=3',
    arch: { widths: [2, 21, 10, 3], activation: 'relu', encoding: { features: 7, sigma: 10 } },
    size: [11, 9],
    k: 3,
    tile: 16,
  },
  {
    name: 'ReLU + Fourier features, K=32',
    arch: { widths: [2, 9, 1], activation: 'relu', encoding: { features: 5, sigma: 5 } },
    size: [5, 7],
    k: 32,
  },
  {
    name: 'tanh, offset, K=1',
    arch: { widths: [2, 6, 5, 2], activation: 'tanh', outputOffset: 0.5 },
    size: [9, 9],
    k: 1,
  },
  { name: 'GELU, K=3', arch: { widths: [2, 10, 3, 1], activation: 'gelu' }, size: [8, 9], k: 3, tile: 8 },
];

describe('fused kernel vs the tfjs PopulationTrainer (20 Adam steps)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const data = target(c.size[0], c.size[1], c.arch.widths.at(-1)!);
      const models = Array.from({ length: c.k }, (_, k) => initModel(c.arch, 100 + k));
      const ref = new PopulationTrainer(models, data, { lr: 1e-3 });
      const kernels = FLAVOURS.map(
        (fl) =>
          new MlpKernel(models, { kind: 'regression', ...data }, { lr: 1e-3, tile: c.tile, flavour: fl }),
      );
      try {
        const mse0 = await ref.evaluate();
        for (const kernel of kernels)
          kernel
            .evaluate()
            .forEach((v, k) => expect(Math.abs(v - mse0[k]!)).toBeLessThan(1e-6 * (1 + mse0[k]!)));
        for (let s = 0; s < 20; s++) {
          ref.step();
          for (const kernel of kernels) kernel.step();
        }
        const refModels = await ref.models();
        const predRef = await ref.predictions();
        for (const kernel of kernels) {
          expect(worstRelative(kernel.models(), refModels), kernel.flavour).toBeLessThan(1e-4);
          // Training did something: the loss fell for every member.
          kernel.evaluate().forEach((v, k) => expect(v).toBeLessThan(mse0[k]!));
          const pred = kernel.predictions();
          expect(pred.length).toBe(predRef.length);
          pred.forEach((v, i) => expect(Math.abs(v - predRef[i]!)).toBeLessThan(1e-4));
        }
      } finally {
        ref.dispose();
      }
    });
  }
});

describe('fused kernel vs ClassifierTrainer (softmax cross-entropy, mini-batches)', () => {
  for (const activation of ['relu', 'gelu', 'tanh'] as const) {
    it(`${activation} 5→12→7→3, K=3, batch 13`, async () => {
      const arch: MlpArch = { widths: [5, 12, 7, 3], activation };
      const n = 52;
      const rng = createRng(9);
      const x = Float32Array.from({ length: n * 5 }, () => rng.normal());
      const labels = Int32Array.from(
        { length: n },
        (_, i) => (x[5 * i]! > 0 ? 1 : 0) + (x[5 * i + 1]! > 0.5 ? 1 : 0),
      );
      const data = { kind: 'classification' as const, x, labels, n, inputs: 5, classes: 3 };
      const models = [0, 1, 2].map((s) => initModel(arch, 40 + s));
      const batchSeeds = [7, 8, 9];
      const opts = {
        epochs: 5,
        batch: 13,
        optimizer: 'adam' as const,
        lr: 1e-2,
        momentum: 0,
        weightDecay: 0,
      };
      const ref = new ClassifierTrainer(models, data, { ...opts, schedule: 'constant', batchSeeds });
      for (let s = 0; s < 20; s++) ref.step();
      const refModels = await ref.models();
      ref.dispose();
      // Each member walks its own batch order; here each gets a kernel of its own (K = 1) fed by
      // setBatch, the shared-batch API (tests/kernels-classifier.test.ts covers per-member batches).
      const bx = new Float32Array(13 * 5);
      const by = new Int32Array(13);
      for (const [k, model] of models.entries()) {
        const kernel = new MlpKernel(
          [model],
          { kind: 'classification', inputs: 5, classes: 3, batch: 13 },
          { lr: opts.lr, flavour },
        );
        const order = new BatchOrder(n, 13, batchSeeds[k]!);
        for (let s = 0; s < 20; s++) {
          const rows = order.indices(Math.floor(s / 4), s % 4);
          rows.forEach((i, b) => {
            bx.set(x.subarray(5 * i, 5 * i + 5), 5 * b);
            by[b] = labels[i]!;
          });
          kernel.setBatch(bx, by);
          kernel.step();
        }
        expect(worstRelative(kernel.models(), [refModels[k]!])).toBeLessThan(1e-4);
      }
    });
  }
});

describe('fused kernel resources and math', () => {
  it('keeps its memory fixed over 1,000 steps', () => {
    const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
    const data = target(9, 9, 1);
    const kernel = new MlpKernel(
      [initModel(arch, 1), initModel(arch, 2)],
      { kind: 'regression', ...data },
      { lr: 1e-4 },
    );
    const bytes = kernel.byteLength;
    const before = kernel.evaluate();
    for (let s = 0; s < 1000; s++) kernel.step();
    expect(kernel.byteLength).toBe(bytes);
    expect(kernel.steps).toBe(1000);
    kernel.evaluate().forEach((v, k) => expect(v).toBeLessThan(before[k]! / 2));
  });

  it('sin and cos to 1e-6 absolute and exp to 1e-6 relative over the ranges training sees', () => {
    // SIREN's first layer reaches |w0·z| ≈ 50, Fourier features 2π·σ·|x| in the hundreds.
    const xs = Float32Array.from({ length: 40000 }, (_, i) => (i - 20000) * 0.0123);
    for (const fl of FLAVOURS) {
      const r = probeKernelMath(xs, fl);
      let sinErr = 0;
      let cosErr = 0;
      let expErr = 0;
      for (let i = 0; i < xs.length; i++) {
        sinErr = Math.max(sinErr, Math.abs(r.sin[i]! - Math.sin(xs[i]!)));
        cosErr = Math.max(cosErr, Math.abs(r.cos[i]! - Math.cos(xs[i]!)));
        if (Math.abs(xs[i]!) < 80) expErr = Math.max(expErr, Math.abs(r.exp[i]! / Math.exp(xs[i]!) - 1));
      }
      expect(sinErr).toBeLessThan(1e-6);
      expect(cosErr).toBeLessThan(1e-6);
      expect(expErr).toBeLessThan(1e-6);
    }
  });

  it('the committed binaries are the ones mlp-wat.ts generates (npm run wasm)', async () => {
    const wabt = await (await import('wabt')).default();
    const build = (relaxed: boolean): string => {
      const text = mlpKernelWat(relaxed ? 'relaxed' : 'simd');
      const mod = wabt.parseWat('mlp.wat', text, { simd: true, relaxed_simd: relaxed, bulk_memory: true });
      const { buffer } = mod.toBinary({});
      mod.destroy();
      return Buffer.from(buffer).toString('base64');
    };
    expect(build(false)).toBe(MLP_SIMD_WASM_BASE64);
    expect(build(true)).toBe(MLP_RELAXED_WASM_BASE64);
  });
});
