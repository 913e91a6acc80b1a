/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel against the tfjs reference trainer, on any GPUDevice: the same
 * initial weights and data, `steps` Adam steps on both, then the worst relative weight difference
 * per case. Shared by the browser test (e2e/wgsl.e2e.ts imports it into the page, on SwiftShader)
 * and the GPU script (scripts/gpu-bench.ts, in Node on a real adapter).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { coordinateGrid } from '../src/engine/inr';
import type { RegressionData } from '../src/engine/data/eval-data';
import { WgslKernel } from '../src/engine/kernels/wgsl/wgsl-kernel';
import { initModel, paramShapes, type MlpArch, type Model } from '../src/engine/model';
import { PopulationTrainer } from '../src/engine/tf/trainer';

export interface AgreementCase {
  name: string;
  arch: MlpArch;
  /** Image height, width (odd sizes leave a partial chunk). */
  size: [number, number];
  k: number;
  /** Forced tiles per member (several chunks per tile). */
  tiles?: number;
}

export interface AgreementRow {
  name: string;
  /** Largest |a − b| / max|b| over each tensor of each member. */
  worstRelative: number;
  /** Largest |a − b| of the per-member MSE after the steps, relative to the reference's. */
  mseRelative: number;
  dispatchesPerStep: number;
  tiles: number;
  workgroup: number;
}

/** A smooth target on a height×width grid with the last width's channels. */
export function smoothTarget(height: number, width: number, channels: number): RegressionData {
  const x = coordinateGrid(height, width);
  const n = height * width;
  const y = new Float32Array(n * channels);
  for (let p = 0; p < n; p++)
    for (let c = 0; c < channels; c++)
      y[p * channels + c] = 0.5 + 0.4 * Math.sin(3 * x[2 * p]! + c) * Math.cos(2 * x[2 * p + 1]! - c);
  return { kind: 'regression', x, y, n, inputs: 2, channels };
}

/**
 * Worst |a − b| / max|b| per tensor: relative to the tensor's scale, because Adam normalises each
 * coordinate's step, so a weight whose gradient is near zero can move by a rounding-sized amount
 * that is large against its own tiny value.
 */
export function worstRelative(a: readonly Model[], b: readonly Model[]): number {
  let worst = 0;
  a.forEach((m, k) => {
    for (const { name } of paramShapes(m.arch)) {
      const fa = m.params[name]!.data;
      const fb = b[k]!.params[name]!.data;
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < fa.length; i++) {
        scale = Math.max(scale, Math.abs(fb[i]!));
        diff = Math.max(diff, Math.abs(fa[i]! - fb[i]!));
      }
      worst = Math.max(worst, diff / scale);
    }
  });
  return worst;
}

/** Runs every case on the kernel and on tfjs's cpu backend (the reference). */
export async function runAgreement(
  device: GPUDevice,
  cases: readonly AgreementCase[],
  steps = 20,
  lr = 1e-3,
): Promise<AgreementRow[]> {
  await tf.setBackend('cpu');
  const rows: AgreementRow[] = [];
  for (const c of cases) {
    const channels = c.arch.widths[c.arch.widths.length - 1]!;
    const data = smoothTarget(c.size[0], c.size[1], channels);
    const inits = Array.from({ length: c.k }, (_, j) => initModel(c.arch, 100 + j));
    const kernel = await WgslKernel.create(device, inits, data, { lr, tiles: c.tiles });
    const ref = new PopulationTrainer(inits, data, { lr });
    try {
      for (let s = 0; s < steps; s++) {
        kernel.step();
        ref.step();
      }
      const [mine, theirs, mseA, mseB] = [
        await kernel.models(),
        await ref.models(),
        await kernel.evaluate(),
        await ref.evaluate(),
      ];
      let mseRelative = 0;
      mseA.forEach((v, j) => (mseRelative = Math.max(mseRelative, Math.abs(v - mseB[j]!) / mseB[j]!)));
      rows.push({
        name: c.name,
        worstRelative: worstRelative(mine, theirs),
        mseRelative,
        dispatchesPerStep: kernel.dispatchesPerStep,
        tiles: kernel.plan.tiles,
        workgroup: kernel.plan.s,
      });
    } finally {
      kernel.dispose();
      ref.dispose();
    }
  }
  return rows;
}

/** The cases the browser test and the GPU script check (small: SwiftShader runs them in seconds). */
export const AGREEMENT_CASES: AgreementCase[] = [
  { name: 'SIREN 2→13→11→1, K=1, 13×11', arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 }, size: [13, 11], k: 1 },
  {
    name: 'SIREN 2→17→9→3, K=3, 15×11, 2 tiles of 2 chunks',
    arch: { widths: [2, 17, 9, 3], activation: 'sine', w0: 30 },
    size: [15, 11],
    k: 3,
    tiles: 2,
  },
  {
    name: 'SIREN 2→64→33→1, K=1, 9×9 (32-thread workgroups)',
    arch: { widths: [2, 64, 33, 1], activation: 'sine', w0: 30 },
    size: [9, 9],
    k: 1,
  },
  {
    name: 'ReLU+FF(5) 2→10→13→1 +0.5, K=1, 11×9',
    arch: { widths: [2, 13, 1], activation: 'relu', encoding: { features: 5, sigma: 2 }, outputOffset: 0.5 },
    size: [11, 9],
    k: 1,
  },
  {
    name: 'ReLU+FF(7) 2→14→15→7→2, K=3, 13×5',
    arch: { widths: [2, 15, 7, 2], activation: 'relu', encoding: { features: 7, sigma: 3 } },
    size: [13, 5],
    k: 3,
  },
];
