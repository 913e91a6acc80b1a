/**
 * Structure-aware mutators for the fuzz tests: they change a file at the level its reader parses
 * it (pickle opcodes, zip directory records, .npy header literals, safetensors header entries,
 * tfjs manifests, image markers), so that most cases get past the outer checks (valid CRCs,
 * valid JSON) and exercise the budgets and rules behind them.
 */
import type { Rng } from '../../src/engine/rng';
import { crc32 } from '../../src/engine/checkpoints/zip';
import {
  concat,
  f32,
  latin1,
  npy,
  PickleWriter,
  safetensors,
  torchZip,
  utf8,
  writeZip,
} from '../../scripts/hostile/bytes';

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const INTS = [
  0,
  1,
  2,
  3,
  255,
  256,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 28,
  2 ** 40,
];
const int = (rng: Rng): number => (rng.next() < 0.5 ? pick(rng, INTS) : rng.int(64));

// ---------------------------------------------------------------- pickle opcode streams

/** Bytes of argument after each opcode we generate (−1: a text line pair, −2: one line). */
function argLength(b: Uint8Array, p: number): number {
  const op = b[p]!;
  const dv = new DataView(b.buffer, b.byteOffset);
  const at = p + 1;
  switch (op) {
    case 0x80:
    case 0x4b:
    case 0x71:
    case 0x68:
      return 1;
    case 0x4d:
      return 2;
    case 0x4a:
    case 0x72:
    case 0x6a:
      return 4;
    case 0x95:
    case 0x47:
      return 8;
    case 0x58:
    case 0x42:
    case 0x54:
      return 4 + dv.getUint32(at, true);
    case 0x8c:
    case 0x43:
    case 0x55:
    case 0x8a:
      return 1 + b[at]!;
    case 0x63: {
      const a = b.indexOf(0x0a, at);
      return b.indexOf(0x0a, a + 1) + 1 - at;
    }
    case 0x70:
    case 0x67:
      return b.indexOf(0x0a, at) + 1 - at;
    default:
      return 0;
  }
}

/** Splits a pickle into opcodes (each with its argument bytes). */
export function opcodes(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < b.length;) {
    const n = 1 + argLength(b, p);
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

/** A random opcode with plausible arguments. */
function randomOp(rng: Rng): Uint8Array {
  const w = new PickleWriter();
  const k = rng.int(14);
  const one = (...xs: number[]) => Uint8Array.from(xs);
  switch (k) {
    case 0:
      return one(pick(rng, [0x28, 0x29, 0x5d, 0x7d, 0x74, 0x6c, 0x85, 0x86, 0x87, 0x64]));
    case 1:
      return one(
        pick(
          rng,
          [0x61, 0x65, 0x73, 0x75, 0x30, 0x31, 0x32, 0x94, 0x62, 0x52, 0x81, 0x51, 0x4e, 0x88, 0x89, 0x2e],
        ),
      );
    case 2:
      return one(0x4b, rng.int(256));
    case 3:
      return concat([one(0x4a), new Uint8Array(new Uint32Array([int(rng)]).buffer)]);
    case 4:
      return one(0x68, rng.int(16));
    case 5:
      return concat([one(0x6a), new Uint8Array(new Uint32Array([int(rng)]).buffer)]);
    case 6:
      return one(0x71, rng.int(16));
    case 7:
      return concat([
        one(0x58),
        new Uint8Array(new Uint32Array([1]).buffer),
        latin1(pick(rng, ['0', '1', 'a'])),
      ]);
    case 8:
      return concat([
        one(0x63),
        latin1(
          pick(rng, [
            'torch\nFloatStorage\n',
            'collections\nOrderedDict\n',
            'torch._utils\n_rebuild_tensor_v2\n',
            'os\nsystem\n',
            'torch\nHalfStorage\n',
          ]),
        ),
      ]);
    case 9:
      return concat([one(0x8a, 8), new Uint8Array(new Float64Array([rng.next() * 2 ** 60]).buffer)]);
    case 10:
      return one(pick(rng, [0x82, 0x83, 0x84, 0x69, 0x6f, 0x93, 0x8d]));
    case 11:
      return one(rng.int(256));
    case 12:
      return concat([one(0x58), new Uint8Array(new Uint32Array([int(rng)]).buffer)]); // lying length
    default:
      return w
        .str(pick(rng, ['storage', 'state_dict', 'cpu', '0.weight']))
        .stop()
        .subarray(2, -1);
  }
}

/** Mutates a pickle at the opcode level: delete, duplicate, swap, insert, repeat a run. */
export function mutatePickle(src: Uint8Array, rng: Rng): Uint8Array {
  const ops = opcodes(src);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits && ops.length > 1; e++) {
    const i = 1 + rng.int(ops.length - 1);
    const kind = rng.int(6);
    if (kind === 0) ops.splice(i, 1);
    else if (kind === 1) ops.splice(i, 0, ops[i]!);
    else if (kind === 2) {
      const j = 1 + rng.int(ops.length - 1);
      [ops[i], ops[j]] = [ops[j]!, ops[i]!];
    } else if (kind === 3 || kind === 4) ops.splice(i, 0, randomOp(rng));
    else {
      // Repeat a run of opcodes many times (DAGs, stacks and memos that grow).
      const len = 1 + rng.int(8);
      const run = ops.slice(i, i + len);
      const times = pick(rng, [2, 12, 100, 100, 1000]);
      ops.splice(i, 0, ...Array.from({ length: times }, () => run).flat());
    }
  }
  return concat(ops);
}

