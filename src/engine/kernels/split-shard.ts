/**
 * One worker's share of the pixel split (src/engine/kernels/split-pool.ts): a kernel per chunk of
 * the members' pixels it holds, each the whole population on that chunk, built with the gradients
 * entry and its loss scaled as a share of the mean over ALL the member's pixels. A step: copy θ
 * from the shared block into each chunk kernel, write each chunk's gradient, meet the others; sum
 * the chunk gradients of this shard's slice of θ in chunk order 0…C−1 and take Adam's step on it
 * (src/engine/optim/adam.ts), meet again. Chunks and their order are fixed by the data, and every
 * element's sum and update read only that element, so 1, 2 or 4 shards compute the same bits.
 */
import type { RegressionData } from '../data/eval-data';
import { paramCount, type MlpArch, type Model } from '../model';
import { adamUpdate, type FlatAdamOptions } from '../optim/adam';
import { MlpKernel, type KernelFlavour } from './mlp-kernel';
import { arrive, failSplit, mapSplitMemory, type SplitMemory } from './split-memory';
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

/** Elements [i0, i1) of `total` that shard s of `shards` reduces and updates. */
export function sliceOf(total: number, shard: number, shards: number): [number, number] {
  return [Math.floor((shard * total) / shards), Math.floor(((shard + 1) * total) / shards)];
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
  /** Chunks [c0, c1) are this shard's. */
  c0: number;
  c1: number;
  shard: number;
  shards: number;
  adam: Required<FlatAdamOptions>;
  flavour?: KernelFlavour;
}

/** A shard's chunk kernels and its slice of the reduction and the update. */
export class SplitShard {
  private readonly mem: SplitMemory;
  private readonly kernels: MlpKernel[];
  readonly flavour: KernelFlavour;
  readonly memoryBytes: number;

  constructor(private readonly init: SplitShardInit) {
    const { arch, data, chunks, c0, c1 } = init;
    const models: Model[] = init.models.map((m) => ({ arch, params: m.params }));
    if (models.length === 0 || !(c0 >= 0 && c0 < c1 && c1 <= chunks))
      throw new RangeError('a split shard holds members and chunks');
    this.kernels = [];
    for (let c = c0; c < c1; c++) {
      const [p0, p1] = chunkPixels(data.n, chunks, c);
      const chunk: RegressionData = {
        ...data,
        n: p1 - p0,
        x: data.x.subarray(p0 * data.inputs, p1 * data.inputs),
        y: data.y.subarray(p0 * data.channels, p1 * data.channels),
      };
      this.kernels.push(
        new MlpKernel(models, chunk, {
          lr: 0,
          gradients: true,
          meanOver: data.n,
          tile: SPLIT_TILE,
          ...(init.flavour ? { flavour: init.flavour } : {}),
        }),
      );
    }
    this.mem = mapSplitMemory(init.memory, models.length, paramCount(arch), chunks);
    this.flavour = this.kernels[0]!.flavour;
    this.memoryBytes = this.kernels.reduce((s, k) => s + k.memoryBytes, 0);
  }

  /**
   * `steps` steps, the first at Adam step t0 + 1, in lockstep with the other shards. A failure
   * here stops the others at their next barrier, and theirs stops this one.
   */
  run(steps: number, t0: number): void {
    try {
      for (let s = 0; s < steps; s++) this.step(t0 + s + 1);
    } catch (e) {
      failSplit(this.mem);
      throw e;
    }
  }

  private step(t: number): void {
    const { mem, init } = this;
    const { theta, grads, lossSums, members: K, params: P, chunks: C } = mem;
    const KP = K * P;
    this.kernels.forEach((kernel, i) => {
      const c = init.c0 + i;
      for (let k = 0; k < K; k++) kernel.setFlat(k, theta.subarray(k * P, (k + 1) * P));
      const g = kernel.gradientsView();
      const S = kernel.gradientStride;
      for (let k = 0; k < K; k++) grads.set(g.subarray(k * S, k * S + P), (c * K + k) * P);
      lossSums.set(kernel.lossSums(), c * K);
    });
    arrive(mem, init.shards);
    const [i0, i1] = sliceOf(KP, init.shard, init.shards);
    // Chunk order 0…C−1, whichever shard computed which chunk: chunk 0's slot becomes the sum.
    // The float32 store rounds each double sum of two float32s exactly as a float32 add would.
    for (let c = 1; c < C; c++) addInto(grads, c * KP, i0, i1);
    adamUpdate(theta, grads, mem.m, mem.v, t, init.adam, i0, i1);
    arrive(mem, init.shards);
  }
}

/** g[i] += g[off + i] for i in [i0, i1), in float32. */
function addInto(g: Float32Array, off: number, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) g[i] = g[i]! + g[off + i]!;
}
