import { MAX_LAYERS } from '../model';
import type { CheckpointError } from './types';

/**
 * One budget per import (DESIGN.md, "Budgets at every boundary"). Every reader charges it
 * WHILE it reads — before it allocates, never after — so a few-kilobyte file that claims
 * gigabytes is refused at the first claim that does not fit. The numbers are sized for an MLP
 * explorer: the largest model the benchmarks read (23.8 M parameters, 95 MB) fits with room.
 */
export interface ImportLimits {
  /** Each input file, before anything is parsed. */
  maxFileBytes: number;
  /** All files of one import together (a model.json with its shards, an index with its shards). */
  maxInputBytes: number;
  /** Bytes inflated from deflated zip entries, or assembled from several shards (copies). */
  maxInflatedBytes: number;
  /** Decoded tensors (float32/int32 output); a storage shared by several tensors counts once. */
  maxTensorBytes: number;
  /** Text headers: safetensors and .npy headers, model.json, index files, JSON weights, pickles. */
  maxHeaderBytes: number;
  /** Named tensors in one import. */
  maxTensors: number;
  /** Dimensions of one tensor. */
  maxRank: number;
  /** Entries in one zip's central directory. */
  maxZipEntries: number;
  /** Pickle virtual machine: opcodes run, stack slots, memo entries, items in one container, nesting. */
  maxPickleOps: number;
  maxPickleStack: number;
  maxPickleMemo: number;
  maxContainerItems: number;
  maxNesting: number;
  /** Linear layers in one MLP. */
  maxLayers: number;
}

const MiB = 2 ** 20;

/** The budget every import gets unless a caller (a dataset, a test) passes a tighter one. */
export const IMPORT_LIMITS: Readonly<ImportLimits> = {
  maxFileBytes: 1024 * MiB,
  maxInputBytes: 1024 * MiB,
  maxInflatedBytes: 256 * MiB,
  maxTensorBytes: 256 * MiB,
  maxHeaderBytes: 16 * MiB,
  maxTensors: 10_000,
  maxRank: 16,
  maxZipEntries: 10_000,
  maxPickleOps: 2_000_000,
  maxPickleStack: 100_000,
  maxPickleMemo: 200_000,
  maxContainerItems: 100_000,
  maxNesting: 32,
  maxLayers: MAX_LAYERS,
};

/** "256 MB", "16 MB", "900 bytes": sizes in messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * MiB) return `${+(n / (1024 * MiB)).toFixed(1)} GB`;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

type Make = (message: string) => CheckpointError;

/** Human names of the charged quantities, as they appear in refusals and in the README. */
const WHAT = {
  inflated: ['inflated/assembled bytes', 'maxInflatedBytes'],
  tensor: ['decoded tensor bytes', 'maxTensorBytes'],
  header: ['header bytes', 'maxHeaderBytes'],
} as const;

/**
 * The running totals of one import. `charge` adds an amount and throws the reader's own error
 * class, naming the limit, when the total would pass it; nothing has been allocated yet then.
 */
export class ImportBudget {
  readonly limits: Readonly<ImportLimits>;
  private used = { inflated: 0, tensor: 0, header: 0 };
  private tensorCount = 0;

  constructor(limits: Partial<ImportLimits> = {}) {
    this.limits = { ...IMPORT_LIMITS, ...limits };
  }

  /** Adds `bytes` of `kind`; `what` names the thing being read (a tensor, an entry). */
  charge(kind: keyof typeof WHAT, bytes: number, what: string, make: Make): void {
    const [label, key] = WHAT[kind];
    const limit = this.limits[key];
    const total = this.used[kind] + bytes;
    if (!Number.isFinite(bytes) || bytes < 0 || total > limit) {
      throw make(
        `${what}: needs ${Number.isFinite(bytes) ? formatBytes(bytes) : 'an impossible amount'}, which takes this import past its ` +
          `budget of ${formatBytes(limit)} of ${label} (limit ${key}); Weightscope explores MLPs and INRs, whose checkpoints are far smaller`,
      );
    }
    this.used[kind] = total;
  }

  /** Counts one more named tensor. */
  countTensor(what: string, make: Make): void {
    if (++this.tensorCount > this.limits.maxTensors)
      throw make(
        `${what}: more than ${this.limits.maxTensors.toLocaleString('en-US')} tensors in one import (limit maxTensors)`,
      );
  }

  /** Refuses a single file over `maxFileBytes`, and the import once its files pass `maxInputBytes`. */
  checkFiles(files: readonly { name: string; bytes: Uint8Array }[], make: Make): void {
    let total = 0;
    for (const f of files) {
      if (f.bytes.length > this.limits.maxFileBytes)
        throw make(
          `${f.name} is ${formatBytes(f.bytes.length)}; Weightscope reads checkpoint files up to ${formatBytes(this.limits.maxFileBytes)} ` +
            '(limit maxFileBytes; it explores MLPs and INRs, whose checkpoints are far smaller)',
        );
      total += f.bytes.length;
    }
    if (total > this.limits.maxInputBytes)
      throw make(
        `${files.map((f) => f.name).join(', ')} together are ${formatBytes(total)}; one import reads at most ` +
          `${formatBytes(this.limits.maxInputBytes)} (limit maxInputBytes)`,
      );
  }

  /** Snapshot of what was charged (for tests and benchmarks). */
  usage(): { inflated: number; tensor: number; header: number; tensors: number } {
    return { ...this.used, tensors: this.tensorCount };
  }
}

/** Bytes of one decoded element: floats become float32, integers int32, so 4 for every dtype. */
export const DECODED_BYTES = 4;
