import { Inflate } from 'fflate';
import { ImportBudget, formatBytes } from './budget';
import { ZipError } from './types';

/**
 * A small ZIP reader (PKWARE APPNOTE 6.3: end of central directory → central directory → local
 * headers) shared by PyTorch's `torch.save` archives and NumPy's `.npz`. It trusts nothing: the
 * entry count is capped, names with path tricks are refused, entries that overlap each other or
 * the directory are refused (one deflate stream must not be counted ten times), only the entries
 * a reader asks for are inflated, inflation streams and stops at the import budget and at the
 * entry's declared size, and every entry's CRC-32 is checked as Python's zipfile checks it.
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
  /** Where the entry's (compressed) data starts, after its local header. */
  dataOffset: number;
}

export const isZip = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

function u16(b: Uint8Array, o: number): number {
  if (o < 0 || o + 2 > b.length) throw new ZipError('zip structure points past the end of the file');
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  if (o < 0 || o + 4 > b.length) throw new ZipError('zip structure points past the end of the file');
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  const v = u32(b, o) + u32(b, o + 4) * 2 ** 32;
  if (!Number.isSafeInteger(v)) throw new ZipError('zip64 field too large');
  return v;
}

/** Refuses names that could escape a folder if anyone ever extracted them. */
function checkName(name: string): void {
  if (
    name.length === 0 ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[a-zA-Z]:/.test(name)
  ) {
    throw new ZipError(`zip entry name ${JSON.stringify(name)} is absolute or malformed`);
  }
  if (name.split('/').some((p) => p === '..'))
    throw new ZipError(`zip entry name ${JSON.stringify(name)} contains '..'`);
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const make = (m: string): ZipError => new ZipError(m);

/** Compressed bytes handed to the inflater at a time: bounds one step's output (≤ 1032:1). */
const INFLATE_CHUNK = 4096;

/** A parsed archive: its entries and a way to get one entry's bytes. */
export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly bytes: Uint8Array;
  private readonly byName: Map<string, ZipEntry>;
  readonly budget: ImportBudget;

  constructor(bytes: Uint8Array, budget: ImportBudget = new ImportBudget()) {
    this.bytes = bytes;
    this.budget = budget;
    this.entries = readCentralDirectory(bytes, budget.limits.maxZipEntries);
    this.byName = new Map(this.entries.map((e) => [e.name, e]));
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  private readonly reserved = new Set<ZipEntry>();

  /**
   * Charges the declared sizes of every deflated entry a reader is about to read, all at once,
   * so that an archive whose entries together pass the budget is refused before any inflation.
   */
  reserve(entries: readonly ZipEntry[]): void {
    const todo = entries.filter((e) => e.method !== 0 && !this.reserved.has(e));
    const total = todo.reduce((s, e) => s + e.size, 0);
    const what =
      todo.length === 1
        ? `zip entry ${todo[0]!.name}`
        : `${todo.length} zip entries (${todo
            .slice(0, 3)
            .map((e) => e.name)
            .join(', ')}${todo.length > 3 ? ', …' : ''})`;
    this.budget.charge('inflated', total, what, make);
    for (const e of todo) this.reserved.add(e);
  }

  /**
   * The entry's uncompressed bytes: a view for stored entries, a fresh buffer for deflated ones,
   * whose declared size is charged to the import budget BEFORE inflating. Inflation streams and
   * stops as soon as the output passes the declared size; the CRC-32 is checked either way.
   */
  read(entry: ZipEntry): Uint8Array {
    const raw = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    let out: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size)
        throw new ZipError(`zip entry ${entry.name}: stored entry sizes disagree`);
      out = raw;
    } else {
      if (!this.reserved.has(entry))
        this.budget.charge('inflated', entry.size, `zip entry ${entry.name}`, make);
      out = inflateBounded(raw, entry);
    }
    if (crc32(out) !== entry.crc)
      throw new ZipError(`zip entry ${entry.name}: CRC-32 mismatch (the file is corrupt or was altered)`);
    return out;
  }
}