/** A torch.save-like archive around a pickle, with valid CRCs, so the pickle is what gets read. */
export const asTorchZip = (pickle: Uint8Array, storages: { name: string; data: Uint8Array }[]): Uint8Array =>
  torchZip(pickle, storages);

// ---------------------------------------------------------------- zip central directories

interface Record_ {
  at: number;
}

/** Offsets of the central directory records and of the end record. */
function directory(b: Uint8Array): { records: Record_[]; eocd: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = b.length - 22;
  while (eocd > 0 && dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const records: Record_[] = [];
  for (let i = 0; i < count; i++) {
    records.push({ at: p });
    p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return { records, eocd };
}

/** Mutates a zip's directory: offsets, sizes, methods, CRCs, counts, duplicated or dropped records. */
export function mutateZip(src: Uint8Array, rng: Rng): Uint8Array {
  try {
    return mutateDirectory(src, rng);
  } catch {
    return src; // an earlier mutation left no directory this helper can walk
  }
}

function mutateDirectory(src: Uint8Array, rng: Rng): Uint8Array {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const { records, eocd } = directory(b);
  if (records.length === 0) return b;
  const r = pick(rng, records).at;
  const other = pick(rng, records).at;
  switch (rng.int(9)) {
    case 0:
      dv.setUint32(r + 42, dv.getUint32(other + 42, true), true);
      break; // share a local header
    case 1:
      dv.setUint32(r + 42, dv.getUint32(other + 42, true) + 30 + rng.int(64), true);
      break; // point inside
    case 2:
      dv.setUint32(r + 24, int(rng) >>> 0, true);
      break; // declared size
    case 3:
      dv.setUint32(r + 20, int(rng) >>> 0, true);
      break; // compressed size
    case 4:
      dv.setUint16(r + 10, pick(rng, [0, 8, 12, 99]), true);
      break; // method
    case 5:
      dv.setUint32(r + 16, rng.int(2 ** 32) >>> 0, true);
      break; // CRC
    case 6:
      dv.setUint16(eocd + 10, pick(rng, [0, 1, records.length + 1, 65535]), true);
      break; // count
    case 7:
      dv.setUint32(eocd + 16, dv.getUint32(eocd + 16, true) + pick(rng, [-46, -1, 1, 46]), true);
      break;
    default: {
      // Duplicate one directory record (count and size updated): two names, or one name twice.
      const len = 46 + dv.getUint16(r + 28, true) + dv.getUint16(r + 30, true) + dv.getUint16(r + 32, true);
      const rec = b.slice(r, r + len);
      const out = concat([b.subarray(0, eocd), rec, b.subarray(eocd)]);
      const ov = new DataView(out.buffer);
      const e = eocd + len;
      ov.setUint16(e + 8, records.length + 1, true);
      ov.setUint16(e + 10, records.length + 1, true);
      ov.setUint32(e + 12, ov.getUint32(e + 12, true) + len, true);
      return out;
    }
  }
  return b;
}

// ---------------------------------------------------------------- .npy headers

const DESCRS = [
  "'<f4'",
  "'>f4'",
  "'|f4'",
  "'f4'",
  "'<f8'",
  "'<f2'",
  "'<i8'",
  "'|u1'",
  "'|b1'",
  "'<u2'",
  "'|O'",
  "'<c8'",
  "'float32'",
  "[('a', '<f4')]",
  "b'<f4'",
  "'\\x3cf4'",
  '3',
];

function literal(rng: Rng, depth = 0): string {
  const k = rng.int(depth > 2 ? 4 : 7);
  if (k === 0) return pick(rng, DESCRS);
  if (k === 1)
    return (
      String(pick(rng, [0, 1, 2, 3, -1, 2 ** 31, 2 ** 40, 2 ** 64])) +
      pick(rng, ['', '', 'L', '.0', '_0', 'j'])
    );
  if (k === 2) return pick(rng, ['True', 'False', 'None', '0x2', '0b11', '02', '+2']);
  if (k === 3) return pick(rng, ["'shape'", "'descr'", "'fortran_order'"]);
  const items = Array.from({ length: rng.int(4) }, () => literal(rng, depth + 1));
  if (k === 4) return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
  if (k === 5) return `[${items.join(', ')}]`;
  return `{${items.map((x) => `${x}: ${literal(rng, depth + 1)}`).join(', ')}}`;
}

/** A random .npy: a header dict built from the literal grammar (duplicates, junk, comments) and data. */
export function randomNpy(rng: Rng): Uint8Array {
  const keys = ['descr', 'fortran_order', 'shape', 'descr', 'shape', 'x'];
  const n = 2 + rng.int(3);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = rng.next() < 0.9 ? keys[i % 3]! : pick(rng, keys);
    const value =
      key === 'shape' && rng.next() < 0.7
        ? `(${Array.from({ length: rng.int(4) }, () => pick(rng, [0, 1, 2, 3, 4, 2 ** 28, 2 ** 40])).join(', ')},)`
        : key === 'descr' && rng.next() < 0.7
          ? pick(rng, DESCRS)
          : key === 'fortran_order' && rng.next() < 0.7
            ? pick(rng, ['True', 'False'])
            : literal(rng);
    parts.push(`'${key}': ${value}`);
  }
  let header = `{${parts.join(', ')}${pick(rng, ['', ', '])}}`;
  header =
    pick(rng, ['', ' ', '\n', '  ']) + header + pick(rng, ['\n', ' # c\n', ' junk', ' {}', '\0', '', '\\\n']);
  // Mostly as many bytes as a float32 array of the last shape needs (then the header decides).
  const dims = /'shape': \(([^)]*)\)/.exec(parts.filter((p) => p.startsWith("'shape'")).pop() ?? '')?.[1];
  const numel = (dims ?? '')
    .split(',')
    .filter((d) => d.trim())
    .reduce((a, d) => a * Number(d), 1);
  const fits = Number.isSafeInteger(numel) && numel >= 0 && numel < 4096;
  const data = new Uint8Array(
    fits && rng.next() < 0.7 ? 4 * numel + pick(rng, [0, 0, 3]) : pick(rng, [0, 4, 12, 24]),
  );
  return npy(header, data, pick(rng, [1, 1, 1, 2, 3, 4]));
}

