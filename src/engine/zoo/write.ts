/**
 * Writing a zoo as `.npz` (stored zip of `.npy`, plus `meta.json`) or `.safetensors` (settings in
 * `__metadata__`), in the layout any NumPy/PyTorch script reads back with a few lines:
 * `layers.{i}.weight` float32 [N, out, in], `layers.{i}.bias` float32 [N, out], `labels` int64
 * [N], `split` uint8 [N] when present, then the columns. The checkpoint writers take one Model;
 * zoos need stacked tensors of several dtypes, laid out here and framed by the same `.npy` and
 * safetensors containers (`npyBytes`, `packSafetensors`).
 */
import { float32Bytes } from '../checkpoints/convert';
import { npyBytes } from '../checkpoints/numpy';
import { packSafetensors } from '../checkpoints/writers';
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

/** The zoo as an `.npz` that `np.load` opens; settings in the `meta.json` entry. */
export function writeZooNpz(zoo: Zoo): Uint8Array {
  return writeStoredZip([
    ...zooTensors(zoo).map((t) => ({
      name: `${t.name}.npy`,
      data: npyBytes(NPY_DESCR[t.dtype], t.shape, t.bytes),
    })),
    { name: ZOO_META_ENTRY, data: new TextEncoder().encode(zooMetaJson(metaOf(zoo))) },
  ]);
}

/** The zoo as `.safetensors`; settings under `weightscope.zoo` (and `weightscope.arch`). */
export function writeZooSafetensors(zoo: Zoo): Uint8Array {
  return packSafetensors(zooTensors(zoo), {
    [ZOO_META_KEY]: zooMetaJson(metaOf(zoo)),
    'weightscope.arch': JSON.stringify(zoo.arch),
  });
}
