import { IMPORT_LIMITS, type ImportBudget } from './budget';

/**
 * Shared types for checkpoint readers and writers. Readers are plug-ins in the style of netron
 * (`source/safetensors.js`): each has `match` (by magic bytes, never by file extension) and
 * `read`, and throws its own subclass of `CheckpointError` with a message a person can act on.
 */

/** One dropped (or CLI-given) file: its base name and its bytes. */
export interface CheckpointFile {
  name: string;
  bytes: Uint8Array;
}

/** Element types, named as safetensors names them. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const isFloatDType = (d: DType): boolean => d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';

/**
 * A tensor as read from a file. Float tensors are converted to float32 (`data`); integer and
 * bool tensors keep `data = null` (weights must be floats) and, when every value fits, carry
 * their values in `intData` (labels in a classifier's `.npz`, for example).
 */
export interface RawTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: Float32Array | null;
  intData?: Int32Array;
}

/** What a reader returns: the format's id, tensors in file order, and string metadata. */
export interface CheckpointContents {
  format: string;
  tensors: RawTensor[];
  metadata: Record<string, string>;
}

/**
 * A format plug-in. `match` looks only at magic bytes and cheap structure; `read` validates,
 * charging `budget` (one per import; a fresh default one when omitted) while it reads.
 */
export interface CheckpointReader {
  id: string;
  label: string;
  match(files: CheckpointFile[]): boolean;
  read(files: CheckpointFile[], budget?: ImportBudget): CheckpointContents;
}

/** Largest single file Weightscope reads: this is an MLP explorer, not a model zoo loader. */
export const MAX_FILE_BYTES = IMPORT_LIMITS.maxFileBytes;

/** Base class of every checkpoint error; `format` names the reader (or 'unknown'). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  readonly format: string;
  constructor(format: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.format = format;
  }
}

export class SafetensorsError extends CheckpointError {
  override name = 'SafetensorsError';
  constructor(message: string) {
    super('safetensors', message);
  }
}
export class PickleError extends CheckpointError {
  override name = 'PickleError';
  constructor(message: string) {
    super('pytorch', message);
  }
}
export class PytorchError extends CheckpointError {
  override name = 'PytorchError';
  constructor(message: string) {
    super('pytorch', message);
  }
}
export class NumpyError extends CheckpointError {
  override name = 'NumpyError';
  constructor(message: string) {
    super('numpy', message);
  }
}
export class ZipError extends CheckpointError {
  override name = 'ZipError';
  constructor(message: string) {
    super('zip', message);
  }
}
export class TfjsError extends CheckpointError {
  override name = 'TfjsError';
  constructor(message: string) {
    super('tfjs', message);
  }
}
export class JsonWeightsError extends CheckpointError {
  override name = 'JsonWeightsError';
  constructor(message: string) {
    super('json', message);
  }
}
export class ArchitectureInferenceError extends CheckpointError {
  override name = 'ArchitectureInferenceError';
  constructor(message: string) {
    super('architecture', message);
  }
}

/** Largest single dimension anywhere: the tensor budget in elements (a dimension can never exceed it). */
export const MAX_DIMENSION = IMPORT_LIMITS.maxTensorBytes / 4;

/**
 * Checks a shape: at most `maxRank` non-negative safe integers, EACH at most MAX_DIMENSION
 * whatever the others are (a zero elsewhere must not let a dimension of 2⁵³ through; an empty
 * [0, 3] array is fine), and a product of at most `maxElems` (what `holds` names: the data, the
 * budget).
 */
export function checkShape(
  shape: unknown,
  maxElems: number,
  what: string,
  make: (msg: string) => CheckpointError,
  maxRank = IMPORT_LIMITS.maxRank,
  holds = 'the data holds',
): number[] {
  if (!Array.isArray(shape) || shape.length > maxRank)
    throw make(`${what}: shape must be a list of at most ${maxRank} dimensions (limit maxRank)`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw make(`${what}: shape ${JSON.stringify(shape)} holds a non-integer or negative dimension`);
    if (d > MAX_DIMENSION)
      throw make(
        `${what}: dimension ${d} of shape ${JSON.stringify(shape)} is over the ${MAX_DIMENSION} elements a tensor may hold ` +
          '(limit maxTensorBytes / 4); each dimension is checked, zeros elsewhere included',
      );
    n *= d;
  }
  // After the loop, so that a 0-d shape [] (one element) is held to the bound too.
  if (n > maxElems)
    throw make(`${what}: shape ${JSON.stringify(shape)} claims more elements than ${holds} (${maxElems})`);
  return shape as number[];
}
