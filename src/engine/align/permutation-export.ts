/**
 * An alignment's permutations as plain JSON, for a person to compare with their own pipeline
 * (and stored in the aligned checkpoint's safetensors metadata as `weightscope.permutation`).
 *
 * Convention (permspec.ts): aligned unit i of hidden layer l is unit `perm[i]` of the original
 * model, times `sign[i]`. In PyTorch, with W_l of shape [out, in] and the file's own tensor names:
 *   W_l' = s[:, None] * W_l[perm],  b_l' = s * b_l[perm],  W_{l+1}' = W_{l+1}[:, perm] * s[None, :]
 * The `axes` list says exactly which axis of which tensor of the file each permutation reorders
 * (a transposed [in, out] layout swaps the weight axes).
 */
import { sequentialLayout, layoutFits, type TensorLayout } from '../checkpoints/layout';
import type { MlpArch } from '../model';
import { mlpPermutationSpec } from './permspec';

/** One hidden layer's permutation. */
export interface LayerPermutation {
  /** Hidden layer, 0-based (permutation `P_<layer>`). */
  layer: number;
  /** Aligned unit i is the original model's unit perm[i]. */
  perm: number[];
  /** ±1 per aligned unit (all 1 when matching was unsigned). */
  signs: number[];
  /** Every (tensor name in the file, axis) this permutation reorders. */
  axes: { tensor: string; axis: number }[];
}

/** What one alignment did, by identity and in numbers. */
export interface PermutationRecord {
  format: 'weightscope.permutation/1';
  convention: string;
  method: 'weight' | 'activation' | 'ste';
  signed: boolean;
  /** The model the others were aligned to (never permuted). */
  reference: { name: string; id: string | null };
  /** The model that was permuted. */
  model: { name: string; id: string | null };
  /** The kept restart's seed, its objective, and every restart's. */
  seed: number;
  objective: { name: string; better: 'higher' | 'lower'; value: number };
  restarts: { seed: number; objective: number }[];
  layers: LayerPermutation[];
}

export const PERMUTATION_CONVENTION =
  "aligned unit i of hidden layer l is the original model's unit perm[i] times signs[i]: " +
  'W_l[perm] * signs[:, None], b_l[perm] * signs, W_{l+1}[:, perm] * signs[None, :] (PyTorch [out, in])';

/** Everything the record says besides the permutations themselves. */
export type PermutationInfo = Omit<PermutationRecord, 'format' | 'convention' | 'layers' | 'signed'>;

/**
 * The record of an alignment of a model of `arch`, with tensor names as the downloaded file has
 * them (`layout`, or nn.Sequential names for models Weightscope created).
 */
export function permutationRecord(
  arch: MlpArch,
  perms: Record<string, Int32Array>,
  signs: Record<string, Float32Array> | undefined,
  info: PermutationInfo,
  layout?: TensorLayout,
): PermutationRecord {
  const lay = layout && layoutFits(layout, arch) ? layout : sequentialLayout(arch);
  const spec = mlpPermutationSpec(arch);
  const layers = spec.perms.map((p, l): LayerPermutation => {
    const perm = perms[p.name];
    if (!perm || perm.length !== p.size)
      throw new RangeError(`permutation ${p.name} is missing or not of size ${p.size}`);
    const sign = signs?.[p.name];
    const w = lay.layers[l]!;
    const next = lay.layers[l + 1]!;
    return {
      layer: l,
      perm: Array.from(perm),
      signs: sign ? Array.from(sign) : new Array<number>(p.size).fill(1),
      axes: [
        { tensor: w.weight, axis: w.transposed ? 1 : 0 },
        ...(w.bias ? [{ tensor: w.bias, axis: 0 }] : []),
        { tensor: next.weight, axis: next.transposed ? 0 : 1 },
      ],
    };
  });
  return {
    format: 'weightscope.permutation/1',
    convention: PERMUTATION_CONVENTION,
    ...info,
    signed: !!signs,
    layers,
  };
}
