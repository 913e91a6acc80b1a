import { encodeFloats, type FloatDType } from './encode';
import { DECODED_BYTES, ImportBudget } from './budget';
import { decodeTensor } from './convert';
import { parsePyLiteral, PyLiteralError, type PyValue } from './pyliteral';
import {
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
 *
 * The header is read as NumPy 1.24 reads it (`numpy/lib/format.py`, `_read_array_header`):
 * versions (1,0), (2,0), (3,0) only; at most 10,000 characters; `ast.literal_eval` semantics (a
 * repeated key keeps its last value, anything after the dict is an error); exactly the keys
 * descr, fortran_order and shape; shape a tuple of ints, fortran_order a bool. Data past the
 * array is ignored, as `np.load` ignores it; data short of it is refused.
 */

const make = (m: string): NumpyError => new NumpyError(m);
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** numpy.lib.format._MAX_HEADER_SIZE in NumPy 1.24. */
const MAX_NPY_HEADER = 10_000;

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

function headerDict(
  b: Uint8Array,
  what: string,
  budget: ImportBudget,
): { d: Map<string, PyValue>; start: number; len: number } {
  if (!isNpy(b)) throw make(`${what}: not a .npy file (magic missing)`);
  const [major, minor] = [b[6]!, b[7]!];
  if (minor !== 0 || major < 1 || major > 3)
    throw make(`${what}: .npy version ${major}.${minor} is not one NumPy reads (1.0, 2.0, 3.0)`);
  const start = major === 1 ? 10 : 12;
  if (b.length < start) throw make(`${what}: header truncated`);
  const len =
    major === 1 ? b[8]! | (b[9]! << 8) : (b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24)) >>> 0;
  if (start + len > b.length) throw make(`${what}: header length ${len} runs past the end of the file`);
  budget.charge('header', len, `${what} header`, make);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(
      b.subarray(start, start + len),
    );
  } catch {
    throw make(`${what}: header is not valid UTF-8`);
  }
  if (text.length > MAX_NPY_HEADER)
    throw make(
      `${what}: header is ${text.length} characters; NumPy reads at most ${MAX_NPY_HEADER} (limit max_header_size)`,
    );
  if (text.includes('\0')) throw make(`${what}: header holds a NUL character`);
  let v: PyValue;
  try {
    v = parsePyLiteral(text, major <= 2);
  } catch (e) {
    if (!(e instanceof PyLiteralError)) throw e;
    throw make(`${what}: cannot parse header ${JSON.stringify(text.slice(0, 120))} (${e.message})`);
  }
  if (v.kind !== 'dict') throw make(`${what}: header is not a dictionary`);
  const keys = [...v.entries.keys()].sort();
  if (keys.join() !== 's:descr,s:fortran_order,s:shape')
    throw make(`${what}: header must hold exactly descr, fortran_order and shape`);
  return { d: v.entries, start, len };
}

