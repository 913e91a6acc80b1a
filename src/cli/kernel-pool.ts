/**
 * The fused kernel on every core in Node: one worker_thread per shard, each running the same
 * shard handler as the browser's workers. Threads load the TypeScript engine through
 * bin/register.mjs, as the CLI itself does.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Model } from '../engine/model';
import type { KernelOptions, KernelRegression } from '../engine/kernels/mlp-kernel';
import { inlinePort, KernelPool, type ShardPort } from '../engine/kernels/pool';
import type { ShardReply, ShardRequest } from '../engine/kernels/shard';
import { shardsFor, type SplitMode } from '../engine/kernels/split-pool';

/**
 * Node 20's V8 has relaxed SIMD behind a flag (Chromium ships it). Turned on before the first
 * kernel compiles, it lets the kernel's fused multiply–add build validate (measured here: 25 %
 * more model-steps/s); where it still does not validate, the plain SIMD build runs. The flag is
 * process-wide, so worker threads inherit it.
 */
export function enableRelaxedSimd(): void {
  if (process.env.WEIGHTSCOPE_PLAIN_SIMD) return;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
}
enableRelaxedSimd();

// Run from the sources, a thread loads the TypeScript worker through tsx; in the bundle
// (scripts/build-cli.mjs) the worker is a module of its own beside this one.
const bundled = !import.meta.url.endsWith('.ts');
const entry = new URL(bundled ? './kernel-worker.js' : './kernel-worker.ts', import.meta.url);
const execArgv = bundled ? [] : ['--import', new URL('../../bin/register.mjs', import.meta.url).href];

/** A port to a new worker thread; requests are answered in order. */
export function threadPort(): ShardPort {
  const worker = new Worker(entry, { execArgv });
  const waiting: { resolve: (r: ShardReply) => void; reject: (e: Error) => void }[] = [];
  // Referenced only while a request is out: an idle pool never keeps the process alive.
  worker.on('message', (r: ShardReply) => {
    waiting.shift()?.resolve(r);
    if (waiting.length === 0) worker.unref();
  });
  const fail = (e: Error): void => {
    for (const w of waiting.splice(0)) w.reject(e);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`kernel worker exited with code ${code}`)));
  worker.unref();
  return {
    request: (req: ShardRequest, transfer: ArrayBuffer[] = []) =>
      new Promise<ShardReply>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.ref();
        worker.postMessage(req, transfer);
      }),
    close: () => void worker.terminate(),
  };
}

/** Cores this process may use (at least 1). */
export const availableCores = (): number => Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

/**
 * Ports to `threads` shards (at most `members`, at least one); with one the shard runs in this
 * thread, sparing a worker's start-up.
 */
export function nodeShardPorts(members: number, threads = availableCores()): ShardPort[] {
  const n = Math.max(1, Math.min(threads, members));
  return n === 1 ? [inlinePort()] : Array.from({ length: n }, threadPort);
}

/**
 * A pool of `threads` workers (default: one per core): never more than members, except that fewer
 * members than threads split their pixels over the threads where the pixel split applies.
 */
export async function nodeKernelPool(
  models: readonly Model[],
  data: KernelRegression,
  opts: KernelOptions,
  threads = availableCores(),
  mode: SplitMode = 'auto',
): Promise<KernelPool> {
  // Fewer members than threads: their pixels are split over the threads (split-pool.ts).
  const shards = mode === 'pixels' ? threads : shardsFor(models.length, data, opts, threads);
  const ports = mode === 'pixels' ? nodeShardPorts(threads, threads) : nodeShardPorts(shards, threads);
  return KernelPool.create(models, data, opts, ports, mode, threads);
}

/** The CLI flags that choose the fused kernel or tfjs, and the kernel's threads. */
export const KERNEL_FLAGS = {
  kernel: {
    kind: 'choice',
    choices: ['auto', 'fused', 'tfjs'],
    help: 'fused WebAssembly kernel on every core, or tfjs (default auto: fused where it covers the model)',
  },
  threads: {
    kind: 'int',
    arg: 'N',
    min: 1,
    max: 256,
    help: 'fused kernel: worker threads (default: all cores)',
  },
} as const;

/** train-inr's choice of what the threads split (members or each member's pixels). */
export const SPLIT_FLAG = {
  split: {
    kind: 'choice',
    choices: ['auto', 'pixels', 'members'],
    help: "fused kernel: split members over the threads, or each member's pixels in fixed chunks (bit-identical on any thread count); default auto: pixels when members < threads",
  },
} as const;

/**
 * Shard ports on demand, for runs that learn their member count later (classifiers,
 * engine/tf/classifier-path.ts): `threads` worker threads at most, never more than members.
 */
export function shardPortsFor(threads = availableCores()): (members: number) => ShardPort[] {
  return (members) => nodeShardPorts(members, threads);
}
