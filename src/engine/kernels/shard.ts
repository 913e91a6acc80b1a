/**
 * One worker's share of a population on the fused kernel: the messages a pool sends it and the
 * pure handler that answers them. Node's worker_threads (src/cli/kernel-pool.ts) and the
 * browser's Web Workers run this same handler, so a shard computes the same numbers everywhere.
 */
import {
  KernelClassifierTrainer,
  type KernelTrainerOptions,
  type MemberScores,
} from '../classifier/kernel-trainer';
import type { ClassificationData, EvalResult } from '../data/eval-data';
import type { Model, MlpArch } from '../model';
import type { Tensor } from '../tensor';
import { CurveShard, type CurveShardInit } from './curve-shard';
import { EvalShard, type EvalShardInit } from './evaluate';
import { dataIsShared, isShared } from './shared-data';
import { SplitShard, type SplitShardInit } from './split-shard';
import { MlpKernel, type KernelFlavour, type KernelOptions, type KernelRegression } from './mlp-kernel';
import { ZooShard, type ZooMemberOut, type ZooShardInit, type ZooShardRun } from './zoo-fit';

/** A member as it travels: its flat tensors by name (the architecture is sent once). */
export interface WireModel {
  params: Record<string, Tensor>;
}

export type ShardRequest =
  | { type: 'init'; arch: MlpArch; models: WireModel[]; data: KernelRegression; opts: KernelOptions }
  | {
      type: 'init-classifier';
      arch: MlpArch;
      models: WireModel[];
      train: ClassificationData;
      heldOut: ClassificationData;
      /** The shard's members' batch seeds only. */
      opts: KernelTrainerOptions;
    }
  | { type: 'step'; steps: number }
  | { type: 'epoch-loss' }
  | { type: 'score'; which: 'train' | 'heldOut' }
  | { type: 'evaluate' }
  | { type: 'predictions' }
  | { type: 'models' }
  | { type: 'zooInit'; init: ZooShardInit }
  | { type: 'zooRun'; run: ZooShardRun }
  | { type: 'curveInit'; init: CurveShardInit }
  | { type: 'curveGrads'; theta: Float32Array; coeffs: number[][] }
  | { type: 'splitInit'; init: SplitShardInit }
  /**
   * The pixel split's next `steps` steps, the first at Adam step t0 + 1, from shared phase phase0
   * (split-pool.ts, split-memory.ts).
   */
  | { type: 'splitRun'; steps: number; t0: number; phase0: number }
  | { type: 'evalInit'; init: EvalShardInit }
  | { type: 'evalChunk'; models: WireModel[] }
  | { type: 'snapshot' }
  | {
      type: 'resume';
      steps: number;
      m: Float32Array[];
      v: Float32Array[];
      /** Classifier shards: the members' epoch loss so far (PopulationSnapshot.epoch). */
      epoch?: { lossSums: Float32Array; examples: number };
    }
  | { type: 'dispose' };

export type ShardReply =
  /** `sharedData`: the shard's data arrived on shared memory, not as a copy of its own. */
  | { type: 'ready'; flavour: KernelFlavour; memoryBytes: number; sharedData: boolean }
  | { type: 'stepped'; steps: number; loss: Float32Array }
  | { type: 'loss'; loss: Float32Array }
  | { type: 'predictions'; data: Float32Array }
  | { type: 'scores'; scores: MemberScores }
  | { type: 'models'; models: WireModel[] }
  | { type: 'zooReady'; flavour: KernelFlavour }
  /** `sharedPixels`: every member added this round had its target on shared memory. */
  | { type: 'zooRan'; finished: ZooMemberOut[]; sharedPixels: boolean }
  | { type: 'curveGrads'; grads: Float32Array[]; loss: Float32Array }
  | { type: 'splitRan'; steps: number }
  | { type: 'evaluated'; result: EvalResult }
  | {
      type: 'snapshot';
      steps: number;
      models: WireModel[];
      m: Float32Array[];
      v: Float32Array[];
      epoch?: { lossSums: Float32Array; examples: number };
    }
  | { type: 'resumed'; steps: number }
  | { type: 'disposed' }
  | { type: 'error'; message: string };

/** Buffers a reply can transfer instead of copying. */
export function replyTransfer(r: ShardReply): ArrayBuffer[] {
  if (r.type === 'stepped' || r.type === 'loss') return [r.loss.buffer as ArrayBuffer];
  if (r.type === 'predictions') return [r.data.buffer as ArrayBuffer];
  if (r.type === 'scores')
    return [r.scores.loss.buffer as ArrayBuffer, r.scores.accuracy.buffer as ArrayBuffer];
  if (r.type === 'models')
    return r.models.flatMap((m) => Object.values(m.params).map((t) => t.data.buffer as ArrayBuffer));
  if (r.type === 'zooRan')
    return r.finished.flatMap((m) => Object.values(m.params).map((t) => t.data.buffer as ArrayBuffer));
  if (r.type === 'evaluated')
    return [r.result.loss.buffer as ArrayBuffer, r.result.metric.buffer as ArrayBuffer];
  if (r.type === 'curveGrads') return [r.loss, ...r.grads].map((x) => x.buffer as ArrayBuffer);
  if (r.type === 'snapshot')
    return [
      ...r.models.flatMap((m) => Object.values(m.params).map((t) => t.data.buffer as ArrayBuffer)),
      ...[...r.m, ...r.v].map((x) => x.buffer as ArrayBuffer),
    ];
  return [];
}

/**
 * A shard's state machine: init once (a population on a regression target, or classifiers on
 * their training set), then any number of steps and reads.
 */
