/**
 * Byte-level builders for hostile files: pickles opcode by opcode, zips whose directory may lie,
 * safetensors, .npy, tfjs and image headers. Used by scripts/make-hostile-files.ts (the committed
 * corpus) and by the structure-aware fuzz tests, which mutate what these build.
 */
import { deflateSync } from 'fflate';
import { crc32 } from '../../src/engine/checkpoints/zip';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const le = (n: number, bytes: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  let v = BigInt(n);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};

/** A pickle, written opcode by opcode (protocol 2, as torch.save writes). */
export class PickleWriter {
  private parts: Uint8Array[] = [new Uint8Array([0x80, 0x02])];
  op(...bytes: number[]): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    const b = utf8(s);
    return this.op(0x58).raw(le(b.length, 4)).raw(b); // BINUNICODE
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n); // BININT1
    if (n >= 0 && n < 2 ** 31) return this.op(0x4a).raw(le(n, 4)); // BININT
    const b = le(n, 8);
    return this.op(0x8a, 8).raw(b); // LONG1
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(latin1(`${module}\n${name}\n`));
  }
  put(i: number): this {
    return this.op(0x72).raw(le(i, 4)); // LONG_BINPUT
  }
  get(i: number): this {
    return this.op(0x6a).raw(le(i, 4)); // LONG_BINGET
  }
  /** Pushes `_rebuild_tensor_v2((storage, key, cpu, numel), offset, shape, stride)`. */
  tensor(key: string, numel: number, shape: number[], stride?: number[], dtype = 'FloatStorage'): this {
    const st = stride ?? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28); // MARK
    this.op(0x28).str('storage').global('torch', dtype).str(key).str('cpu').int(numel).op(0x74, 0x51); // TUPLE BINPERSID
    this.int(0).op(0x28);
    for (const d of shape) this.int(d);
    this.op(0x74, 0x28); // TUPLE MARK
    for (const s of st) this.int(s);
    this.op(0x74, 0x89); // TUPLE NEWFALSE
    this.global('collections', 'OrderedDict').op(0x29, 0x52); // EMPTY_TUPLE REDUCE
    return this.op(0x74, 0x52); // TUPLE REDUCE
  }
  stop(): Uint8Array {
    return concat([...this.parts, new Uint8Array([0x2e])]);
  }
}

/** One zip entry; the directory may lie about it (`declaredSize`, `crc`, `offsetOf`). */
export interface ZipSpec {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Uncompressed size written in the headers (default: the real one). */
  declaredSize?: number;
  crc?: number;
  /** Point this entry's directory record at another entry's local header (overlap). */
  sameAs?: string;
}

/** Writes a zip (stored or deflated entries), honouring the lies each spec asks for. */
export function writeZip(specs: readonly ZipSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const offsets = new Map<string, { offset: number; comp: number; crc: number; size: number }>();
  let offset = 0;
  for (const s of specs) {
    const name = utf8(s.name);
    const comp = s.deflate ? deflateSync(s.data, { level: 9 }) : s.data;
    const crc = s.crc ?? crc32(s.data);
    const size = s.declaredSize ?? s.data.length;
    const method = s.deflate ? 8 : 0;
    const header = (sig: number, central: boolean, at: number): Uint8Array => {
      const h = new Uint8Array((central ? 46 : 30) + name.length);
      const dv = new DataView(h.buffer);
      dv.setUint32(0, sig, true);
      const o = central ? 2 : 0;
      if (central) dv.setUint16(4, 20, true);
      dv.setUint16(4 + o, 20, true);
      dv.setUint16(8 + o, method, true);
      dv.setUint32(14 + o, crc, true);
      dv.setUint32(18 + o, comp.length, true);
      dv.setUint32(22 + o, size >>> 0, true);
      dv.setUint16(26 + o, name.length, true);
      if (central) dv.setUint32(42, at, true);
      h.set(name, central ? 46 : 30);
      return h;
    };
    const target = s.sameAs ? offsets.get(s.sameAs) : undefined;
    if (target) {
      // No local record of its own: the directory points at another entry's bytes.
      const h = header(0x02014b50, true, target.offset);
      const dv = new DataView(h.buffer);
      dv.setUint32(20, target.comp, true);
      dv.setUint32(24, target.size >>> 0, true);
      dv.setUint32(16, target.crc, true);
      central.push(h);
      continue;
    }
    const local = header(0x04034b50, false, 0);
    offsets.set(s.name, { offset, comp: comp.length, crc, size });
    central.push(header(0x02014b50, true, offset));
    parts.push(local, comp);
    offset += local.length + comp.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat([...parts, ...central, eocd]);
}

/** A torch.save-style archive: `archive/data.pkl`, storages under `archive/data/<key>`, version. */
export function torchZip(pickle: Uint8Array, storages: ZipSpec[] = [], deflatePickle = false): Uint8Array {
  return writeZip([
    { name: 'archive/data.pkl', data: pickle, deflate: deflatePickle },
    ...storages.map((s) => ({ ...s, name: `archive/data/${s.name}` })),
    { name: 'archive/version', data: utf8('3\n') },
  ]);
}

/** A safetensors file from a header object (or raw header text) and a data buffer. */
export function safetensors(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = typeof header === 'string' ? utf8(header) : utf8(JSON.stringify(header));
  return concat([le(h.length, 8), h, data]);
}

/** A .npy from raw header text (version 1.0 unless `major` says otherwise) and data. */
export function npy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const h = major === 3 ? utf8(header) : latin1(header);
  const len = major === 1 ? le(h.length, 2) : le(h.length, 4);
  return concat([Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]), len, h, data]);
}

