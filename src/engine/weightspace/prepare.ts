/**
 * What each method does to a member's row before its network sees it, and the input scaling
 * fitted on the training members. Everything here is part of the method: the invariance check
 * runs raw rows through it, so `mlp-aligned` is judged with its alignment and `np` with its sign
 * canonicalisation.
 */
import { weightMatching } from '../align/weightMatching';
import { flattenModel, unflattenModel, type MlpArch } from '../model';
import { isSine, rowLayout } from './layout';
import { canonicalSigns } from './symmetry';
import type { WsMethod } from './types';

/** Aligns a row to the reference row by weight matching (signed for SIREN; Git Re-Basin Alg. 1). */
export function alignRow(row: Float32Array, ref: Float32Array, arch: MlpArch, seed: number): Float32Array {
  const asModel = (r: Float32Array) => unflattenModel({ arch, params: {} }, r);
  return flattenModel(weightMatching(asModel(ref), asModel(row), { seed, probePoints: 32 }).model);
}

/** The per-row step of a method that runs before scaling: alignment (`mlp-aligned`), canonical signs (`np`, SIREN). */
export function methodRow(
  method: WsMethod,
  row: Float32Array,
  arch: MlpArch,
  ref: Float32Array,
  seed: number,
): Float32Array {
  if (method === 'mlp-aligned') return alignRow(row, ref, arch, seed);
  if (method === 'np' && isSine(arch)) return canonicalSigns(row, arch);
  return row;
}

/** x' = (x − shift) · scale per coordinate. */
export interface InputScaling {
  shift: Float32Array;
  scale: Float32Array;
}

/**
 * The MLPs standardise every coordinate (mean 0, variance 1 over the training rows). `np` must
 * stay permutation equivariant, so it only divides each layer's weights (and, separately, biases)
 * by their RMS over the training rows: one scalar per block.
 */
export function fitScaling(method: WsMethod, rows: readonly Float32Array[], arch: MlpArch): InputScaling {
  const D = rows[0]!.length;
  const shift = new Float32Array(D);
  const scale = new Float32Array(D);
  if (method === 'np') {
    for (const s of rowLayout(arch)) {
      for (const [from, to] of [
        [s.w, s.b],
        [s.b, s.b + s.out],
      ] as const) {
        let ss = 0;
        for (const r of rows) for (let i = from; i < to; i++) ss += r[i]! ** 2;
        const rmsv = Math.sqrt(ss / (rows.length * (to - from)));
        scale.fill(rmsv > 1e-12 ? 1 / rmsv : 1, from, to);
      }
    }
    return { shift, scale };
  }
  for (let d = 0; d < D; d++) {
    let s = 0;
    for (const r of rows) s += r[d]!;
    const mean = s / rows.length;
    let v = 0;
    for (const r of rows) v += (r[d]! - mean) ** 2;
    const sd = Math.sqrt(v / rows.length);
    shift[d] = mean;
    scale[d] = sd > 1e-8 ? 1 / sd : 1;
  }
  return { shift, scale };
}

/** Applies the scaling into a [rows, D] matrix for the network. */
export function scaleRows(rows: readonly Float32Array[], s: InputScaling): Float32Array {
  const D = s.shift.length;
  const out = new Float32Array(rows.length * D);
  rows.forEach((r, i) => {
    for (let d = 0; d < D; d++) out[i * D + d] = (r[d]! - s.shift[d]!) * s.scale[d]!;
  });
  return out;
}
