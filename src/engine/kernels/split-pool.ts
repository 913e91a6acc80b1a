/**
 * Data parallelism inside a member, for a population with fewer members than workers (one INR on
 * every core): each member's pixels are cut into a FIXED number of chunks, chosen from the data
 * size alone (pixelChunks), the chunks are spread over the shards, each shard computes its chunks'
 * gradients with the kernel's gradients entry (src/engine/kernels/split-shard.ts), the chunk
 * gradients are summed in chunk order 0…C−1 and one Adam step is taken on θ. The loss is the mean
 * over ALL of a member's pixels, as the member split's and tfjs's (each chunk's gradient is scaled
 * by 2/(n·channels), n the member's pixels, not the chunk's). The chunking and the order of the sum do not depend on the
 * workers, so 1, 2 or 4 shards train bit-identical models (tests/kernels-pixel-split.test.ts);
 * against the member split they differ only in float rounding (the gradient is summed chunk by
 * chunk instead of tile by tile).
 *
 * Nothing crosses postMessage per step: θ, the Adam moments, the chunk gradients and the loss sums
 * live in one SharedArrayBuffer (split-memory.ts), and the shards take a step's items (chunks, then
 * slices of θ to reduce and update) from its Atomics counters, whichever shard is free, so one the
 * system pauses holds up only the item it took. A request runs `steps` steps, so a pool stopped
 * between requests has every member at the same step. Without SharedArrayBuffer (a page that is
 * not cross-origin isolated), on random pixel subsets or with another optimiser the pool splits
 * members instead, and says why (pixelSplitPlan).
 */
import { flattenModel, paramCount, unflattenModel, type Model } from '../model';
import type { PopulationSnapshot } from '../population-snapshot';
import { checkSnapshot } from '../population-snapshot';
import { MlpKernel, type KernelFlavour, type KernelOptions, type KernelRegression } from './mlp-kernel';
import type { ShardPort } from './pool';
import { replyOf } from './pool';
import { canShareMemory, shareData } from './shared-data';
import { createSplitMemory, stopSplit, type SplitMemory } from './split-memory';
import { SPLIT_BLOCK, SPLIT_TILE } from './split-shard';

/** Fewest whole tiles a chunk holds, so that a chunk's work outweighs its share of a step's sync. */
const TILES_PER_CHUNK = 16;
/** Most chunks: enough to balance 2, 4 or 8 shards; more only adds reduction work. */
const MAX_CHUNKS = 8;

/** How a pool places its work: members over the shards, or each member's pixels over them. */
export type SplitMode = 'auto' | 'pixels' | 'members';

/**
 * Chunks of a member's n pixels: as many runs of at least 16 whole tiles (1,024 pixels) as fit, at
 * most 8. Depends on n alone, never on the workers.
 */
export function pixelChunks(n: number): number {
  const tiles = Math.ceil(n / SPLIT_TILE);
  return Math.max(1, Math.min(MAX_CHUNKS, Math.floor(tiles / TILES_PER_CHUNK)));
}

/** The pixel split's chunks for this run, or the reason the members are split instead. */
export function pixelSplitPlan(
  members: number,
  data: KernelRegression,
  opts: KernelOptions,
  shards: number,
  mode: SplitMode = 'auto',
): { chunks: number } | { reason: string } {
  if (mode === 'members') return { reason: 'members split by request' };
  if (mode === 'auto' && members >= shards)
    return { reason: `${members} member(s) fill ${shards} worker(s)` };
  if (opts.pixelSubsets)
    return {
      reason:
        'random pixel subsets (batch fraction < 1): each member is a mean over its own drawn pixels, which the chunks do not share; members split instead',
    };
  if ((opts.optimizer ?? 'adam') !== 'adam' || (opts.weightDecay ?? 0) !== 0)
    return { reason: 'the pixel split steps with plain Adam only' };
  if (opts.perMemberTargets) return { reason: 'per-member targets are not in the pixel split' };
  if (typeof SharedArrayBuffer !== 'function' || !canShareMemory())
    return { reason: 'no SharedArrayBuffer here (the page is not cross-origin isolated)' };
  const chunks = pixelChunks(data.n);
  if (chunks < 2 && mode === 'auto')
    return { reason: `${data.n} pixels are too few to split (under ${2 * TILES_PER_CHUNK * SPLIT_TILE})` };
  return { chunks };
}

/**
 * Shards worth starting for a population on `available` workers: one per member, or where the
 * pixel split applies, one per chunk, never more than available.
 */
export function shardsFor(
  members: number,
  data: KernelRegression,
  opts: KernelOptions,
  available: number,
): number {
  const plan = pixelSplitPlan(members, data, opts, available);
  return Math.max(1, Math.min(available, 'chunks' in plan ? plan.chunks : members));
}

/** A population on the pixel split: the coordinator's side. */
export class PixelSplit {
  private steps = 0;
  /** Steps run by this pool's shards (two shared phases each; resume moves `steps`, not this). */
  private ran = 0;
  private closed = false;
  /** The coordinator's own kernel over the whole target, for evaluate() and predictions(). */
  private evaluator: MlpKernel | null = null;