/** The header numpy writes for a C-order array. */
export const npyHeader = (descr: string, shape: number[], fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }\n`;

export const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** A PNG signature and IHDR claiming `w`×`h` (no image data: the size check comes first). */
export function pngHeader(w: number, h: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, w);
  dv.setUint32(20, h);
  b.set([8, 0, 0, 0, 0], 24);
  dv.setUint32(29, crc32(b.subarray(12, 29)));
  return b;
}

/** A GIF whose logical screen is `screen` px square and whose one frame is `frame` px square. */
export function gif(screen: number, frame: number): Uint8Array {
  const u16 = (n: number): number[] => [n & 0xff, n >> 8];
  return Uint8Array.from([
    ...latin1('GIF89a'),
    ...u16(screen),
    ...u16(screen),
    0x00,
    0,
    0, // no global colour table
    0x21,
    0xf9,
    4,
    0,
    0,
    0,
    0,
    0, // graphic control extension
    0x2c,
    ...u16(0),
    ...u16(0),
    ...u16(frame),
    ...u16(frame),
    0x00, // image descriptor
    2,
    2,
    0x4c,
    0x01,
    0, // LZW min size, one sub-block, terminator
    0x3b,
  ]);
}

/** A JPEG: SOI, segments given as [marker, payload], an SOS and EOI. `fill` adds 0xFF fill bytes. */
export function jpeg(segments: [number, number[], number?][]): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  for (const [marker, payload, fill = 0] of segments) {
    for (let i = 0; i < fill; i++) out.push(0xff);
    out.push(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload);
  }
  out.push(0xff, 0xda, 0, 2, 0xff, 0xd9);
  return Uint8Array.from(out);
}

/** An SOF0 payload for `w`×`h`, 1 component. */
export const sof = (w: number, h: number): number[] => [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0];

/**
 * Overlapping entries, nested: entry i is stored and its data is entry i+1's local header and
 * data; the innermost entry is the deflated `kernel`. Every name matches its local header, so
 * only an overlap check can tell that one stream is counted once per entry.
 */
export function nestedZip(names: readonly string[], kernel: Uint8Array): Uint8Array {
  const local = (name: string, method: number, data: Uint8Array, size: number, crc: number): Uint8Array => {
    const n = utf8(name);
    const h = new Uint8Array(30 + n.length);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(8, method, true);
    dv.setUint32(14, crc, true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, size, true);
    dv.setUint16(26, n.length, true);
    h.set(n, 30);
    return concat([h, data]);
  };
  const comp = deflateSync(kernel, { level: 9 });
  const records: { name: string; method: number; comp: number; size: number; crc: number; offset: number }[] =
    [];
  let body = local(names[names.length - 1]!, 8, comp, kernel.length, crc32(kernel));
  records.unshift({
    name: names[names.length - 1]!,
    method: 8,
    comp: comp.length,
    size: kernel.length,
    crc: crc32(kernel),
    offset: 0,
  });
  for (let i = names.length - 2; i >= 0; i--) {
    const crc = crc32(body);
    const inner = body;
    body = local(names[i]!, 0, inner, inner.length, crc);
    records.unshift({ name: names[i]!, method: 0, comp: inner.length, size: inner.length, crc, offset: 0 });
  }
  let at = 0;
  for (const r of records) {
    r.offset = at;
    at += 30 + utf8(r.name).length;
  }
  const central = records.map((r) => {
    const n = utf8(r.name);
    const h = new Uint8Array(46 + n.length);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x02014b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(6, 20, true);
    dv.setUint16(10, r.method, true);
    dv.setUint32(16, r.crc, true);
    dv.setUint32(20, r.comp, true);
    dv.setUint32(24, r.size, true);
    dv.setUint16(28, n.length, true);
    dv.setUint32(42, r.offset, true);
    h.set(n, 46);
    return h;
  });
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, body.length, true);
  return concat([body, ...central, eocd]);
}
