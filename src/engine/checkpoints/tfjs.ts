import { decodeTensor } from './convert';
import { parseJsonObject } from './json';
import { DECODED_BYTES, IMPORT_LIMITS, ImportBudget } from './budget';
import {
  checkShape,
  TfjsError,
  type CheckpointContents,
  type CheckpointFile,
  type CheckpointReader,
  type DType,
  type RawTensor,
} from './types';

/**
 * TensorFlow.js layers/graph models: `model.json` holds `modelTopology` and a `weightsManifest`
 * of groups `{paths: [shard…], weights: [{name, shape, dtype, quantization?}]}`; each group's
 * shards concatenate into one buffer that holds its weights back to back (tfjs-core
 * `io/weights_loader.ts`). Keras Dense kernels are stored [in, out]; `inferArchitecture`
 * detects that from the chain of shapes and `toModel` transposes them to PyTorch's [out, in].
 */

const make = (m: string): TfjsError => new TfjsError(m);
const MAX_JSON = IMPORT_LIMITS.maxHeaderBytes;

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: unknown; scale?: unknown; min?: unknown };
}
interface ModelJson {
  modelTopology?: unknown;
  format?: unknown;
  generatedBy?: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

function parseModelJson(f: CheckpointFile): ModelJson | null {
  const v = parseJsonObject(f.bytes, MAX_JSON);
  return v && Array.isArray(v.weightsManifest) ? (v as unknown as ModelJson) : null;
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Hidden/output activations of Dense layers, from the Keras topology, when present. */
function denseActivations(topology: unknown): string[] {
  const t = topology as {
    config?: { layers?: unknown };
    model_config?: { config?: { layers?: unknown } };
  } | null;
  const layers = t?.config?.layers ?? t?.model_config?.config?.layers;
  if (!Array.isArray(layers)) return [];
  const out: string[] = [];
  for (const l of layers as { class_name?: unknown; config?: { activation?: unknown } }[]) {
    if (l?.class_name === 'Dense' && typeof l.config?.activation === 'string') out.push(l.config.activation);
  }
  return out;
}

/** Bytes per stored element and the DType decoded, for the dtypes tfjs-core's decodeWeight reads. */
const PLAIN: Record<string, { dtype: DType; size: number }> = {
  float32: { dtype: 'F32', size: 4 },
  int32: { dtype: 'I32', size: 4 },
  bool: { dtype: 'BOOL', size: 1 },
};
const QUANT_SIZE: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
/** A table lookup that never reaches Object.prototype ("constructor", "toString"…). */
const own = <T>(table: Record<string, T>, key: unknown): T | undefined =>
  typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;

/**
 * Decodes one weight exactly as tfjs-core 4.22 `io/io_utils.ts` decodeWeight does: without
 * quantization only float32, int32 and bool exist; uint8/uint16 quantization needs min and scale
 * (int32 weights round); float16 quantization only for float32 weights. Everything else is
 * refused with tfjs's own reason, never read some other way.
 */
function decodeWeight(w: WeightSpec, shape: number[], buf: Uint8Array, off: number): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const q = w.quantization;
  if (!q) {
    const plain = own(PLAIN, w.dtype);
    if (!plain)
      throw make(
        `weight ${w.name} has dtype ${JSON.stringify(w.dtype)}; TensorFlow.js stores weights as float32, int32 or bool (other widths only as quantization)`,
      );
    return decodeTensor(w.name, plain.dtype, shape, buf, off);
  }
  if (typeof q !== 'object' || q === null || !own(QUANT_SIZE, q.dtype))
    throw make(
      `weight ${w.name} has quantization ${JSON.stringify(q?.dtype)}; supported: uint8, uint16, float16`,
    );
  if (q.dtype === 'float16') {
    if (w.dtype !== 'float32')
      throw make(`weight ${w.name}: float16 quantization is only for float32 weights`);
    return { ...decodeTensor(w.name, 'F16', shape, buf, off), dtype: 'F32' };
  }
  if (w.dtype !== 'float32' && w.dtype !== 'int32')
    throw make(`weight ${w.name}: ${q.dtype} quantization is only for float32 or int32 weights`);
  // Affine quantisation: value = q · scale + min (tfjs-core io/types.ts).
  const scale = typeof q.scale === 'number' ? q.scale : NaN;
  const min = typeof q.min === 'number' ? q.min : NaN;
  if (!Number.isFinite(scale) || !Number.isFinite(min))
    throw make(`weight ${w.name}: quantization lacks a finite scale/min`);
  const dv = new DataView(buf.buffer, buf.byteOffset + off, n * own(QUANT_SIZE, q.dtype)!);
  const value = (i: number): number =>
    (q.dtype === 'uint8' ? dv.getUint8(i) : dv.getUint16(2 * i, true)) * scale + min;
  if (w.dtype === 'float32') {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = value(i);
    return { name: w.name, dtype: 'F32', shape, data };
  }
  const intData = new Int32Array(n);
  for (let i = 0; i < n; i++) intData[i] = Math.round(value(i));
  return { name: w.name, dtype: 'I32', shape, data: null, intData };
}

function readGroup(
  group: { paths: unknown; weights: unknown },
  files: CheckpointFile[],
  out: RawTensor[],
  names: Set<string>,
  budget: ImportBudget,
): void {
  if (!Array.isArray(group.paths) || !Array.isArray(group.weights))
    throw make('weightsManifest group lacks paths or weights');
  const shards: Uint8Array[] = [];
  const used = new Set<CheckpointFile>();
  for (const p of group.paths) {
    if (typeof p !== 'string') throw make('weightsManifest path is not a string');
    const f = files.find((x) => x.name === p || baseName(x.name) === baseName(p));
    if (!f) throw make(`model.json needs weight shard ${baseName(p)}; drop it together with model.json`);
    // One shard listed 3,000 times would otherwise be concatenated 3,000 times.
    if (used.has(f)) throw make(`model.json lists weight shard ${baseName(p)} twice`);
    used.add(f);
    shards.push(f.bytes);
  }
  const total = shards.reduce((s, x) => s + x.length, 0);
  if (shards.length > 1) budget.charge('inflated', total, 'the weight shards, joined', make);
  const buf = shards.length === 1 ? shards[0]! : new Uint8Array(total);
  if (shards.length > 1) {
    let at = 0;
    for (const s of shards) {
      buf.set(s, at);
      at += s.length;
    }
  }
  let off = 0;
  for (const w of group.weights as WeightSpec[]) {
    if (typeof w !== 'object' || w === null || typeof w.name !== 'string')
      throw make('weightsManifest entry without a name');
    // Two weights of one name: the model would be built from one, the architecture read from the other.
    if (names.has(w.name)) throw make(`model.json lists weight ${w.name} twice`);
    names.add(w.name);
    budget.countTensor(`weight ${w.name}`, make);
    const shape = checkShape(w.shape, total, `weight ${w.name}`, make);
    const n = shape.reduce((a, b) => a * b, 1);
    const stored = w.quantization ? own(QUANT_SIZE, w.quantization.dtype) : own(PLAIN, w.dtype)?.size;
    const size = stored ?? 4;
    if (off + n * size > total)
      throw make(`weight ${w.name} runs past the end of its shards (${total} bytes)`);
    budget.charge('tensor', n * DECODED_BYTES, `weight ${w.name}`, make);
    out.push(decodeWeight(w, shape, buf, off));
    off += n * size;
  }
}

/** Reads `model.json` plus its weight shards (matched by base name). */
export function readTfjs(files: CheckpointFile[], budget = new ImportBudget()): CheckpointContents {
  budget.checkFiles(files, make);
  const jsonFile = files.find((f) => parseModelJson(f) !== null);
  if (!jsonFile) throw make('no model.json with a weightsManifest among the files');
  budget.charge('header', jsonFile.bytes.length, jsonFile.name, make);
  const model = parseModelJson(jsonFile)!;
  const tensors: RawTensor[] = [];
  const names = new Set<string>();
  for (const group of model.weightsManifest) {
    if (typeof group !== 'object' || group === null) throw make('weightsManifest group is not an object');
    readGroup(group, files, tensors, names, budget);
  }
  const metadata: Record<string, string> = {};
  if (typeof model.format === 'string') metadata['tfjs.format'] = model.format;
  if (typeof model.generatedBy === 'string') metadata['tfjs.generatedBy'] = model.generatedBy;
  const acts = denseActivations(model.modelTopology);
  if (acts.length) metadata['tfjs.activations'] = JSON.stringify(acts);
  return { format: 'tfjs', tensors, metadata };
}

export const tfjsReader: CheckpointReader = {
  id: 'tfjs',
  label: 'TensorFlow.js (model.json + weight shards)',
  match: (files) => files.some((f) => parseModelJson(f) !== null),
  read: readTfjs,
};
