import { DECODED_BYTES, IMPORT_LIMITS, ImportBudget } from './budget';
import { checkShape, JsonWeightsError, type CheckpointReader, type RawTensor } from './types';

/** Cheap JSON sniffing shared by the JSON-based readers: '{' first, no NUL in the first bytes. */
export function looksLikeJsonObject(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (b[i] !== 0x7b) return false;
  for (let k = 0; k < Math.min(b.length, 64); k++) if (b[k] === 0) return false;
  return true;
}

/**
 * Parses a JSON object of at most `maxBytes` (the header budget: JSON is parsed whole, and a parse
 * takes several times the text in memory), or returns null.
 */
export function parseJsonObject(
  b: Uint8Array,
  maxBytes = IMPORT_LIMITS.maxHeaderBytes,
): Record<string, unknown> | null {
  if (b.length > maxBytes || !looksLikeJsonObject(b)) return null;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(b));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const make = (m: string): JsonWeightsError => new JsonWeightsError(m);

/** Flattens a rectangular nested array of numbers, returning its shape. */
function flatten(v: unknown, name: string): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) {
    shape.push(x.length);
    if (shape.length > 8) throw make(`${name}: nested more than 8 levels deep`);
  }
  const values: number[] = [];
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof x !== 'number') throw make(`${name}: holds a non-number`);
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) throw make(`${name}: nested arrays are not rectangular`);
    for (const y of x) walk(y, d + 1);
  };
  walk(v, 0);
  return { shape, values };
}

/** Plain JSON weights: `{ "0.weight": [[…], …], "0.bias": […] }` (also `{ weights: {…} }`). */
export const jsonReader: CheckpointReader = {
  id: 'json',
  label: 'JSON of named nested arrays',
  match: (files) => {
    if (files.length !== 1) return false;
    const v = parseJsonObject(files[0]!.bytes);
    return (
      v !== null && Object.values(v).some((x) => Array.isArray(x) || (typeof x === 'object' && x !== null))
    );
  },
  read: (files, budget = new ImportBudget()) => {
    budget.checkFiles(files, make);
    budget.charge('header', files[0]!.bytes.length, files[0]!.name, make);
    const root = parseJsonObject(files[0]!.bytes, budget.limits.maxHeaderBytes);
    if (!root) throw make(`${files[0]!.name} is not a valid JSON object`);
    const body =
      typeof root.weights === 'object' && root.weights !== null && !Array.isArray(root.weights)
        ? (root.weights as Record<string, unknown>)
        : root;
    const tensors: RawTensor[] = [];
    for (const [name, v] of Object.entries(body)) {
      if (!Array.isArray(v)) continue;
      budget.countTensor(name, make);
      const { shape, values } = flatten(v, name);
      checkShape(shape, values.length, name, make);
      budget.charge('tensor', values.length * DECODED_BYTES, name, make);
      tensors.push({ name, dtype: 'F32', shape, data: Float32Array.from(values) });
    }
    if (tensors.length === 0) throw make(`${files[0]!.name} holds no arrays of numbers`);
    return { format: 'json', tensors, metadata: {} };
  },
};
