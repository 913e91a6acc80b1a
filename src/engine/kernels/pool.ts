/**
 * A population split over a pool of workers, one fused kernel per worker. Members are
 * independent (each has its own loss, gradient and Adam state), so a contiguous range of members
 * per worker computes exactly what one kernel would: the split changes where members run, never
 * their numbers (tests/kernels-pool.test.ts trains one population on 1, 2 and 4 workers).
 *
 * The pool speaks to its workers through `ShardPort`s, so the same coordinator drives Node's
 * worker_threads (src/cli/kernel-pool.ts), the browser's Web Workers, or one in-thread shard.
 */
import type { KernelTrainerOptions, MemberScores } from '../classifier/kernel-trainer';
import type { ClassificationData } from '../data/eval-data';
import { structuredCloneArch, type Model } from '../model';
import { checkSnapshot, type PopulationSnapshot } from '../population-snapshot';
import {
  memberRangeOptions,
  type KernelFlavour,
  type KernelOptions,
  type KernelRegression,
} from './mlp-kernel';
import {
  createShardHandler,
  replyTransfer,
  type ShardReply,
  type ShardRequest,
  type WireModel,
} from './shard';
import { shareData } from './shared-data';
import { PixelSplit, pixelSplitPlan, type SplitMode } from './split-pool';

/** A channel to one shard: a request, answered by exactly one reply. */
export interface ShardPort {
  request(req: ShardRequest, transfer?: ArrayBuffer[]): Promise<ShardReply>;
  close(): void;
}

/** A shard in the calling thread (no worker): for one core, tests and fallbacks. */
export function inlinePort(): ShardPort {
  const handle = createShardHandler();
  return {
    request: async (req) => handle(req),
    close: () => void handle({ type: 'dispose' }),
  };
}

/** Contiguous, balanced member ranges [k0, k1) for `shards` shards (none empty). */
export function splitMembers(k: number, shards: number): [number, number][] {
  const s = Math.max(1, Math.min(k, shards));
  return Array.from({ length: s }, (_, i) => [Math.floor((i * k) / s), Math.floor(((i + 1) * k) / s)]);
}

/** Worker shards (not this thread) that `members` members on `ports` will use. */
const workersFor = (members: number, ports: ShardPort[]): number => Math.min(members, ports.length);

