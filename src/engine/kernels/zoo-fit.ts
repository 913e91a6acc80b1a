/**
 * Zoo fitting on the fused kernel: one INR per target image, many members per kernel with
 * per-member targets, every core busy through a pool of shards. Each shard holds a batch of
 * `capacity` slots; the coordinator refills a shard's free slots from the queue, the shard takes
 * `evalEvery` Adam steps of its active members, measures their PSNR and retires those that reached
 * the target or the step cap (the rule of the tfjs trainer, src/engine/tf/zoo-fit.ts, whose
 * options and result this shares). Members keep their own Adam step count (a refilled slot starts
 * at t = 0, Kingma & Ba 2015, Alg. 1), so a member's weights do not depend on its batch, its shard
 * or when it joined: the zoo is the same on 1 or 8 workers.
 */
import { coordinateGrid, psnr } from '../inr';
import { initModel, type MlpArch, type Model } from '../model';
import { deriveSeed } from '../rng';
import type { Tensor } from '../tensor';
import { zooFromModels } from '../zoo/members';
import type { ZooTargets } from '../zoo/sources';
import type { Zoo } from '../zoo/types';
import type { ZooFitOptions, ZooFitResult } from '../tf/zoo-fit';
import { kernelCoverage, MlpKernel, type KernelFlavour } from './mlp-kernel';
import type { ShardPort } from './pool';
import { arraySharer } from './shared-data';

/** A member sent to a shard: its target's index, initial weights and target pixels [n, C]. */
export interface ZooMemberIn {
  index: number;
  params: Record<string, Tensor>;
  pixels: Float32Array;
}

/** A member a shard retired: its weights, PSNR (dB) and Adam steps. */
export interface ZooMemberOut {
  index: number;
  params: Record<string, Tensor>;
  psnr: number;
  steps: number;
}

/** What a zoo shard is built with. */
export interface ZooShardInit {
  arch: MlpArch;
  height: number;
  width: number;
  channels: number;
  capacity: number;
  lr: number;
  flavour?: KernelFlavour;
}

/** One round on a shard: add members, take `steps` steps, retire the finished. */
export interface ZooShardRun {
  add: ZooMemberIn[];
  steps: number;
  targetPsnr: number;
  maxSteps: number;
}

/** Why the kernel cannot fit a zoo of this architecture (null: it can). */
export const kernelZooCoverage = (arch: MlpArch): string | null => kernelCoverage(arch);

/** A shard's batch of zoo members on one kernel with per-member targets. */
export class ZooShard {
  private readonly kernel: MlpKernel;
  /** Target index per slot, −1 when free. */
  private readonly slot: Int32Array;
  private readonly arch: MlpArch;

  constructor(init: ZooShardInit) {
    const { arch, height, width, channels, capacity } = init;
    this.arch = arch;
    const n = height * width;
    const like = initModel(arch, 0);
    this.kernel = new MlpKernel(
      Array.from({ length: capacity }, () => like),
      {
        kind: 'regression',
        x: coordinateGrid(height, width),
        y: new Float32Array(n * channels),
        n,
        inputs: 2,
        channels,
      },
      { lr: init.lr, perMemberTargets: true, ...(init.flavour ? { flavour: init.flavour } : {}) },
    );
    this.slot = new Int32Array(capacity).fill(-1);
  }

  get flavour(): KernelFlavour {
    return this.kernel.flavour;
  }

  /** Members training now. */
  get active(): number {
    return this.slot.reduce((s, i) => s + (i >= 0 ? 1 : 0), 0);
  }

  /** Runs of consecutive busy slots [k0, k1). */
  private runs(): [number, number][] {
    const out: [number, number][] = [];
    for (let k = 0; k < this.slot.length;) {
      if (this.slot[k]! < 0) {
        k++;
        continue;
      }
      let e = k + 1;
      while (e < this.slot.length && this.slot[e]! >= 0) e++;
      out.push([k, e]);
      k = e;
    }
    return out;
  }

  run(r: ZooShardRun): ZooMemberOut[] {
    let free = 0;
    for (const m of r.add) {
      while (free < this.slot.length && this.slot[free]! >= 0) free++;
      if (free === this.slot.length) throw new RangeError('zoo shard: more members than free slots');
      this.kernel.resetMember(free, { arch: this.arch, params: m.params });
      this.kernel.setTarget(free, m.pixels);
      this.slot[free] = m.index;
    }
    const runs = this.runs();
    for (let s = 0; s < r.steps; s++) for (const [k0, k1] of runs) this.kernel.step(k0, k1);
    let mse: Float32Array = new Float32Array(0);
    for (const [k0, k1] of runs) mse = this.kernel.evaluate(k0, k1);
    const done: number[] = [];
    for (const [k0, k1] of runs)
      for (let k = k0; k < k1; k++)
        if (psnr(mse[k]!) >= r.targetPsnr || this.kernel.memberSteps(k) >= r.maxSteps) done.push(k);
    const models = done.length ? this.kernel.models() : [];
    return done.map((k) => {
      const out = {
        index: this.slot[k]!,
        params: models[k]!.params,
        psnr: psnr(mse[k]!),
        steps: this.kernel.memberSteps(k),
      };
      this.slot[k] = -1;
      return out;
    });
  }
}

