/**
 * A model zoo: N trained MLPs of one architecture, held as one [N, D] matrix of flattened
 * parameters (each row in `flattenModel` order: layers.0.weight, layers.0.bias, …) plus one
 * integer label per member. This is the data that weight-space learning reads (DWSNets, Navon et
 * al. 2023; NFN, Zhou et al. 2023): a zoo of INRs, one per image, is a dataset.
 */
import type { MlpArch } from '../model';
import type { ClassifierZooSettings } from './classifier-source';

/** A per-member array kept as it was read (e.g. `psnr` [N], `seed` [N]). */
export interface ZooColumn {
  name: string;
  /** Full shape, first axis N. */
  shape: number[];
  data: Float32Array | Int32Array;
}

/** What the INRs of a zoo represent, when it is a zoo of INRs. */
export interface InrSettings {
  height: number;
  width: number;
  channels: number;
}

/** Settings the file carried (or that were inferred), beyond the tensors. */
export interface ZooMeta {
  /** Where the members came from, e.g. "mnist" or "image:face.png". */
  source?: string;
  /** INR grid, when the members are INRs; reconstructions use it. */
  inr?: InrSettings;
  /** Human names of the label values, index = label. */
  labelNames?: string[];
  /** How a classifier zoo was built (label by seed or task, architecture, training). */
  classifiers?: ClassifierZooSettings;
  /**
   * True when the file had no architecture metadata: widths came from the shapes and the
   * activation is a default (sine, w0 = 30 — the DWSNets INR setting) that the person may change.
   */
  archInferred: boolean;
  /** Tensors that are not per-member arrays (first axis ≠ N); listed, not used. */
  ignored: string[];
}

/** A validated zoo: everything past `parseZoo` may trust these invariants. */
export interface Zoo {
  arch: MlpArch;
  /** Members. 2 ≤ n ≤ ZOO_LIMITS.maxMembers. */
  n: number;
  /** Parameters per member (paramCount(arch)). */
  dim: number;
  /** [n, dim], finite. */
  params: Float32Array;
  /** [n], 0 ≤ label < ZOO_LIMITS.maxClasses. */
  labels: Int32Array;
  /** [n] of 0 (train), 1 (validation), 2 (test), or null when the file has none. */
  split: Uint8Array | null;
  columns: ZooColumn[];
  meta: ZooMeta;
}

/** Budgets enforced at the boundary (files and zoos built in the app alike). */
export const ZOO_LIMITS = {
  /** Members in one zoo. */
  maxMembers: 100_000,
  /** Bytes of one zoo file (checked before it is read, from the file's size). */
  maxFileBytes: 1 << 30,
  /** float32 parameter bytes in memory (N · D · 4). */
  maxParamBytes: 1 << 30,
  /** Distinct label values. */
  maxClasses: 1000,
  /** Bytes of the metadata JSON. */
  maxMetaBytes: 1 << 20,
  /** Linear layers per member. */
  maxLayers: 64,
} as const;

/** A refused zoo file or zoo; the message says what is wrong and what to do. */
export class ZooError extends Error {
  override name = 'ZooError';
}

/** The metadata key (safetensors `__metadata__`) and npz entry that carry a zoo's settings. */
export const ZOO_META_KEY = 'weightscope.zoo';
export const ZOO_META_ENTRY = 'meta.json';
