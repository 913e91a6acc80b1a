/**
 * Writing a zoo as `.npz` (stored zip of `.npy`, plus `meta.json`) or `.safetensors` (settings in
 * `__metadata__`), in the layout any NumPy/PyTorch script reads back with a few lines:
 * `layers.{i}.weight` float32 [N, out, in], `layers.{i}.bias` float32 [N, out], `labels` int64
 * [N], `split` uint8 [N] when present, then the columns. The checkpoint writers take one Model;
 * zoos need stacked tensors of several dtypes, hence this small writer of their own.
 */
import { float32Bytes } from '../checkpoints/convert';
import { writeStoredZip } from '../checkpoints/zip';
import { paramShapes } from '../model';
import { numel } from '../tensor';
import { zooMetaJson, type ZooMetaJson } from './meta';
import { ZOO_META_ENTRY, ZOO_META_KEY, type Zoo } from './types';

type Dtype = 'F32' | 'I64' | 'I32' | 'U8';
interface OutTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

const NPY_DESCR: Record<Dtype, string> = { F32: '<f4', I64: '<i8', I32: '<i4', U8: '|u1' };

/** int64 little-endian bytes of int32 values (sign-extended). */
function int64Bytes(v: Int32Array): Uint8Array {
  const out = new Uint8Array(v.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) {
    dv.setInt32(i * 8, v[i]!, true);
    dv.setInt32(i * 8 + 4, v[i]! < 0 ? -1 : 0, true);
  }
  return out;
}

const bytesOf = (a: Int32Array | Uint8Array): Uint8Array =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** The zoo's tensors in file order, per-layer tensors unpacked from the [N, D] rows. */
function zooTensors(zoo: Zoo): OutTensor[] {
  const out: OutTensor[] = [];
  let off = 0;
  for (const { name, shape } of paramShapes(zoo.arch)) {
    const len = numel(shape);
    const data = new Float32Array(zoo.n * len);
    for (let k = 0; k < zoo.n; k++)
      data.set(zoo.params.subarray(k * zoo.dim + off, k * zoo.dim + off + len), k * len);
    off += len;
    out.push({ name, dtype: 'F32', shape: [zoo.n, ...shape], bytes: float32Bytes(data) });
  }
  out.push({ name: 'labels', dtype: 'I64', shape: [zoo.n], bytes: int64Bytes(zoo.labels) });
  if (zoo.split) out.push({ name: 'split', dtype: 'U8', shape: [zoo.n], bytes: bytesOf(zoo.split) });
  for (const c of zoo.columns) {
    const isFloat = c.data instanceof Float32Array;
    out.push({
      name: c.name,
      dtype: isFloat ? 'F32' : 'I32',
      shape: [...c.shape],
      bytes: isFloat ? float32Bytes(c.data as Float32Array) : bytesOf(c.data as Int32Array),
    });
  }
  return out;
}

function metaOf(zoo: Zoo): ZooMetaJson {
  const m: ZooMetaJson = { arch: zoo.arch };
  if (zoo.meta.inr) m.inr = zoo.meta.inr;
  if (zoo.meta.source !== undefined) m.source = zoo.meta.source;
  if (zoo.meta.labelNames) m.labelNames = zoo.meta.labelNames;
  if (zoo.meta.classifiers) m.classifiers = zoo.meta.classifiers;
  return m;
}

/** NEP 1 `.npy` v1.0 with any of the writer's dtypes, header padded to 64 bytes. */
function npy(t: OutTensor): Uint8Array {
  const dims = t.shape.length === 1 ? `${t.shape[0]},` : t.shape.join(', ');
  let header = `{'descr': '${NPY_DESCR[t.dtype]}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + t.bytes.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(t.bytes, 10 + header.length);
  return out;
}

/** The zoo as an `.npz` that `np.load` opens; settings in the `meta.json` entry. */
export function writeZooNpz(zoo: Zoo): Uint8Array {
  return writeStoredZip([
    ...zooTensors(zoo).map((t) => ({ name: `${t.name}.npy`, data: npy(t) })),
    { name: ZOO_META_ENTRY, data: new TextEncoder().encode(zooMetaJson(metaOf(zoo))) },
  ]);
}

/** The zoo as `.safetensors`; settings under `weightscope.zoo` (and `weightscope.arch`). */
export function writeZooSafetensors(zoo: Zoo): Uint8Array {
  const tensors = zooTensors(zoo);
  const header: Record<string, unknown> = {
    __metadata__: { [ZOO_META_KEY]: zooMetaJson(metaOf(zoo)), 'weightscope.arch': JSON.stringify(zoo.arch) },
  };
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  const enc = new TextEncoder();
  let json = JSON.stringify(header);
  // Spaces pad the header so the buffer starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - (enc.encode(json).length % 8)) % 8);
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
