import { decodeTensor } from './convert';
import { parseJsonObject } from './json';
import {
  checkFileSize,
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
const MAX_JSON = 50_000_000;

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
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

const TFJS_DTYPES: Record<string, DType> = {
  float32: 'F32',
  int32: 'I32',
  bool: 'BOOL',
  float16: 'F16',
  uint8: 'U8',
  uint16: 'I32',
};

function readGroup(
  group: { paths: unknown; weights: unknown },
  files: CheckpointFile[],
  out: RawTensor[],
): void {
  if (!Array.isArray(group.paths) || !Array.isArray(group.weights))
    throw make('weightsManifest group lacks paths or weights');
  const shards: Uint8Array[] = [];
  for (const p of group.paths) {
    if (typeof p !== 'string') throw make('weightsManifest path is not a string');
    const f = files.find((x) => x.name === p || baseName(x.name) === baseName(p));
    if (!f) throw make(`model.json needs weight shard ${baseName(p)}; drop it together with model.json`);
    checkFileSize(f, make);
    shards.push(f.bytes);
  }
  const total = shards.reduce((s, x) => s + x.length, 0);
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
    const shape = checkShape(w.shape, total, `weight ${w.name}`, make);
    const n = shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    const stored = q ? q.dtype : w.dtype;
    const dtype = typeof stored === 'string' ? TFJS_DTYPES[stored] : undefined;
    if (!dtype)
      throw make(
        `weight ${w.name} has dtype ${JSON.stringify(stored)}; supported: float32, int32, bool, and float16/uint8/uint16 quantization`,
      );
    const size = stored === 'uint16' ? 2 : dtype === 'F16' ? 2 : dtype === 'U8' || dtype === 'BOOL' ? 1 : 4;
    if (off + n * size > total)
      throw make(`weight ${w.name} runs past the end of its shards (${total} bytes)`);
    let t: RawTensor;
    if (q && (stored === 'uint8' || stored === 'uint16')) {
      // Affine quantisation: value = q · scale + min (tfjs-core io/types.ts).
      const scale = typeof q.scale === 'number' ? q.scale : NaN;
      const min = typeof q.min === 'number' ? q.min : NaN;
      if (!Number.isFinite(scale) || !Number.isFinite(min))
        throw make(`weight ${w.name}: quantization lacks a finite scale/min`);
      const data = new Float32Array(n);
      const dv = new DataView(buf.buffer, buf.byteOffset + off, n * size);
      for (let i = 0; i < n; i++)
        data[i] = (size === 1 ? dv.getUint8(i) : dv.getUint16(2 * i, true)) * scale + min;
      t = {
        name: w.name,
        dtype: w.dtype === 'float32' ? 'F32' : 'I32',
        shape,
        data: w.dtype === 'float32' ? data : null,
      };
    } else {
      t = decodeTensor(w.name, dtype, shape, buf, off);
      if (q) t = { ...t, dtype: 'F32' };
    }
    out.push(t);
    off += n * size;
  }
}

/** Reads `model.json` plus its weight shards (matched by base name). */
export function readTfjs(files: CheckpointFile[]): CheckpointContents {
  const jsonFile = files.find((f) => parseModelJson(f) !== null);
  if (!jsonFile) throw make('no model.json with a weightsManifest among the files');
  const model = parseModelJson(jsonFile)!;
  const tensors: RawTensor[] = [];
  for (const group of model.weightsManifest) {
    if (typeof group !== 'object' || group === null) throw make('weightsManifest group is not an object');
    readGroup(group, files, tensors);
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
