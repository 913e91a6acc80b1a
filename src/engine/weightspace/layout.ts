/**
 * Where each layer's weight and bias sit inside a member's flat row (flattenModel order:
 * layers.0.weight [out, in], layers.0.bias [out], layers.1.weight, …). Weight-space code works
 * on these rows directly; converting every row to a Model per batch would cost more than the
 * augmentations themselves.
 */
import { layerCount, type MlpArch } from '../model';

export interface LayerSlot {
  /** Offset of the weight [out, in] in the row. */
  w: number;
  /** Offset of the bias [out]. */
  b: number;
  out: number;
  inp: number;
}

/** Slots of every linear layer, in order. */
export function rowLayout(arch: MlpArch): LayerSlot[] {
  const slots: LayerSlot[] = [];
  let off = 0;
  for (let l = 0; l < layerCount(arch); l++) {
    const inp = arch.widths[l]!;
    const out = arch.widths[l + 1]!;
    slots.push({ w: off, b: off + out * inp, out, inp });
    off += out * inp + out;
  }
  return slots;
}

/** Whether the hidden units have SIREN's sign symmetry (sin is odd) and bias-shift symmetry. */
export const isSine = (arch: MlpArch): boolean => arch.activation === 'sine';
