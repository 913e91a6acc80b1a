/**
 * One worker of the pixel split (src/engine/kernels/split-pool.ts): a kernel per chunk of the
 * members' pixels, each the whole population on that chunk, built with the gradients entry and
 * its loss scaled as a share of the mean over ALL the member's pixels. A step is two phases of
 * items that whichever shard is free takes (split-memory.ts): a chunk (copy θ from the shared
 * block into that chunk's kernel, write the chunk's gradient to its slot), then a block of θ (sum
 * its chunk gradients in chunk order 0…C−1, take Adam's step on it: src/engine/optim/adam.ts).
 * Chunks, slots and the order of the sum are fixed by the data, and every element's sum and update
 * read only that element, so any number of shards, taking items in any order, computes the same bits.
 */
import type { RegressionData } from '../data/eval-data';
import { paramCount, type MlpArch, type Model } from '../model';
import { adamUpdate, type FlatAdamOptions } from '../optim/adam';
import { MlpKernel, type KernelFlavour } from './mlp-kernel';
import { failSplit, mapSplitMemory, SplitPhases, type SplitMemory } from './split-memory';
import type { WireModel } from './shard';

/** Pixels per tile of a chunk kernel: chunks start on whole tiles, so only the last is padded. */
export const SPLIT_TILE = 64;

/** Pixel range [p0, p1) of chunk c of `chunks` over n pixels: contiguous runs of whole tiles. */
export function chunkPixels(n: number, chunks: number, c: number): [number, number] {
  const tiles = Math.ceil(n / SPLIT_TILE);
  const t0 = Math.floor((c * tiles) / chunks);
  const t1 = Math.floor(((c + 1) * tiles) / chunks);
  return [Math.min(n, t0 * SPLIT_TILE), Math.min(n, t1 * SPLIT_TILE)];
}

/** Elements of θ a reduction item covers (the last block of a population may be shorter). */
export const SPLIT_BLOCK = 2048;

/** Elements [i0, i1) of block j of `blocks` over `total` elements. */
export function blockOf(total: number, j: number, blocks: number): [number, number] {
  return [Math.floor((j * total) / blocks), Math.floor(((j + 1) * total) / blocks)];
}

/** What a split shard is built with. */
export interface SplitShardInit {
  arch: MlpArch;
  /** The members (their Fourier matrices; θ itself is read from the shared block each step). */
  models: WireModel[];
  /** The whole target, read only (shared memory where there is a pool of workers). */
  data: RegressionData;
  /** The block the coordinator made (split-memory.ts). */
  memory: SharedArrayBuffer;
  chunks: number;
  /** Reduction items a step's update is cut into (slices of θ). */
  blocks: number;
  adam: Required<FlatAdamOptions>;
  flavour?: KernelFlavour;
}

/** A shard's kernels, one per chunk (any shard may take any chunk), and its part of every step. */
export class SplitShard {
  private readonly mem: SplitMemory;
  private readonly phases: SplitPhases;
  private readonly kernels: MlpKernel[];
  readonly flavour: KernelFlavour;
  readonly memoryBytes: number;

  constructor(private readonly init: SplitShardInit) {
    const { arch, data, chunks } = init;
    const models: Model[] = init.models.map((m) => ({ arch, params: m.params }));
    if (models.length === 0 || chunks < 1 || init.blocks < 1)
      throw new RangeError('a split shard needs members, chunks and blocks');
    this.kernels = Array.from({ length: chunks }, (_, c) => {
      const [p0, p1] = chunkPixels(data.n, chunks, c);
      const chunk: RegressionData = {
        ...data,
        n: p1 - p0,
        x: data.x.subarray(p0 * data.inputs, p1 * data.inputs),
        y: data.y.subarray(p0 * data.channels, p1 * data.channels),
      };
      return new MlpKernel(models, chunk, {
        lr: 0,
        gradients: true,
        meanOver: data.n,
        tile: SPLIT_TILE,
        ...(init.flavour ? { flavour: init.flavour } : {}),
      });
    });
    this.mem = mapSplitMemory(init.memory, models.length, paramCount(arch), chunks);
    this.phases = new SplitPhases(this.mem, init.blocks);
    this.flavour = this.kernels[0]!.flavour;
    this.memoryBytes = this.kernels.reduce((s, k) => s + k.memoryBytes, 0);
  }

  /**
   * Takes items until phase phase0 + 2·steps opens: the run's `steps` steps, the first at Adam
   * step t0 + 1, with the other shards. A failure here stops the others, and theirs this one.
   */
  run(steps: number, t0: number, phase0: number): void {
    const end = phase0 + 2 * steps;
    try {
      for (;;) {
        const p = this.phases.phase();
        if (p >= end) return;
        const item = this.phases.take(p);
        if (item < 0) {
          this.phases.waitPast(p);
          continue;
        }
        if (p % 2 === 0) this.gradient(item);
        else this.update(item, t0 + 1 + Math.floor((p - phase0) / 2));
        this.phases.finish(p);
      }
    } catch (e) {
      failSplit(this.mem);
      throw e;
    }
  }

  /** Chunk c's gradient of every member at the shared θ, into chunk c's slot. */
  private gradient(c: number): void {
    const { theta, grads, lossSums, members: K, params: P } = this.mem;
    const kernel = this.kernels[c]!;
    for (let k = 0; k < K; k++) kernel.setFlat(k, theta.subarray(k * P, (k + 1) * P));
    const g = kernel.gradientsView();
    const S = kernel.gradientStride;
    for (let k = 0; k < K; k++) grads.set(g.subarray(k * S, k * S + P), (c * K + k) * P);
    lossSums.set(kernel.lossSums(), c * K);
  }

  /** Block j of θ: its chunk gradients summed in chunk order (into chunk 0's slot), then Adam. */
  private update(j: number, t: number): void {
    const { theta, grads, members: K, params: P, chunks: C } = this.mem;
    const KP = K * P;
    const [i0, i1] = blockOf(KP, j, this.init.blocks);
    // The float32 store rounds each double sum of two float32s exactly as a float32 add would.
    for (let c = 1; c < C; c++) addInto(grads, c * KP, i0, i1);
    adamUpdate(theta, grads, this.mem.m, this.mem.v, t, this.init.adam, i0, i1);
  }
}

/** g[i] += g[off + i] for i in [i0, i1), in float32. */
function addInto(g: Float32Array, off: number, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) g[i] = g[i]! + g[off + i]!;
}
