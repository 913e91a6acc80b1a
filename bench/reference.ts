/**
 * Reference rows run one at a time, right after the same row of ours (interleaved, so that both
 * see the same machine): bench/torch_bench.py in a process of its own with its BLAS and OpenMP
 * threads set, and the tensors it needs handed over in a temporary safetensors file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packSafetensors } from '../src/engine/checkpoints/writers';
import type { BenchRow } from './measure';

export const PYTHON = '/usr/bin/python3';

/**
 * glibc malloc told to keep what the reference frees: by default it gives every large block
 * (≥ 128 KiB… 32 MiB) back to the kernel on free and faults it in again on the next allocation,
 * and on a VM a page fault can cost ~100 µs: PyTorch's SIREN step then spent 30–40 % of its CPU
 * time in the kernel on a million faults (2 Dec 2026), 3× slower per CPU-second than with these.
 * Our side sizes its WebAssembly memory once and does not fault. Printed in the table's header.
 */
export const REFERENCE_MALLOC = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 32),
  MALLOC_TOP_PAD_: String(256 * 2 ** 20),
};

/** The environment of a reference process on `threads` threads. */
export const referenceEnv = (threads: number): NodeJS.ProcessEnv => {
  const t = String(threads);
  return {
    ...process.env,
    ...REFERENCE_MALLOC,
    OMP_NUM_THREADS: t,
    OPENBLAS_NUM_THREADS: t,
    MKL_NUM_THREADS: t,
  };
};
const SCRIPT = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** What a reference row is, for the row that says why it could not run. */
export interface RowId {
  group: string;
  name: string;
  runtime: string;
  unit: string;
}

export const skippedRow = (id: RowId, why: string): BenchRow => ({
  ...id,
  median: NaN,
  min: NaN,
  max: NaN,
  skipped: why,
});

/** Runs `torch_bench.py args` on `threads` threads; its rows, or one skipped row saying why. */
export function referenceRows(args: string[], id: RowId, threads = 1): BenchRow[] {
  if (!existsSync(PYTHON)) return [skippedRow(id, `${PYTHON} not found`)];
  const r = spawnSync(PYTHON, [SCRIPT, ...args, '--threads', String(threads)], {
    env: referenceEnv(threads),
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) return [skippedRow(id, `torch_bench.py ${args.join(' ')} failed (exit ${r.status})`)];
  const rows = JSON.parse(r.stdout.replace(/\bNaN\b/g, 'null')) as BenchRow[];
  for (const row of rows) if (row.skipped) row.median = row.min = row.max = NaN;
  return rows;
}

/** A float32 tensor for the hand-over file. */
export interface HandOver {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/**
 * Writes `tensors` (float32) and `metadata` to a temporary safetensors file, calls `fn` with its
 * path, and removes it afterwards.
 */
export function withHandOver<T>(
  tensors: readonly HandOver[],
  metadata: Record<string, string>,
  fn: (file: string) => T,
): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-bench-ref-'));
  try {
    const file = path.join(dir, 'handover.safetensors');
    const bytes = packSafetensors(
      tensors.map((t) => ({
        name: t.name,
        dtype: 'F32',
        shape: t.shape,
        bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      metadata,
    );
    writeFileSync(file, bytes);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
