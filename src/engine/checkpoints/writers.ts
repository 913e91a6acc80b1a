import type { Model } from '../model';
import { encodeFloats } from './encode';
import { exportTensors, type TensorLayout } from './layout';
import { writeNpy } from './numpy';
import { writeStoredZip } from './zip';

export { writePt } from './pt-writer';

/**
 * Writes a safetensors file. Tensors are named, oriented and typed as `layout` says — the source
 * file's names, [out, in] or [in, out], and dtype, so the file loads straight into the person's
 * model — or, for a model Weightscope created (no layout), with nn.Sequential names in float32.
 * `__metadata__` carries the architecture as JSON under `weightscope.arch` plus the caller's
 * metadata (provenance…), so the file round-trips into Weightscope with its activation and loads
 * in Python's `safetensors`.
 */
export function writeSafetensors(
  model: Model,
  metadata: Record<string, string> = {},
  layout?: TensorLayout,
): Uint8Array {
  const tensors = exportTensors(model, layout).map((t) => ({ ...t, bytes: encodeFloats(t.data, t.dtype) }));
  return packSafetensors(tensors, { ...metadata, 'weightscope.arch': JSON.stringify(model.arch) });
}

/** A tensor's raw little-endian bytes under its safetensors name, dtype and shape. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: readonly number[];
  bytes: Uint8Array;
}

/**
 * The safetensors container: an 8-byte header length, the JSON header (`__metadata__` and each
 * tensor's dtype, shape and byte range, in order) and the tensors' bytes back to back.
 */
export function packSafetensors(
  tensors: readonly SafetensorsEntry[],
  metadata: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  // Pad with spaces so the buffer starts 8-byte aligned, as the reference writer does.
  const len = enc.encode(json).length;
  json += ' '.repeat((8 - (len % 8)) % 8);
  const hb = enc.encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setUint32(0, hb.length, true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of tensors) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return out;
}

/**
 * Writes an `.npz` (a stored zip of `.npy`, one per tensor, named and typed as `writeSafetensors`
 * names them; bfloat16 becomes float32, which NumPy lacks). It carries tensors only: NumPy
 * archives have no metadata slot, so the activation must be confirmed again on reading; use
 * safetensors to keep the architecture.
 */
export function writeNpz(model: Model, layout?: TensorLayout): Uint8Array {
  return writeStoredZip(
    exportTensors(model, layout).map((t) => ({
      name: `${t.name}.npy`,
      data: writeNpy(t.data, t.shape, t.dtype),
    })),
  );
}