/** Inflates into a buffer of exactly the declared size; refuses a stream that yields more or less. */
function inflateBounded(raw: Uint8Array, entry: ZipEntry): Uint8Array {
  const out = new Uint8Array(entry.size);
  let got = 0;
  let over = false;
  let done = false;
  const inf = new Inflate((chunk, final) => {
    if (got + chunk.length > out.length) over = true;
    else out.set(chunk, got);
    got += chunk.length;
    if (final) done = true;
  });
  try {
    for (let at = 0; at < raw.length && !over; at += INFLATE_CHUNK) {
      const end = Math.min(raw.length, at + INFLATE_CHUNK);
      inf.push(raw.subarray(at, end), end === raw.length);
    }
  } catch (e) {
    throw new ZipError(`zip entry ${entry.name}: corrupt deflate stream (${(e as Error).message})`);
  }
  if (over)
    throw new ZipError(
      `zip entry ${entry.name}: inflates past its declared size of ${formatBytes(entry.size)}; refused (a zip bomb or a corrupt file)`,
    );
  if (!done || got !== entry.size)
    throw new ZipError(
      `zip entry ${entry.name}: inflated to ${got} bytes, header says ${entry.size}${done ? '' : ' (stream ends early)'}`,
    );
  return out;
}

function findEocd(b: Uint8Array): number {
  const min = Math.max(0, b.length - 22 - 0xffff);
  for (let i = b.length - 22; i >= min; i--) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) return i;
  }
  throw new ZipError('not a zip archive: end of central directory not found (file truncated?)');
}

function readCentralDirectory(b: Uint8Array, maxEntries: number): ZipEntry[] {
  const eocd = findEocd(b);
  let count = u16(b, eocd + 10);
  let cdSize = u32(b, eocd + 12);
  let cdOffset = u32(b, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // Zip64: the locator sits just before the classic record and points at the zip64 record.
    const loc = eocd - 20;
    if (u32(b, loc) !== 0x07064b50) throw new ZipError('zip64 locator missing');
    const rec = u64(b, loc + 8);
    if (u32(b, rec) !== 0x06064b50) throw new ZipError('zip64 end of central directory missing');
    count = u64(b, rec + 32);
    cdSize = u64(b, rec + 40);
    cdOffset = u64(b, rec + 48);
  }
  if (count > maxEntries)
    throw new ZipError(`zip holds ${count} entries; at most ${maxEntries} are read (limit maxZipEntries)`);
  if (cdOffset + cdSize > b.length) throw new ZipError('zip central directory lies outside the file');
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(b, p) !== 0x02014b50) throw new ZipError(`zip central directory entry ${i} is corrupt`);
    const flags = u16(b, p + 8);
    const method = u16(b, p + 10);
    const crc = u32(b, p + 16);
    let compressedSize = u32(b, p + 20);
    let size = u32(b, p + 24);
    const nameLen = u16(b, p + 28);
    const extraLen = u16(b, p + 30);
    const commentLen = u16(b, p + 32);
    let localOffset = u32(b, p + 42);
    if (p + 46 + nameLen > b.length) throw new ZipError('zip entry name runs past the end of the file');
    const nameBytes = b.subarray(p + 46, p + 46 + nameLen);
    const name = decoder.decode(nameBytes);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      // Zip64 extra field (id 1) holds, in order, only the fields that overflowed.
      let q = p + 46 + nameLen;
      const qEnd = q + extraLen;
      while (q + 4 <= qEnd) {
        const id = u16(b, q);
        const len = u16(b, q + 2);
        if (id === 1) {
          let r = q + 4;
          if (size === 0xffffffff) {
            size = u64(b, r);
            r += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = u64(b, r);
            r += 8;
          }
          if (localOffset === 0xffffffff) localOffset = u64(b, r);
          break;
        }
        q += 4 + len;
      }
    }
    checkName(name);
    if (flags & 1) throw new ZipError(`zip entry ${name} is encrypted`);
    if (method !== 0 && method !== 8)
      throw new ZipError(
        `zip entry ${name} uses compression method ${method}; only stored and deflated are read`,
      );
    if (names.has(name)) throw new ZipError(`zip holds two entries named ${name}`);
    names.add(name);
    // The local header repeats the name (Python's zipfile refuses a mismatch) and has its own
    // extra field, so the data starts only after both.
    if (localOffset + 30 > b.length || u32(b, localOffset) !== 0x04034b50)
      throw new ZipError(`zip entry ${name}: local header missing`);
    const localNameLen = u16(b, localOffset + 26);
    const dataOffset = localOffset + 30 + localNameLen + u16(b, localOffset + 28);
    const localName = b.subarray(localOffset + 30, localOffset + 30 + localNameLen);
    if (localNameLen !== nameLen || !localName.every((c, k) => c === nameBytes[k]))
      throw new ZipError(`zip entry ${name}: the local header names a different file`);
    if (dataOffset + compressedSize > b.length) throw new ZipError(`zip entry ${name} lies outside the file`);
    entries.push({ name, method, compressedSize, size, crc, localOffset, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  checkNoOverlap(entries, cdOffset);
  return entries;
}

/**
 * Entries (local header + data) must not overlap each other or the central directory: a
 * directory that points ten names at one deflate stream would otherwise inflate it ten times.
 */
function checkNoOverlap(entries: ZipEntry[], cdOffset: number): void {
  const spans = entries
    .map((e) => ({ name: e.name, from: e.localOffset, to: e.dataOffset + e.compressedSize }))
    .sort((x, y) => x.from - y.from);
  let end = 0;
  let prev = '';
  for (const s of spans) {
    if (s.from < end)
      throw new ZipError(`zip entries ${prev} and ${s.name} overlap; refused (a zip bomb or a corrupt file)`);
    end = s.to;
    prev = s.name;
  }
  if (end > cdOffset) throw new ZipError(`zip entry ${prev} overlaps the central directory`);
}

/** Slicing-by-8 tables (Intel's method): T[k][n] is the CRC of byte n followed by k zero bytes. */
const CRC_TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) t[k]![n] = (t[k - 1]![n]! >>> 8) ^ t[0]![t[k - 1]![n]! & 0xff]!;
  return t;
})();

