import { decodeTensor } from './convert';
import { parseJsonObject as parseJsonFile } from './json';
import { DECODED_BYTES, ImportBudget } from './budget';
import {
  checkShape,
  DTYPE_SIZE,
  SafetensorsError,
  type CheckpointContents,
  type CheckpointFile,
  type CheckpointReader,
  type DType,
  type RawTensor,
} from './types';

/**
 * safetensors (huggingface/safetensors, docs "Format"): u64 little-endian header length N, N
 * bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?:
 * {str: str}}`, then the byte buffer. Offsets are relative to the buffer and must tile it.
 */

const MAX_HEADER = 100_000_000;
const make = (m: string): SafetensorsError => new SafetensorsError(m);

function headerLength(b: Uint8Array): number | null {
  if (b.length < 10) return null;
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  return hi === 0 ? lo : null;
}

/** Magic: a plausible header length followed by '{'. */
export function looksLikeSafetensors(b: Uint8Array): boolean {
  const n = headerLength(b);
  return n !== null && n >= 2 && b[8] === 0x7b;
}

const fatal = new TextDecoder('utf-8', { fatal: true });

function decodeHeader(bytes: Uint8Array, what: string): string {
  try {
    return fatal.decode(bytes);
  } catch {
    throw make(`${what}: header is not valid UTF-8`);
  }
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw make(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw make(`${what}: header must be a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * JSON.parse keeps the last of two equal keys silently. The reference implementation (Rust,
 * serde) refuses a repeated field inside a tensor entry ("duplicate field `dtype`"), and a repeated
 * tensor name would make two readers see two files, so both are found here in one linear pass over
 * the (already validated) text: a stack of key sets, one per open object at depth 1 and 2, outside
 * `__metadata__`, whose map semantics keep the last value in both readers.
 */
function firstDuplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let skipDepth = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push(stack.length < 2 && skipDepth < 0 ? new Set() : null);
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') {
      stack.pop();
      if (stack.length <= skipDepth) skipDepth = -1;
    } else if (c === '"') {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          escaped = true;
          j++;
        }
        j++;
      }
      let k = j + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t'))
        k++;
      const keys = stack[stack.length - 1];
      if (text[k] === ':' && keys) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (keys.has(key)) return stack.length === 1 ? key : `a field ${key} inside one entry`;
        keys.add(key);
        if (stack.length === 1 && key === '__metadata__') skipDepth = 1;
      }
      i = j;
    }
  }
  return null;
}

/** Reads one safetensors file, validating the header before touching any tensor bytes. */
export function readSafetensorsFile(file: CheckpointFile, budget = new ImportBudget()): CheckpointContents {
  budget.checkFiles([file], make);
  const b = file.bytes;
  const n = headerLength(b);
  if (n === null || n > MAX_HEADER)
    throw make(`${file.name}: header length is over 100 MB; the file is corrupt or not safetensors`);
  if (8 + n > b.length)
    throw make(`${file.name}: header claims ${n} bytes but the file has ${b.length - 8} after the length`);
  budget.charge('header', n, `${file.name} header`, make);
  const text = decodeHeader(b.subarray(8, 8 + n), file.name);
  const header = parseJsonObject(text, file.name);
  const dup = firstDuplicateKey(text);
  if (dup !== null)
    throw make(
      `${file.name}: header names ${dup.startsWith('a field') ? dup : `tensor ${JSON.stringify(dup)}`} twice`,
    );
  const dataStart = 8 + n;
  const dataLen = b.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw make(`${file.name}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw make(`${file.name}: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    budget.countTensor(`${file.name}: tensor ${name}`, make);
    if (typeof raw !== 'object' || raw === null) throw make(`${file.name}: entry ${name} is not an object`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      throw make(
        `${file.name}: tensor ${name} has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_SIZE).join(', ')}`,
      );
    }
    const dt = dtype as DType;
    const sh = checkShape(shape, dataLen, `${file.name}: tensor ${name}`, make);
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      throw make(`${file.name}: tensor ${name} has malformed data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen)
      throw make(
        `${file.name}: tensor ${name} data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte buffer`,
      );
    const elems = sh.reduce((a, c) => a * c, 1);
    const need = elems * DTYPE_SIZE[dt];
    if (need !== end - begin)
      throw make(
        `${file.name}: tensor ${name} of shape [${sh.join(', ')}] ${dt} needs ${need} bytes but data_offsets span ${end - begin}`,
      );
    budget.charge('tensor', elems * DECODED_BYTES, `${file.name}: tensor ${name}`, make);
    entries.push({ name, dtype: dt, shape: sh, begin, end });
  }
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at)
      throw make(
        `${file.name}: tensor ${e.name} starts at byte ${e.begin} but the previous tensor ends at ${at}; offsets must be contiguous`,
      );
    at = e.end;
  }
  if (at !== dataLen) throw make(`${file.name}: tensors cover ${at} bytes but the buffer holds ${dataLen}`);
  const tensors: RawTensor[] = entries.map((e) =>
    decodeTensor(e.name, e.dtype, e.shape, b, dataStart + e.begin),
  );
  return { format: 'safetensors', tensors, metadata };
}

