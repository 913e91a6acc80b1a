import { ENCODING_NAME, paramShapes, type Model } from '../model';
import { float32Bytes } from './convert';
import { writeNpy } from './numpy';
import { writeStoredZip } from './zip';

/** Canonical tensors of a model, in file order: the Fourier matrix first, then layer by layer. */
function orderedTensors(model: Model): { name: string; data: Float32Array; shape: readonly number[] }[] {
  const names = [
    ...(model.params[ENCODING_NAME] ? [ENCODING_NAME] : []),
    ...paramShapes(model.arch).map((p) => p.name),
  ];
  return names.map((name) => {
    const t = model.params[name];
    if (!t) throw new RangeError(`model lacks tensor ${name}`);
    return { name, data: t.data, shape: t.shape };
  });
}

/**
 * Writes a safetensors file (F32, canonical names). `__metadata__` carries the architecture as
 * JSON under `weightscope.arch` plus the caller's metadata (provenance…), so the file round-trips
 * into Weightscope with its activation and loads in Python's `safetensors.numpy.load_file`.
 */
export function writeSafetensors(model: Model, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = orderedTensors(model);
  const header: Record<string, unknown> = {
    __metadata__: { ...metadata, 'weightscope.arch': JSON.stringify(model.arch) },
  };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
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
    out.set(float32Bytes(t.data), p);
    p += t.data.byteLength;
  }
  return out;
}

/**
 * Writes an `.npz` (a stored zip of float32 `.npy`, one per tensor, canonical names such as
 * `layers.0.weight`). It carries tensors only: NumPy archives have no metadata slot, so the
 * activation must be confirmed again on reading; use safetensors to keep the architecture.
 */
export function writeNpz(model: Model): Uint8Array {
  return writeStoredZip(
    orderedTensors(model).map((t) => ({ name: `${t.name}.npy`, data: writeNpy(t.data, t.shape) })),
  );
}
