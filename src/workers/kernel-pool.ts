/**
 * The fused kernel in the browser: the engine worker splits a population over one Web Worker per
 * core (nested workers; each runs src/engine/kernels/shard.ts), and decides when the kernel covers
 * a training job at all. tfjs stays the reference and the fallback; the reason it was not used is
 * shown in the backend badge.
 */
import { bestFlavour, kernelCoverage } from '../engine/kernels/mlp-kernel';
import { inlinePort, KernelPool, type ShardPort } from '../engine/kernels/pool';
import type { ShardReply, ShardRequest } from '../engine/kernels/shard';
import { shardsFor } from '../engine/kernels/split-pool';
import type { Model } from '../engine/model';
import type { KernelFlavour, KernelOptions, KernelRegression } from '../engine/kernels/mlp-kernel';
import type { TrainJob } from './protocol';

/** A port to a new Web Worker shard; requests are answered in order. */
export function webWorkerPort(): ShardPort {
  const worker = new Worker(new URL('./kernel-shard.worker.ts', import.meta.url), { type: 'module' });
  const waiting: { resolve: (r: ShardReply) => void; reject: (e: Error) => void }[] = [];
  worker.onmessage = (e: MessageEvent<ShardReply>) => waiting.shift()?.resolve(e.data);
  worker.onerror = (e) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`kernel worker failed: ${e.message}`));
  };
  return {
    request: (req: ShardRequest, transfer: ArrayBuffer[] = []) =>
      new Promise<ShardReply>((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage(req, transfer);
      }),
    close: () => worker.terminate(),
  };
}

/**
 * Shard workers for a population: one per core but one, which the page keeps (its charts and
 * inputs must not stall: the e2e test counts long tasks), never more than members. On 2 cores
 * that is one shard, run inside the engine worker itself.
 */
export function kernelWorkers(members: number): number {
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  return Math.max(1, Math.min(members, cores - 1));
}

/**
 * Ports to the shards for `members` members (a population, a zoo, classifiers): Web Workers, or
 * this worker when one is enough.
 */
export function browserShardPorts(members: number): ShardPort[] {
  const n = kernelWorkers(members);
  return n === 1 ? [inlinePort()] : Array.from({ length: n }, webWorkerPort);
}

/**
 * The kernel's options for a training job: its learning rate, and below a batch fraction of 1 the
 * random pixel subsets, drawn from the job's noise seed exactly as the tfjs PopulationTrainer
 * draws them (so a mid-run switch between the two goes on with the same subsets).
 */
export function jobKernelOptions(job: Pick<TrainJob, 'lr' | 'batchFraction' | 'noiseSeed'>): KernelOptions {
  return job.batchFraction < 1
    ? { lr: job.lr, pixelSubsets: { fraction: job.batchFraction, seed: job.noiseSeed } }
    : { lr: job.lr };
}

/**
 * A pool on Web Workers (in this worker when one shard is enough) for a training job's members, or
 * with fewer members than workers, for their pixels (src/engine/kernels/split-pool.ts); `flavour`
 * forces a build (a link replaying the sender's).
 */
export function browserKernelPool(
  models: readonly Model[],
  data: KernelRegression,
  job: Pick<TrainJob, 'lr' | 'batchFraction' | 'noiseSeed'>,
  flavour?: KernelFlavour,
): Promise<KernelPool> {
  const opts = { ...jobKernelOptions(job), ...(flavour ? { flavour } : {}) };
  // Fewer members than shard workers (one INR on a many-core machine): its pixels are split.
  const available = kernelWorkers(Infinity);
  const shards = shardsFor(models.length, data, opts, available);
  return KernelPool.create(models, data, opts, browserShardPorts(shards), 'auto', available);
}

/** Why the fused kernel does not train this job (null: it does). */
export function fusedCoverage(job: TrainJob): string | null {
  if (job.backend !== 'auto') return `backend ${job.backend} chosen by hand`;
  return kernelCoverage(job.arch);
}

/** The kernel build this browser runs, for the badge. */
export const kernelFlavour = (): string => bestFlavour() ?? 'none';