// ---------------------------------------------------------------- safetensors headers

const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL', 'F8', 'constructor', 'toString', 7];

/** A random safetensors file: entries with odd dtypes, shapes, offsets, duplicate fields, metadata. */
export function randomSafetensors(rng: Rng): Uint8Array {
  const n = 1 + rng.int(4);
  const entries: string[] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const shape = Array.from({ length: rng.int(3) + 1 }, () =>
      pick(rng, [0, 1, 2, 3, 4, 2 ** 28, 2 ** 53 - 1, -1, 1.5]),
    );
    const numel = shape.reduce((a, b) => a * b, 1);
    const dtype = pick(rng, DTYPES);
    const len = rng.next() < 0.7 && numel >= 0 && numel < 64 ? numel * 4 : rng.int(64);
    const offsets = rng.next() < 0.8 ? [off, off + len] : [pick(rng, [0, off, 2 ** 40]), rng.int(200)];
    off += len;
    const fields = [
      `"dtype":${JSON.stringify(dtype)}`,
      `"shape":${JSON.stringify(shape)}`,
      `"data_offsets":${JSON.stringify(offsets)}`,
    ];
    if (rng.next() < 0.1) fields.push(pick(rng, fields)); // a duplicate field
    if (rng.next() < 0.1) fields.splice(rng.int(fields.length), 1);
    const name = pick(rng, [
      `layers.${i}.weight`,
      `layers.${i}.bias`,
      'encoding.B',
      `d${i}/kernel`,
      '__proto__',
      'layers.0.weight',
    ]);
    entries.push(`${JSON.stringify(name)}:{${fields.join(',')}}`);
  }
  if (rng.next() < 0.5) {
    const arch = {
      widths: pick(rng, [[2, 1], [2, 0], [2, 2, 1], Array(70).fill(2)]),
      activation: pick(rng, ['relu', 'sine', 'softmax']),
      ...(rng.next() < 0.5 ? { w0: pick(rng, [30, 1e308, -1, 0, 200.5, '30']) } : {}),
      ...(rng.next() < 0.5 ? { outputOffset: pick(rng, [0, 1e308, -11, 10]) } : {}),
      ...(rng.next() < 0.3
        ? {
            encoding: pick(rng, [
              { features: 4, sigma: 10 },
              { features: 1e9, sigma: 1 },
              null,
              { features: 2.5, sigma: 0 },
            ]),
          }
        : {}),
    };
    entries.push(
      `"__metadata__":${JSON.stringify({ 'weightscope.arch': JSON.stringify(arch), ...(rng.next() < 0.2 ? { n: 3 } : {}) })}`,
    );
  }
  return safetensors(
    `{${entries.join(',')}}`,
    new Uint8Array(Math.max(0, off + pick(rng, [0, 0, 0, 4, -4]))),
  );
}