/**
 * CRC-32 (ISO-HDLC), as ZIP stores it; Python's zipfile checks it on read. Eight bytes a step
 * (slicing-by-8): every entry read is checked, so this runs over every byte of a checkpoint.
 */
export function crc32(data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = 0xffffffff;
  let i = 0;
  for (const end = data.length - 7; i < end; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[hi & 0xff]! ^
      t2[(hi >>> 8) & 0xff]! ^
      t1[(hi >>> 16) & 0xff]! ^
      t0[hi >>> 24]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Writes a stored (uncompressed) zip; names must be ASCII. Sizes must stay under 4 GB. With
 * `align`, each entry's data starts on a multiple of `align` bytes, padded by an extra field
 * with id "FB" as PyTorch's writer does (it aligns storages to 64 bytes so they can be mapped).
 */
export function writeStoredZip(files: { name: string; data: Uint8Array }[], align = 0): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    const crc = crc32(f.data);
    const pad = align > 0 ? (align - ((offset + 30 + name.length + 4) % align)) % align : -4;
    const extra = pad + 4;
    const local = new Uint8Array(30 + name.length + extra);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint32(14, crc, true);
    dv.setUint32(18, f.data.length, true);
    dv.setUint32(22, f.data.length, true);
    dv.setUint16(26, name.length, true);
    dv.setUint16(28, extra, true);
    local.set(name, 30);
    if (extra > 0) {
      dv.setUint16(30 + name.length, 0x4246, true); // "FB"
      dv.setUint16(32 + name.length, pad, true);
      local.fill(0x5a, 34 + name.length); // "Z"
    }
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, f.data);
    central.push(cd);
    offset += local.length + f.data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...parts, ...central, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