/** The finished members as a zoo (target order) with their PSNR, steps and source columns. */
function zooOfFinished(src: ZooTargets, finished: Finished): Zoo | null {
  const order = [...finished.keys()].sort((a, b) => a - b);
  if (order.length < 2) return null;
  return zooFromModels(
    order.map((i) => finished.get(i)!.model),
    order.map((i) => src.targets[i]!.label),
    {
      columns: [
        { name: 'psnr', shape: [order.length], data: Float32Array.from(order, (i) => finished.get(i)!.psnr) },
        { name: 'steps', shape: [order.length], data: Int32Array.from(order, (i) => finished.get(i)!.steps) },
        {
          name: 'source_index',
          shape: [order.length],
          data: Int32Array.from(order, (i) => src.targets[i]!.sourceIndex),
        },
      ],
      meta: {
        source: src.source,
        inr: { height: src.height, width: src.width, channels: src.channels },
        labelNames: src.labelNames,
      },
    },
  );
}

type Finished = ReadonlyMap<number, { model: Model; psnr: number; steps: number }>;

/** Mean PSNR (dB) of the finished members; NaN before the first. */
export function meanPsnrOf(finished: Finished): number {
  let s = 0;
  for (const f of finished.values()) s += f.psnr;
  return finished.size ? s / finished.size : NaN;
}

/** A fit's result from its finished members (both trainers end with this). */
export function zooFitResult(
  src: ZooTargets,
  finished: Finished,
  run: { stopped: boolean; t0: number; batchSize: number },
): ZooFitResult {
  return {
    zoo: zooOfFinished(src, finished),
    done: finished.size,
    total: src.targets.length,
    stopped: run.stopped,
    meanPsnr: meanPsnrOf(finished),
    seconds: (performance.now() - run.t0) / 1000,
    batchSize: run.batchSize,
  };
}

/** Members per shard by default: small rounds keep the shards balanced and progress frequent. */
export const ZOO_SHARD_CAPACITY = 32;

/**
 * Fits one INR per target on the fused kernel, over `ports` (one shard each; they are closed at
 * the end). `stop` keeps every member already finished; a cancel (`signal`) rejects once every
 * shard has ended its round. The result is the tfjs trainer's, its `batchSize` the members per
 * shard.
 */
export async function fitZooOnKernel(
  src: ZooTargets,
  opts: ZooFitOptions,
  ports: ShardPort[],
): Promise<ZooFitResult & { flavour: KernelFlavour; workers: number; sharedData: boolean }> {
  const { arch, maxSteps, targetPsnr } = opts;
  const C = src.channels;
  if (arch.widths[0] !== 2 || arch.widths[arch.widths.length - 1] !== C)
    throw new RangeError(
      `an INR maps 2 coordinates to ${C} channel(s); got widths [${arch.widths.join(', ')}]`,
    );
  const why = kernelZooCoverage(arch);
  if (why) throw new Error(`fused kernel cannot fit this zoo: ${why}`);
  if (ports.length === 0) throw new RangeError('fitZooOnKernel needs at least one port');
  const total = src.targets.length;
  const used = ports.slice(0, Math.max(1, Math.min(ports.length, total)));
  for (const p of ports.slice(used.length)) p.close();
  const B = Math.max(1, opts.batchSize ?? Math.min(ZOO_SHARD_CAPACITY, Math.ceil(total / used.length)));
  const evalEvery = opts.evalEvery ?? 10;
  const t0 = performance.now();
  const finished = new Map<number, { model: Model; psnr: number; steps: number }>();
  let next = 0;
  let activeAll = 0;
  let stopped = false;
  let flavour: KernelFlavour = 'simd';
  // Targets travel to the shards on shared memory where there is some (each copied there once).
  const share = arraySharer(used.length);
  let sharedData = true;

  const progress = (): void => {
    const elapsedMs = performance.now() - t0;
    const done = finished.size;
    opts.onProgress?.({
      done,
      total,
      active: activeAll,
      batchSize: B,
      meanPsnr: meanPsnrOf(finished),
      elapsedMs,
      etaMs: done ? (elapsedMs / done) * (total - done) : null,
    });
  };

  const shardLoop = async (port: ShardPort): Promise<void> => {
    const init = await port.request({
      type: 'zooInit',
      init: { arch, height: src.height, width: src.width, channels: C, capacity: B, lr: opts.lr ?? 1e-3 },
    });
    if (init.type !== 'zooReady')
      throw new Error(`fused kernel worker: ${init.type === 'error' ? init.message : init.type}`);
    flavour = init.flavour;
    let active = 0;
    while (next < total || active > 0) {
      // A cancel ends every shard after its round too, and then rejects (below).
      if (opts.signal?.aborted) return;
      if (opts.stop?.aborted) {
        stopped = true;
        return;
      }
      await opts.waitWhilePaused?.();
      const add: ZooMemberIn[] = [];
      while (active + add.length < B && next < total) {
        const i = next++;
        const t = src.targets[i]!;
        add.push({
          index: i,
          params: initModel(arch, deriveSeed(opts.seed, t.sourceIndex)).params,
          pixels: share(t.pixels),
        });
      }
      active += add.length;
      activeAll += add.length;
      const reply = await port.request({
        type: 'zooRun',
        run: { add, steps: evalEvery, targetPsnr, maxSteps },
      });
      if (reply.type !== 'zooRan')
        throw new Error(`fused kernel worker: ${reply.type === 'error' ? reply.message : reply.type}`);
      if (add.length) sharedData &&= reply.sharedPixels;
      for (const m of reply.finished) {
        finished.set(m.index, { model: { arch, params: m.params }, psnr: m.psnr, steps: m.steps });
      }
      active -= reply.finished.length;
      activeAll -= reply.finished.length;
      progress();
    }
  };

  try {
    await Promise.all(used.map(shardLoop));
  } finally {
    for (const p of used) p.close();
  }
  opts.signal?.throwIfAborted();
  const result = zooFitResult(src, finished, { stopped, t0, batchSize: B });
  return { ...result, flavour, workers: used.length, sharedData: sharedData && next > 0 };
}