export function createShardHandler(): (req: ShardRequest) => ShardReply {
  let kernel: MlpKernel | null = null;
  let zoo: ZooShard | null = null;
  let curve: CurveShard | null = null;
  let evaluator: EvalShard | null = null;
  let split: SplitShard | null = null;
  let classifier: {
    trainer: KernelClassifierTrainer;
    train: ClassificationData;
    heldOut: ClassificationData;
  } | null = null;
  return (req): ShardReply => {
    try {
      if (req.type === 'zooInit') {
        zoo = new ZooShard(req.init);
        return { type: 'zooReady', flavour: zoo.flavour };
      }
      if (req.type === 'zooRun') {
        if (!zoo) return { type: 'error', message: 'zoo shard used before zooInit' };
        const sharedPixels = req.run.add.length > 0 && req.run.add.every((m) => isShared(m.pixels));
        return { type: 'zooRan', finished: zoo.run(req.run), sharedPixels };
      }
      if (req.type === 'evalInit') {
        evaluator = new EvalShard(req.init);
        const { flavour, memoryBytes } = evaluator;
        return { type: 'ready', flavour, memoryBytes, sharedData: dataIsShared(req.init.data) };
      }
      if (req.type === 'evalChunk') {
        if (!evaluator) return { type: 'error', message: 'evaluation shard used before evalInit' };
        const arch = evaluator.arch;
        return {
          type: 'evaluated',
          result: evaluator.score(req.models.map((m) => ({ arch, params: m.params }))),
        };
      }
      if (req.type === 'curveInit') {
        curve = new CurveShard(req.init);
        const { flavour, memoryBytes, sharedData } = curve;
        return { type: 'ready', flavour, memoryBytes, sharedData };
      }
      if (req.type === 'curveGrads') {
        if (!curve) return { type: 'error', message: 'curve shard used before curveInit' };
        return { type: 'curveGrads', ...curve.gradients(req.theta, req.coeffs) };
      }
      if (req.type === 'splitInit') {
        split = new SplitShard(req.init);
        const { flavour, memoryBytes } = split;
        return { type: 'ready', flavour, memoryBytes, sharedData: dataIsShared(req.init.data) };
      }
      if (req.type === 'splitRun') {
        if (!split) return { type: 'error', message: 'split shard used before splitInit' };
        split.run(req.steps, req.t0, req.phase0);
        return { type: 'splitRan', steps: req.steps };
      }
      if (req.type === 'init') {
        const models: Model[] = req.models.map((m) => ({ arch: req.arch, params: m.params }));
        kernel = new MlpKernel(models, req.data, req.opts);
        const sharedData = dataIsShared(req.data);
        return { type: 'ready', flavour: kernel.flavour, memoryBytes: kernel.memoryBytes, sharedData };
      }
      if (req.type === 'init-classifier') {
        const models: Model[] = req.models.map((m) => ({ arch: req.arch, params: m.params }));
        const trainer = new KernelClassifierTrainer(models, req.train, req.opts);
        classifier = { trainer, train: req.train, heldOut: req.heldOut };
        const sharedData = dataIsShared(req.train) && dataIsShared(req.heldOut);
        return { type: 'ready', flavour: trainer.flavour, memoryBytes: trainer.memoryBytes, sharedData };
      }
      if (req.type === 'dispose') {
        kernel = null;
        zoo = null;
        curve = null;
        evaluator = null;
        split = null;
        classifier = null;
        return { type: 'disposed' };
      }
      if (classifier) {
        const { trainer } = classifier;
        switch (req.type) {
          case 'step':
            for (let s = 0; s < req.steps; s++) trainer.step();
            return { type: 'stepped', steps: trainer.steps, loss: trainer.lastLoss() };
          case 'epoch-loss':
            return { type: 'loss', loss: trainer.epochTrainLoss() };
          case 'score':
            return { type: 'scores', scores: trainer.score(classifier[req.which]) };
          case 'models':
            return { type: 'models', models: trainer.models().map((m) => ({ params: m.params })) };
          case 'snapshot': {
            const snap = trainer.snapshot();
            const models = snap.models.map((x) => ({ params: x.params }));
            return { type: 'snapshot', steps: snap.steps, models, m: snap.m, v: snap.v, epoch: snap.epoch };
          }
          case 'resume':
            trainer.resume({
              steps: req.steps,
              models: trainer.models(),
              m: req.m,
              v: req.v,
              epoch: req.epoch,
            });
            return { type: 'resumed', steps: trainer.steps };
          default:
            return { type: 'error', message: `a classifier shard does not answer ${req.type}` };
        }
      }
      if (!kernel) return { type: 'error', message: 'shard used before init' };
      switch (req.type) {
        case 'step':
          for (let s = 0; s < req.steps; s++) kernel.step();
          return { type: 'stepped', steps: kernel.steps, loss: kernel.lastLoss() };
        case 'evaluate':
          return { type: 'loss', loss: kernel.evaluate() };
        case 'predictions':
          return { type: 'predictions', data: kernel.predictions() };
        case 'models':
          return { type: 'models', models: kernel.models().map((m) => ({ params: m.params })) };
        case 'snapshot': {
          const { m, v } = kernel.moments();
          const models = kernel.models().map((x) => ({ params: x.params }));
          return { type: 'snapshot', steps: kernel.steps, models, m, v };
        }
        case 'resume':
          kernel.setMoments(req.steps, req.m, req.v);
          return { type: 'resumed', steps: kernel.steps };
        default:
          return { type: 'error', message: `a population shard does not answer ${req.type}` };
      }
    } catch (e) {
      return { type: 'error', message: e instanceof Error ? e.message : String(e) };
    }
  };
}
