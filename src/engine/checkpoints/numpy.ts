import { encodeFloats, type FloatDType } from './encode';
import { decodeTensor } from './convert';
import {
  checkFileSize,
  checkShape,
  DTYPE_SIZE,
  NumpyError,
  type CheckpointContents,
  type CheckpointFile,
  type CheckpointReader,
  type DType,
  type RawTensor,
} from './types';
import { isZip, ZipArchive } from './zip';

/**
 * NumPy `.npy` (NEP 1, "A Simple File Format for NumPy Arrays"): magic `\x93NUMPY`, version,
 * header length (u16 in v1, u32 in v2/v3), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then raw data.
 * `.npz` is a zip of `.npy` files (np.savez stores, np.savez_compressed deflates).
 */

const make = (m: string): NumpyError => new NumpyError(m);
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export const isNpy = (b: Uint8Array): boolean => b.length >= 10 && MAGIC.every((m, i) => b[i] === m);

/** NumPy type codes (kind + itemsize) → DType. */
const DESCR: Record<string, DType> = {
  f8: 'F64',
  f4: 'F32',
  f2: 'F16',
  i8: 'I64',
  i4: 'I32',
  i2: 'I16',
  i1: 'I8',
  u1: 'U8',
  b1: 'BOOL',
};

interface NpyHeader {
  dtype: DType;
  littleEndian: boolean;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(b: Uint8Array, what: string): NpyHeader {
  if (!isNpy(b)) throw make(`${what}: not a .npy file (magic missing)`);
  const major = b[6]!;
  let len: number;
  let start: number;
  if (major === 1) {
    len = b[8]! | (b[9]! << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw make(`${what}: header truncated`);
    len = (b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24)) >>> 0;
    start = 12;
  } else throw make(`${what}: .npy version ${major} is not supported`);
  if (len > 1 << 20 || start + len > b.length)
    throw make(`${what}: header length ${len} runs past the end of the file`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw make(`${what}: header ${JSON.stringify(text.slice(0, 120))} lacks descr, fortran_order or shape`);
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const dtype = m ? DESCR[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    const hint = descr.includes('O') ? ' (object arrays hold pickles, which Weightscope never loads)' : '';
    throw make(
      `${what}: dtype ${JSON.stringify(descr)} is not supported${hint}; supported: float16/32/64, int8/16/32/64, uint8, bool`,
    );
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : NaN));
  const shape = checkShape(dims, b.length, what, make);
  return { dtype, littleEndian: m[1] !== '>', fortran: fortran === 'True', shape, dataOffset: start + len };
}

/** Reverses axes order: Fortran (column-major) data → row-major. */
function fromFortran(t: RawTensor): RawTensor {
  const src = t.data ?? t.intData;
  if (!src || t.shape.length < 2) return t;
  const shape = t.shape;
  const n = src.length;
  const out = src instanceof Float32Array ? new Float32Array(n) : new Int32Array(n);
  const fstride: number[] = [];
  for (let d = 0, s = 1; d < shape.length; d++) {
    fstride.push(s);
    s *= shape[d]!;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d]! * fstride[d]!;
    out[i] = src[o]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out instanceof Float32Array ? { ...t, data: out } : { ...t, intData: out };
}

/** Parses one `.npy` buffer into a tensor named `name`. */
export function parseNpy(bytes: Uint8Array, name: string): RawTensor {
  const h = parseHeader(bytes, name);
  const need = h.shape.reduce((a, c) => a * c, 1) * DTYPE_SIZE[h.dtype];
  if (h.dataOffset + need !== bytes.length) {
    throw make(
      `${name}: shape [${h.shape.join(', ')}] ${h.dtype} needs ${need} data bytes but the file has ${bytes.length - h.dataOffset}`,
    );
  }
  const t = decodeTensor(name, h.dtype, h.shape, bytes, h.dataOffset, h.littleEndian);
  return h.fortran ? fromFortran(t) : t;
}

const stem = (name: string): string => name.replace(/^.*\//, '').replace(/\.npy$/, '');

export const npyReader: CheckpointReader = {
  id: 'npy',
  label: 'NumPy array (.npy)',
  match: (files) => files.length === 1 && isNpy(files[0]!.bytes),
  read: (files) => {
    const f = files[0]!;
    checkFileSize(f, make);
    return { format: 'npy', tensors: [parseNpy(f.bytes, stem(f.name))], metadata: {} };
  },
};

/** Reads an `.npz`: every `*.npy` entry becomes a tensor named by its path without `.npy`. */
export function readNpz(file: CheckpointFile): CheckpointContents {
  checkFileSize(file, make);
  const zip = new ZipArchive(file.bytes);
  const tensors: RawTensor[] = [];
  for (const e of zip.entries) {
    if (!e.name.endsWith('.npy')) continue;
    tensors.push(parseNpy(zip.read(e), e.name.slice(0, -4)));
  }
  if (tensors.length === 0) throw make(`${file.name} is a zip with no .npy entries`);
  return { format: 'npz', tensors, metadata: {} };
}

/** Magic: a zip whose first entry is named `*.npy`. */
function looksLikeNpz(b: Uint8Array): boolean {
  if (!isZip(b) || b.length < 30) return false;
  const nameLen = b[26]! | (b[27]! << 8);
  return new TextDecoder().decode(b.subarray(30, Math.min(b.length, 30 + nameLen))).endsWith('.npy');
}

export const npzReader: CheckpointReader = {
  id: 'npz',
  label: 'NumPy archive (.npz, stored or compressed)',
  match: (files) => files.length === 1 && looksLikeNpz(files[0]!.bytes),
  read: (files) => readNpz(files[0]!),
};

/**
 * Serialises a float tensor as `.npy` v1.0 (C order, header padded to 64 bytes), in float32
 * ('<f4') or the source's '<f8' / '<f2'. NumPy has no bfloat16, so BF16 is written as '<f4'.
 */
export function writeNpy(
  data: Float32Array,
  shape: readonly number[],
  dtype: FloatDType = 'F32',
): Uint8Array {
  const kind: FloatDType = dtype === 'BF16' ? 'F32' : dtype;
  const descr = { F32: '<f4', F64: '<f8', F16: '<f2' }[kind as 'F32' | 'F64' | 'F16'];
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const body = encodeFloats(data, kind);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}