function parseHeader(b: Uint8Array, what: string, budget: ImportBudget): NpyHeader {
  const { d, start, len } = headerDict(b, what, budget);
  const descr = d.get('s:descr')!;
  const fortran = d.get('s:fortran_order')!;
  const shapeV = d.get('s:shape')!;
  if (shapeV.kind !== 'tuple' || !shapeV.items.every((x) => x.kind === 'int'))
    throw make(`${what}: shape must be a tuple of integers`);
  if (fortran.kind !== 'bool') throw make(`${what}: fortran_order must be True or False`);
  const m = descr.kind === 'str' ? /^([<>|=]?)([a-z])(\d+)$/.exec(descr.value) : null;
  const dtype = m ? DESCR[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    const text = descr.kind === 'str' ? JSON.stringify(descr.value) : 'a non-string descr';
    const hint = text.includes('O') ? ' (object arrays hold pickles, which Weightscope never loads)' : '';
    throw make(
      `${what}: dtype ${text} is not supported${hint}; supported: float16/32/64, int8/16/32/64, uint8, bool`,
    );
  }
  const dims = shapeV.items.map((x) => {
    const n = (x as { value: bigint }).value;
    return n < 0n ? -1 : n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(n);
  });
  const dataOffset = start + len;
  const size = DTYPE_SIZE[dtype];
  const shape = checkShape(dims, Math.floor((b.length - dataOffset) / size), what, make);
  return { dtype, littleEndian: m[1] !== '>', fortran: fortran.value, shape, dataOffset };
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

/** The dtype and shape of a `.npy`, from its header alone (nothing decoded); throws NumpyError. */
export function readNpyShape(bytes: Uint8Array, name: string): { dtype: DType; shape: number[] } {
  const h = parseHeader(bytes, name, new ImportBudget());
  return { dtype: h.dtype, shape: h.shape };
}

/**
 * Parses one `.npy` buffer into a tensor named `name`, charging `budget` before decoding. `owned`
 * says `bytes` is a fresh buffer (an inflated entry) that float32 data may be viewed in place.
 */
export function parseNpy(
  bytes: Uint8Array,
  name: string,
  budget = new ImportBudget(),
  owned = false,
): RawTensor {
  const h = parseHeader(bytes, name, budget);
  const n = h.shape.reduce((a, c) => a * c, 1);
  // checkShape bounded n by the bytes after the header; any trailing bytes are ignored, as np.load does.
  budget.countTensor(name, make);
  budget.charge('tensor', n * DECODED_BYTES * (h.fortran ? 2 : 1), `${name} [${h.shape.join(', ')}]`, make);
  const t = decodeTensor(name, h.dtype, h.shape, bytes, h.dataOffset, h.littleEndian, owned);
  return h.fortran ? fromFortran(t) : t;
}

const stem = (name: string): string => name.replace(/^.*\//, '').replace(/\.npy$/, '');

export const npyReader: CheckpointReader = {
  id: 'npy',
  label: 'NumPy array (.npy)',
  match: (files) => files.length === 1 && isNpy(files[0]!.bytes),
  read: (files, budget = new ImportBudget()) => {
    const f = files[0]!;
    budget.checkFiles(files, make);
    return { format: 'npy', tensors: [parseNpy(f.bytes, stem(f.name), budget)], metadata: {} };
  },
};

/**
 * Reads an `.npz`: every `*.npy` entry becomes a tensor named by its path without `.npy`. Other
 * entries are never inflated (np.load would not read them either).
 */
export function readNpz(file: CheckpointFile, budget = new ImportBudget()): CheckpointContents {
  budget.checkFiles([file], make);
  const zip = new ZipArchive(file.bytes, budget);
  const tensors: RawTensor[] = [];
  const arrays = zip.entries.filter((e) => e.name.endsWith('.npy'));
  // All declared sizes are charged before the first entry is inflated.
  zip.reserve(arrays);
  for (const e of arrays) tensors.push(parseNpy(zip.read(e), e.name.slice(0, -4), budget, e.method !== 0));
  if (tensors.length === 0) throw make(`${file.name} is a zip with no .npy entries`);
  return { format: 'npz', tensors, metadata: {} };
}

/**
 * Magic: a zip whose first entry is named `*.npy`, or (other writers order entries freely, and
 * np.load reads them all) whose directory lists a `*.npy` and no PyTorch `data.pkl`.
 */
function looksLikeNpz(b: Uint8Array): boolean {
  if (!isZip(b) || b.length < 30) return false;
  const nameLen = b[26]! | (b[27]! << 8);
  if (new TextDecoder().decode(b.subarray(30, Math.min(b.length, 30 + nameLen))).endsWith('.npy'))
    return true;
  try {
    const names = new ZipArchive(b).entries.map((e) => e.name);
    return names.some((n) => n.endsWith('.npy')) && !names.some((n) => /^[^/]+\/data\.pkl$/.test(n));
  } catch {
    return false;
  }
}

export const npzReader: CheckpointReader = {
  id: 'npz',
  label: 'NumPy archive (.npz, stored or compressed)',
  match: (files) => files.length === 1 && looksLikeNpz(files[0]!.bytes),
  read: (files, budget) => readNpz(files[0]!, budget),
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
  return npyBytes(descr, shape, encodeFloats(data, kind));
}

/** `.npy` v1.0 around raw little-endian bytes of dtype `descr` (C order, header padded to 64 bytes). */
export function npyBytes(descr: string, shape: readonly number[], body: Uint8Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}
