/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel against the tfjs reference trainer, on any GPUDevice: the same
 * initial weights and data, `steps` Adam steps on both, then the worst relative weight difference
 * per case. Shared by the browser test (e2e/wgsl.e2e.ts imports it into the page, on SwiftShader)
 * and the GPU script (scripts/gpu-bench.ts, in Node on a real adapter).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WgslKernel } from '../src/engine/kernels/wgsl/wgsl-kernel';
import { smoothTarget, worstRelative } from '../src/engine/kernels/agreement';
import { initModel, type MlpArch } from '../src/engine/model';
import { PopulationTrainer } from '../src/engine/tf/trainer';

export { smoothTarget, worstRelative };

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
  {
    name: 'SIREN 2→13→11→1, K=1, 13×11',
    arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 },
    size: [13, 11],
    k: 1,
  },
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
    name: 'ReLU 2→9→1 (no features, one hidden layer), K=2, 7×7',
    arch: { widths: [2, 9, 1], activation: 'relu' },
    size: [7, 7],
    k: 2,
  },
  {
    name: 'ReLU+FF(7) 2→14→15→7→2, K=3, 13×5',
    arch: { widths: [2, 15, 7, 2], activation: 'relu', encoding: { features: 7, sigma: 3 } },
    size: [13, 5],
    k: 3,
  },
];