  private constructor(
    private readonly models0: readonly Model[],
    private readonly data: KernelRegression,
    private readonly mem: SplitMemory,
    private readonly ports: ShardPort[],
    readonly flavour: KernelFlavour,
    readonly memoryBytes: number,
    readonly sharedData: boolean,
  ) {}

  /** Starts min(ports, chunks) shards over `chunks` chunks; unused ports are closed. */
  static async start(
    models: readonly Model[],
    data: KernelRegression,
    opts: KernelOptions,
    offered: ShardPort[],
    chunks: number,
  ): Promise<PixelSplit> {
    // Any shard takes any chunk; more shards than chunks would only wait.
    const used = Math.min(offered.length, chunks);
    for (const p of offered.slice(used)) p.close();
    const ports = offered.slice(0, used);
    const arch = models[0]!.arch;
    const P = paramCount(arch);
    const mem = createSplitMemory(models.length, P, chunks);
    models.forEach((m, k) => mem.theta.set(flattenModel(m), k * P));
    const shared = shareData(data, ports.length);
    const adam = { lr: opts.lr, beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: opts.eps ?? 1e-8 };
    try {
      const ready = (
        await Promise.all(
          ports.map((port) =>
            port.request({
              type: 'splitInit',
              init: {
                arch,
                models: models.map((m) => ({ params: m.params })),
                data: shared,
                memory: mem.buffer,
                chunks,
                blocks: Math.max(1, Math.ceil((models.length * P) / SPLIT_BLOCK)),
                adam,
                ...(opts.flavour ? { flavour: opts.flavour } : {}),
              },
            }),
          ),
        )
      ).map((r) => replyOf(r, 'ready'));
      const bytes = ready.reduce((s, r) => s + r.memoryBytes, mem.buffer.byteLength);
      const sharedData = ready.every((r) => r.sharedData);
      return new PixelSplit(models, data, mem, ports, ready[0]!.flavour, bytes, sharedData);
    } catch (e) {
      stopSplit(mem);
      for (const p of ports) p.close();
      throw e;
    }
  }

  /** Chunks of each member's pixels. */
  get chunks(): number {
    return this.mem.chunks;
  }

  /** Shards holding chunks. */
  get workers(): number {
    return this.ports.length;
  }

  private check(): void {
    if (this.closed) throw new Error('KernelPool used after dispose');
  }

  /** `steps` steps of every member; the per-member loss (mean over all pixels) before the last. */
  async step(steps: number): Promise<Float32Array> {
    this.check();
    const req = { type: 'splitRun' as const, steps, t0: this.steps, phase0: 2 * this.ran };
    const replies = await Promise.all(this.ports.map((p) => p.request(req)));
    replies.forEach((r) => replyOf(r, 'splitRan'));
    this.steps += steps;
    this.ran += steps;
    const { lossSums, members: K, chunks: C } = this.mem;
    const over = this.data.n * this.data.channels;
    return Float32Array.from({ length: K }, (_, k) => {
      let s = 0;
      for (let c = 0; c < C; c++) s += lossSums[c * K + k]!;
      return s / over;
    });
  }

  /** The coordinator's kernel holding the current θ. */
  private current(): MlpKernel {
    this.check();
    this.evaluator ??= new MlpKernel(this.models0, this.data, { lr: 0, flavour: this.flavour });
    const { theta, params: P } = this.mem;
    for (let k = 0; k < this.mem.members; k++) this.evaluator.setFlat(k, theta.subarray(k * P, (k + 1) * P));
    return this.evaluator;
  }

  evaluate(): Float32Array {
    return this.current().evaluate();
  }

  predictions(): Float32Array {
    return this.current().predictions();
  }

  models(): Model[] {
    this.check();
    const { theta, params: P } = this.mem;
    return this.models0.map((m, k) => unflattenModel(m, theta.slice(k * P, (k + 1) * P)));
  }

  snapshot(): PopulationSnapshot {
    const { m, v, params: P } = this.mem;
    const slices = (a: Float32Array) => this.models0.map((_, k) => a.slice(k * P, (k + 1) * P));
    return { steps: this.steps, models: this.models(), m: slices(m), v: slices(v) };
  }

  /** Continues from `s` (the split was started from s.models): its moments and step count. */
  resume(s: PopulationSnapshot): void {
    this.check();
    checkSnapshot(s, this.mem.members);
    const P = this.mem.params;
    s.m.forEach((x, k) => this.mem.m.set(x, k * P));
    s.v.forEach((x, k) => this.mem.v.set(x, k * P));
    s.models.forEach((x, k) => this.mem.theta.set(flattenModel(x), k * P));
    this.steps = s.steps;
  }

  /** Ends the shards, waking any that wait at the barrier (a step in flight rejects). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    stopSplit(this.mem);
    for (const p of this.ports) p.close();
  }
}
