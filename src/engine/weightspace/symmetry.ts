/**
 * The symmetries of an MLP's weight space, applied to flat rows (see layout.ts). For hidden layer
 * l with permutation π and signs s, unit i of the result is unit π(i) of the input times s_i:
 * row i of W_l and entry i of b_l, and column i of W_{l+1} (Git Re-Basin's spec, permspec.ts).
 * Signs are a symmetry only for odd activations (SIREN); for sine there is also the bias shift
 * b_i += kπ/w₀ with column i of W_{l+1} times (−1)^k, because sin(w₀z + kπ) = (−1)^k sin(w₀z)
 * (Shamsian et al. 2023, "Data Augmentations in Deep Weight Spaces", Sec. 4).
 */
import { sirenW0, type MlpArch } from '../model';
import { randomPermutation, type Rng } from '../rng';
import { rowLayout, type LayerSlot } from './layout';

/** A permutation (and optional signs) per hidden layer. */
export interface HiddenSymmetry {
  perms: Int32Array[];
  signs: Float32Array[] | null;
}

/** Applies a hidden symmetry to a row, writing a new row. */
export function applySymmetry(row: Float32Array, arch: MlpArch, sym: HiddenSymmetry): Float32Array {
  const slots = rowLayout(arch);
  const out = new Float32Array(row);
  for (let l = 0; l + 1 < slots.length; l++) {
    const a = slots[l]!;
    const b = slots[l + 1]!;
    const p = sym.perms[l]!;
    const s = sym.signs?.[l];
    // Read from `out`, which already holds the previous layer's column permutation.
    const w = out.slice(a.w, a.b + a.out);
    for (let i = 0; i < a.out; i++) {
      const src = p[i]!;
      const sg = s ? s[i]! : 1;
      for (let k = 0; k < a.inp; k++) out[a.w + i * a.inp + k] = sg * w[src * a.inp + k]!;
      out[a.b + i] = sg * w[a.out * a.inp + src]!;
    }
    // Column i of the next layer follows its unit: it becomes column π(i), times the sign.
    const next = out.slice(b.w, b.w + b.out * b.inp);
    for (let r = 0; r < b.out; r++)
      for (let i = 0; i < b.inp; i++) {
        const sg = s ? s[i]! : 1;
        out[b.w + r * b.inp + i] = sg * next[r * b.inp + p[i]!]!;
      }
  }
  return out;
}

/** A random permutation per hidden layer, plus random signs when `signs` (SIREN only). */
export function randomSymmetry(arch: MlpArch, rng: Rng, signs: boolean): HiddenSymmetry {
  const hidden = arch.widths.slice(1, -1);
  return {
    perms: hidden.map((n) => randomPermutation(n, rng)),
    signs: signs
      ? hidden.map((n) => Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1)))
      : null,
  };
}

/** Random signs only (Shamsian et al.'s "negation" augmentation; exact for SIREN). */
export function randomSigns(arch: MlpArch, rng: Rng): HiddenSymmetry {
  const s = randomSymmetry(arch, rng, true);
  return {
    perms: arch.widths.slice(1, -1).map((n) => Int32Array.from({ length: n }, (_, i) => i)),
    signs: s.signs,
  };
}

/**
 * Bias shifts: each hidden unit's bias moves by kπ/w₀, k uniform in {−2…2}, and its outgoing
 * column is multiplied by (−1)^k. Exact for SIREN (the function is unchanged).
 */
export function randomBiasShift(row: Float32Array, arch: MlpArch, rng: Rng): Float32Array {
  const slots = rowLayout(arch);
  const out = new Float32Array(row);
  const step = Math.PI / sirenW0(arch);
  for (let l = 0; l + 1 < slots.length; l++) {
    const a = slots[l]!;
    const b = slots[l + 1]!;
    for (let i = 0; i < a.out; i++) {
      const k = rng.int(5) - 2;
      if (k === 0) continue;
      out[a.b + i] = out[a.b + i]! + k * step;
      if (k % 2 !== 0) for (let r = 0; r < b.out; r++) out[b.w + r * b.inp + i] = -out[b.w + r * b.inp + i]!;
    }
  }
  return out;
}

/**
 * A sign canonicalisation for SIREN rows: every hidden unit is flipped so that its bias is ≥ 0.
 * Two rows that differ by sign flips map to the same row (except for biases exactly 0), so a
 * network that reads canonical rows is sign-flip invariant by construction.
 */
export function canonicalSigns(row: Float32Array, arch: MlpArch): Float32Array {
  const slots = rowLayout(arch);
  const out = new Float32Array(row);
  for (let l = 0; l + 1 < slots.length; l++) flipNegativeBiases(out, slots[l]!, slots[l + 1]!);
  return out;
}

function flipNegativeBiases(out: Float32Array, a: LayerSlot, b: LayerSlot): void {
  for (let i = 0; i < a.out; i++) {
    if (out[a.b + i]! >= 0) continue;
    out[a.b + i] = -out[a.b + i]!;
    for (let k = 0; k < a.inp; k++) out[a.w + i * a.inp + k] = -out[a.w + i * a.inp + k]!;
    for (let r = 0; r < b.out; r++) out[b.w + r * b.inp + i] = -out[b.w + r * b.inp + i]!;
  }
}