// ---------------------------------------------------------------- tfjs manifests

/** A random model.json + shard: duplicate names and shard paths, odd dtypes and quantizations. */
export function randomTfjs(rng: Rng): { name: string; bytes: Uint8Array }[] {
  const weights = Array.from({ length: 1 + rng.int(4) }, (_, i) => ({
    name: rng.next() < 0.15 ? 'dense/kernel' : `dense_${i}/${pick(rng, ['kernel', 'bias'])}`,
    shape: Array.from({ length: 1 + rng.int(2) }, () => pick(rng, [0, 1, 2, 3, 2 ** 28, -1])),
    dtype: pick(rng, ['float32', 'int32', 'bool', 'uint16', 'uint8', 'float16', 'string', 'constructor']),
    ...(rng.next() < 0.3
      ? {
          quantization: pick(rng, [
            { dtype: 'uint8', scale: 0.1, min: -1 },
            { dtype: 'uint16', scale: 1, min: 0 },
            { dtype: 'float16' },
            { dtype: 'uint8' },
            { dtype: 'int4' },
            null,
          ]),
        }
      : {}),
  }));
  const paths = Array.from({ length: 1 + (rng.next() < 0.2 ? rng.int(5) : 0) }, () =>
    pick(rng, ['s.bin', 's.bin', 't.bin']),
  );
  const json = { format: 'layers-model', weightsManifest: [{ paths, weights }] };
  return [
    { name: 'model.json', bytes: utf8(JSON.stringify(json)) },
    { name: 's.bin', bytes: f32(Array.from({ length: rng.int(12) }, () => rng.next())) },
    { name: 't.bin', bytes: new Uint8Array(rng.int(16)) },
  ];
}

// ---------------------------------------------------------------- image headers

/** A random JPEG marker stream or GIF block stream, with fill bytes, nesting and lying lengths. */
export function randomImage(rng: Rng): Uint8Array {
  if (rng.next() < 0.5) {
    const out: number[] = [0xff, 0xd8];
    for (let i = 0, n = 1 + rng.int(5); i < n; i++) {
      for (let f = rng.int(3); f > 0; f--) out.push(0xff);
      const marker = pick(rng, [0xe0, 0xe1, 0xc0, 0xc2, 0xc4, 0xdb, 0xd0, 0x01, 0xda, 0xd9, 0xfe]);
      const size = pick(rng, [16, 9000, 65535, 0]);
      const payload =
        marker >= 0xc0 && marker <= 0xcf
          ? [8, size >> 8, size & 0xff, size >> 8, size & 0xff, 1, 1, 0x11, 0]
          : Array.from({ length: rng.int(12) }, () => rng.int(256));
      const len = rng.next() < 0.9 ? payload.length + 2 : rng.int(65536);
      out.push(0xff, marker, len >> 8, len & 0xff, ...payload);
    }
    return Uint8Array.from(out.slice(0, rng.next() < 0.2 ? rng.int(out.length) : out.length));
  }
  const u16 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff];
  const out: number[] = [
    ...latin1('GIF89a'),
    ...u16(pick(rng, [1, 16, 9000])),
    ...u16(16),
    rng.int(256),
    0,
    0,
  ];
  if (out[10]! & 0x80) out.push(...new Array(3 << ((out[10]! & 7) + 1)).fill(0));
  for (let i = 0, n = rng.int(4); i < n; i++) {
    if (rng.next() < 0.5) out.push(0x21, 0xf9, 4, 0, 0, 0, 0, 0);
    else
      out.push(
        0x2c,
        ...u16(pick(rng, [0, 8000])),
        ...u16(0),
        ...u16(pick(rng, [1, 16, 9000])),
        ...u16(16),
        rng.int(256),
        2,
        1,
        0,
        0,
      );
  }
  out.push(pick(rng, [0x3b, 0x00, 0x2c]));
  return Uint8Array.from(out);
}

export { crc32, writeZip };