export const safetensorsReader: CheckpointReader = {
  id: 'safetensors',
  label: 'safetensors (.safetensors)',
  match: (files) => files.length === 1 && looksLikeSafetensors(files[0]!.bytes),
  read: (files, budget) => readSafetensorsFile(files[0]!, budget),
};

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function parseIndex(
  file: CheckpointFile,
): { weightMap: Record<string, string>; metadata: Record<string, string> } | null {
  const v = parseJsonFile(file.bytes);
  const wm = v?.weight_map;
  if (!v || typeof wm !== 'object' || wm === null || Array.isArray(wm)) return null;
  const weightMap: Record<string, string> = {};
  for (const [k, s] of Object.entries(wm)) if (typeof s === 'string') weightMap[k] = s;
  const metadata: Record<string, string> = {};
  const md = v.metadata;
  if (typeof md === 'object' && md !== null)
    for (const [k, s] of Object.entries(md)) metadata[k] = typeof s === 'string' ? s : JSON.stringify(s);
  return { weightMap, metadata };
}

/** Sharded safetensors: `*.safetensors.index.json` (`weight_map`) dropped with its shards. */
export const safetensorsIndexReader: CheckpointReader = {
  id: 'safetensors-sharded',
  label: 'sharded safetensors (model.safetensors.index.json + shards)',
  match: (files) => files.some((f) => parseIndex(f) !== null),
  read: (files, budget = new ImportBudget()) => {
    budget.checkFiles(files, make);
    const indexFile = files.find((f) => parseIndex(f) !== null)!;
    budget.charge('header', indexFile.bytes.length, indexFile.name, make);
    const { weightMap, metadata } = parseIndex(indexFile)!;
    const shardNames = [...new Set(Object.values(weightMap))];
    const tensors: RawTensor[] = [];
    const seen = new Set<string>();
    for (const shard of shardNames) {
      const file = files.find((f) => f.name === shard || baseName(f.name) === baseName(shard));
      if (!file) throw make(`${indexFile.name} lists shard ${shard}; drop it together with the index`);
      const c = readSafetensorsFile(file, budget);
      Object.assign(metadata, c.metadata);
      for (const t of c.tensors) {
        if (weightMap[t.name] === undefined) continue;
        if (seen.has(t.name)) throw make(`tensor ${t.name} appears in more than one shard`);
        seen.add(t.name);
        tensors.push(t);
      }
    }
    const missing = Object.keys(weightMap).filter((k) => !seen.has(k));
    if (missing.length)
      throw make(`${indexFile.name} maps ${missing.slice(0, 5).join(', ')} to shards that do not hold them`);
    return { format: 'safetensors-sharded', tensors, metadata };
  },
};
