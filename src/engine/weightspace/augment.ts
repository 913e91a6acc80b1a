/**
 * Per-batch weight-space augmentations on flat rows (Shamsian et al. 2023, "Data Augmentations
 * in Deep Weight Spaces"; 2024, "Improved Generalization of Weight Space Networks via
 * Augmentations"). Labels become soft targets so MixUp can mix them.
 */
import type { MlpArch } from '../model';
import type { Rng } from '../rng';
import { isSine, rowLayout } from './layout';
import { applySymmetry, randomBiasShift, randomSigns, randomSymmetry } from './symmetry';
import type { WsAugment } from './types';

/** A batch: rows [B, D] and soft targets [B, classes]. */
export interface WsBatch {
  rows: Float32Array[];
  targets: Float32Array[];
}

/** Relative noise level and dropout rate. */
const NOISE = 0.05;
const DROPOUT = 0.05;

function rms(row: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += row[i]! ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

function addNoise(row: Float32Array, arch: MlpArch, rng: Rng): Float32Array {
  const out = new Float32Array(row);
  for (const s of rowLayout(arch)) {
    for (const [from, to] of [
      [s.w, s.b],
      [s.b, s.b + s.out],
    ] as const) {
      const sd = NOISE * rms(row, from, to);
      for (let i = from; i < to; i++) out[i] = out[i]! + sd * rng.normal();
    }
  }
  return out;
}

function dropout(row: Float32Array, rng: Rng): Float32Array {
  const out = new Float32Array(row);
  for (let i = 0; i < out.length; i++) if (rng.next() < DROPOUT) out[i] = 0;
  return out;
}

/**
 * Applies the augmentations to a batch. Per-member ones first (each its own draw), then MixUp,
 * which pairs every member with a random other and mixes rows and targets with λ ~ U(0, 1).
 * `aligned` holds the batch's rows aligned to the reference (for `mixup-aligned`).
 * `permute`: the mlp-augmented method's random hidden permutation (+ signs for SIREN).
 */
export function augmentBatch(
  batch: WsBatch,
  arch: MlpArch,
  augs: readonly WsAugment[],
  rng: Rng,
  opts: { permute?: boolean; aligned?: Float32Array[] } = {},
): WsBatch {
  const sine = isSine(arch);
  let rows = batch.rows.map((r) => {
    let x = r;
    if (opts.permute) x = applySymmetry(x, arch, randomSymmetry(arch, rng, sine));
    if (sine && augs.includes('negation')) x = applySymmetry(x, arch, randomSigns(arch, rng));
    if (sine && augs.includes('bias')) x = randomBiasShift(x, arch, rng);
    if (augs.includes('noise')) x = addNoise(x, arch, rng);
    if (augs.includes('dropout')) x = dropout(x, rng);
    return x;
  });
  let targets = batch.targets;
  const mixAligned = augs.includes('mixup-aligned') && opts.aligned;
  if (augs.includes('mixup') || mixAligned) {
    const src = mixAligned ? opts.aligned! : rows;
    const n = rows.length;
    const mixed: Float32Array[] = [];
    const mixedT: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      const lam = rng.next();
      const a = src[i]!;
      const b = src[j]!;
      const r = new Float32Array(a.length);
      for (let d = 0; d < a.length; d++) r[d] = lam * a[d]! + (1 - lam) * b[d]!;
      const t = new Float32Array(targets[i]!.length);
      for (let c = 0; c < t.length; c++) t[c] = lam * targets[i]![c]! + (1 - lam) * targets[j]![c]!;
      mixed.push(r);
      mixedT.push(t);
    }
    rows = mixed;
    targets = mixedT;
  }
  return { rows, targets };
}