/** The reply of type `type`, or throws the shard's error (or an unexpected reply). */
export function replyOf<T extends ShardReply['type']>(
  r: ShardReply,
  type: T,
): Extract<ShardReply, { type: T }> {
  if (r.type === 'error') throw new Error(`fused kernel worker: ${r.message}`);
  if (r.type !== type) throw new Error(`fused kernel worker answered ${r.type}, expected ${type}`);
  return r as Extract<ShardReply, { type: T }>;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** K members training on the fused kernel across a pool of shards. */
export class KernelPool {
  private stepCount = 0;
  private closed = false;

  private constructor(
    private readonly like: Model,
    readonly k: number,
    readonly flavour: KernelFlavour,
    private readonly ports: ShardPort[],
    /** Bytes of kernel memory over all shards. */
    readonly memoryBytes: number,
    /** Every shard reads the data on shared memory (no copy per worker). */
    readonly sharedData: boolean,
    /** Each member's pixels split over the shards (src/engine/kernels/split-pool.ts), or null. */
    private readonly split: PixelSplit | null = null,
    /** Why the members, not their pixels, are split (null when the pixels are). */
    readonly memberSplitReason: string | null = null,
  ) {}

  /**
   * Starts the shards for a population on a regression target: with fewer members than ports
   * (mode 'auto') each member's pixels are split over them where pixelSplitPlan allows, otherwise
   * one shard per port (at most one per member). Unused ports are closed. Mode 'pixels' forces the
   * pixel split (on any number of ports, 1 included) and throws where it cannot run. `available`:
   * the workers the caller could have started (shardsFor), for the plan and its reason.
   */
  static async create(
    models: readonly Model[],
    data: KernelRegression,
    opts: KernelOptions,
    ports: ShardPort[],
    mode: SplitMode = 'auto',
    available = ports.length,
  ): Promise<KernelPool> {
    if (ports.length === 0) throw new RangeError('KernelPool needs at least one port');
    // Planned for the workers the caller had (it may have started fewer, e.g. one per member).
    const plan = pixelSplitPlan(models.length, data, opts, available, mode);
    if ('chunks' in plan) {
      const split = await PixelSplit.start(models, data, opts, ports, plan.chunks);
      const { flavour, memoryBytes, sharedData } = split;
      return new KernelPool(models[0]!, models.length, flavour, [], memoryBytes, sharedData, split);
    }
    if (mode === 'pixels') {
      for (const p of ports) p.close();
      throw new Error(`the pixel split cannot run: ${plan.reason}`);
    }
    const arch = models[0]!.arch;
    const shared = shareData(data, workersFor(models.length, ports));
    return KernelPool.start(
      models,
      ports,
      (wire, k0) => ({
        type: 'init',
        arch,
        models: wire,
        data: shared,
        opts: memberRangeOptions(opts, k0, models.length),
      }),
      plan.reason,
    );
  }

  /** The pixel split's chunks per member and the shards they run on, or null (members split). */
  get pixelSplit(): { chunks: number; workers: number } | null {
    return this.split && { chunks: this.split.chunks, workers: this.split.workers };
  }

  /**
   * Classifiers on the fused kernel (src/engine/classifier/kernel-trainer.ts), members split over
   * the ports; every shard holds the training and held-out sets and draws its members' batches.
   */
  static async createClassifier(
    models: readonly Model[],
    train: ClassificationData,
    heldOut: ClassificationData,
    opts: KernelTrainerOptions,
    ports: ShardPort[],
  ): Promise<KernelPool> {
    const arch = models[0]!.arch;
    // Copied onto shared memory once, here, not once per shard.
    const workers = workersFor(models.length, ports);
    const [sharedTrain, sharedHeldOut] = [shareData(train, workers), shareData(heldOut, workers)];
    return KernelPool.start(models, ports, (wire, k0, k1) => ({
      type: 'init-classifier',
      arch,
      models: wire,
      train: sharedTrain,
      heldOut: sharedHeldOut,
      opts: {
        ...opts,
        batchSeeds: opts.batchSeeds.slice(k0, k1),
        ...(opts.memberLrs ? { memberLrs: opts.memberLrs.slice(k0, k1) } : {}),
      },
    }));
  }

  private static async start(
    models: readonly Model[],
    ports: ShardPort[],
    init: (wire: WireModel[], k0: number, k1: number) => ShardRequest,
    memberSplitReason: string | null = null,
  ): Promise<KernelPool> {
    if (ports.length === 0) throw new RangeError('KernelPool needs at least one port');
    const ranges = splitMembers(models.length, ports.length);
    for (const p of ports.slice(ranges.length)) p.close();
    const used = ports.slice(0, ranges.length);
    let ready: Extract<ShardReply, { type: 'ready' }>[];
    try {
      const replies = await Promise.all(
        used.map((port, i) => {
          const [k0, k1] = ranges[i]!;
          const wire: WireModel[] = models.slice(k0, k1).map((m) => ({ params: m.params }));
          return port.request(init(wire, k0, k1));
        }),
      );
      ready = replies.map((r) => replyOf(r, 'ready'));
    } catch (e) {
      // A shard that refused (or a worker that failed) leaves no other worker running.
      for (const p of used) p.close();
      throw e;
    }
    return new KernelPool(
      models[0]!,
      models.length,
      ready[0]!.flavour,
      used,
      ready.reduce((s, r) => s + r.memoryBytes, 0),
      ready.every((r) => r.sharedData),
      null,
      memberSplitReason,
    );
  }

  /** Workers holding members. */
  get workers(): number {
    return this.split ? this.split.workers : this.ports.length;
  }

  /** Steps every member has taken. */
  get steps(): number {
    return this.stepCount;
  }

  private async all<T extends ShardReply['type']>(
    req: ShardRequest,
    type: T,
  ): Promise<Extract<ShardReply, { type: T }>[]> {
    if (this.closed) throw new Error('KernelPool used after dispose');
    if (this.split) throw new Error(`a pixel-split pool does not answer ${req.type}`);
    return (await Promise.all(this.ports.map((p) => p.request(req)))).map((r) => replyOf(r, type));
  }

  /**
   * `steps` Adam steps of every member; resolves when every shard has taken them all, so a
   * caller that stops between calls leaves every member at the same step. Returns the
   * per-member loss at the start of the last step.
   */
  async step(steps = 1): Promise<Float32Array> {
    if (this.split) {
      const loss = await this.split.step(steps);
      this.stepCount += steps;
      return loss;
    }
    const r = await this.all({ type: 'step', steps }, 'stepped');
    this.stepCount += steps;
    return concat(r.map((x) => x.loss));
  }

  /** Classifiers: per-member mean minibatch cross-entropy over the current epoch. */
  async epochTrainLoss(): Promise<Float32Array> {
    return concat((await this.all({ type: 'epoch-loss' }, 'loss')).map((x) => x.loss));
  }

  /** Classifiers: per-member cross-entropy and accuracy on the training or the held-out set. */
  async score(which: 'train' | 'heldOut'): Promise<MemberScores> {
    const r = await this.all({ type: 'score', which }, 'scores');
    return {
      loss: concat(r.map((x) => x.scores.loss)),
      accuracy: concat(r.map((x) => x.scores.accuracy)),
    };
  }

  /** Per-member MSE of the current weights. */
  async evaluate(): Promise<Float32Array> {
    if (this.split) return this.split.evaluate();
    return concat((await this.all({ type: 'evaluate' }, 'loss')).map((x) => x.loss));
  }

  /** Reconstructions [K, n, channels]. */
  async predictions(): Promise<Float32Array> {
    if (this.split) return this.split.predictions();
    return concat((await this.all({ type: 'predictions' }, 'predictions')).map((x) => x.data));
  }

  /** The current weights, as K models. */
  async models(): Promise<Model[]> {
    if (this.split) return this.split.models();
    const r = await this.all({ type: 'models' }, 'models');
    return r
      .flatMap((x) => x.models)
      .map((m) => ({ arch: structuredCloneArch(this.like.arch), params: m.params }));
  }

  /** Weights, Adam moments and step count of every member, for another trainer to continue from. */
  async snapshot(): Promise<PopulationSnapshot> {
    if (this.split) return this.split.snapshot();
    const r = await this.all({ type: 'snapshot' }, 'snapshot');
    const models = r
      .flatMap((x) => x.models)
      .map((m) => ({ arch: structuredCloneArch(this.like.arch), params: m.params }));
    const snap: PopulationSnapshot = {
      steps: this.stepCount,
      models,
      m: r.flatMap((x) => x.m),
      v: r.flatMap((x) => x.v),
    };
    // Classifier shards keep the epoch's loss so far (every shard has seen the same examples).
    if (r[0]!.epoch)
      snap.epoch = { lossSums: concat(r.map((x) => x.epoch!.lossSums)), examples: r[0]!.epoch.examples };
    return snap;
  }

  /**
   * Continues from `s`: the pool must have been created from `s.models`; this loads each shard's
   * members' Adam moments and the step count.
   */
  async resume(s: PopulationSnapshot): Promise<void> {
    checkSnapshot(s, this.k);
    if (this.closed) throw new Error('KernelPool used after dispose');
    if (this.split) {
      this.split.resume(s);
      this.stepCount = s.steps;
      return;
    }
    const ranges = splitMembers(this.k, this.ports.length);
    const replies = await Promise.all(
      this.ports.map((p, i) => {
        const [k0, k1] = ranges[i]!;
        const epoch = s.epoch && { lossSums: s.epoch.lossSums.slice(k0, k1), examples: s.epoch.examples };
        return p.request({
          type: 'resume',
          steps: s.steps,
          m: s.m.slice(k0, k1),
          v: s.v.slice(k0, k1),
          epoch,
        });
      }),
    );
    replies.forEach((r) => replyOf(r, 'resumed'));
    this.stepCount = s.steps;
  }

  /** Closes every shard (their workers end). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.split?.dispose();
    for (const p of this.ports) p.close();
  }
}

export { replyTransfer };
