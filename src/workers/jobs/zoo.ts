/**
 * The worker's zoo: one zoo at a time, built here (fitZoo) or opened from a file (readZoo), its
 * weights kept in the worker; the app gets a summary with a grid of reconstructions. Building a
 * zoo (fitting INRs, training classifiers) is what Stop ends early keeping what it has (like
 * training): the members finished so far become the zoo, with `cancelled: true`; a cancel keeps
 * nothing.
 */
import { alignModels } from '../../engine/align';
import { yieldToEvents } from '../../engine/cancel';
import { forward } from '../../engine/forward';
import { coordinateGrid } from '../../engine/inr';
import { pca } from '../../engine/landscape/pca';
import { flattenModel } from '../../engine/model';
import { fitZoo, type ZooFitOptions } from '../../engine/tf/zoo-fit';
import { fitZooOnKernel, kernelZooCoverage } from '../../engine/kernels/zoo-fit';
import type { MlpArch } from '../../engine/model';
import type { ZooTargets } from '../../engine/zoo/sources';
import { browserShardPorts } from '../kernel-pool';
import { trainWeightSpace } from '../../engine/tf/ws-train';
import type { WsEpoch, WsResult } from '../../engine/weightspace/types';
import {
  labelCounts,
  memberModel,
  memberRow,
  readZoo,
  writeZooNpz,
  writeZooSafetensors,
  zooSplit,
  type Zoo,
} from '../../engine/zoo/index';
import { buildClassifierZoo } from '../../engine/zoo/classifier-build';
import { mnistTargets, seedTargets } from '../../engine/zoo/sources';
import { ensureBackend } from '../backends';
import type { ZooClassifiersJob, ZooCloudReply, ZooFitJob, ZooSummary, ZooTrainJob } from '../protocol';
import { waitWhilePaused, type JobContext, type PauseSwitch } from './context';

let current: { zoo: Zoo; name: string } | null = null;

function need(): Zoo {
  if (!current) throw new Error('no zoo yet: build one or open a zoo file first');
  return current.zoo;
}

/** Up to `perLabel` members of each label (at most 60 in all), in zoo order. */
function shownMembers(zoo: Zoo, perLabel = 6): number[] {
  const labels = labelCounts(zoo);
  const per = Math.max(1, Math.min(perLabel, Math.floor(60 / labels.length)));
  const taken = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < zoo.n && out.length < 60; i++) {
    const c = taken.get(zoo.labels[i]!) ?? 0;
    if (c < per) {
      taken.set(zoo.labels[i]!, c + 1);
      out.push(i);
    }
  }
  return out;
}

/**
 * For a zoo of classifiers on square images (inputs = side²): per shown member, the mean absolute
 * first-layer weight of every input pixel, scaled to [0, 1] per member, as a side × side picture
 * of which pixels the network reads. Null when the inputs are not a square image.
 */
function inputMaps(zoo: Zoo, idx: number[]): { data: Float32Array; side: number } | null {
  const inputs = zoo.arch.widths[0]!;
  const hidden = zoo.arch.widths[1]!;
  const side = Math.round(Math.sqrt(inputs));
  if (side * side !== inputs || side < 4) return null;
  const data = new Float32Array(idx.length * inputs);
  idx.forEach((k, r) => {
    const w = memberRow(zoo, k); // layers.0.weight [hidden, inputs] comes first in the row
    const map = data.subarray(r * inputs, (r + 1) * inputs);
    for (let h = 0; h < hidden; h++) for (let p = 0; p < inputs; p++) map[p]! += Math.abs(w[h * inputs + p]!);
    let max = 0;
    for (const v of map) max = Math.max(max, v);
    if (max > 0) for (let p = 0; p < inputs; p++) map[p]! /= max;
  });
  return { data, side };
}

function summary(zoo: Zoo, name: string, extra: Partial<ZooSummary> = {}): ZooSummary {
  const idx = shownMembers(zoo);
  const inr = zoo.meta.inr ?? null;
  const px = inr ? inr.height * inr.width * inr.channels : 0;
  const thumbs = new Float32Array(idx.length * px);
  if (inr) {
    const grid = coordinateGrid(inr.height, inr.width);
    idx.forEach((k, r) => thumbs.set(forward(memberModel(zoo, k), grid, inr.height * inr.width), r * px));
  }
  let split: ZooSummary['split'] = null;
  if (zoo.split) {
    split = { train: 0, val: 0, test: 0 };
    for (const s of zoo.split) split[s === 0 ? 'train' : s === 1 ? 'val' : 'test']++;
  }
  const psnrCol = zoo.columns.find((c) => c.name === 'psnr' && c.shape.length === 1);
  const accCol = zoo.columns.find((c) => c.name === 'accuracy' && c.shape.length === 1);
  const maps = inr ? null : inputMaps(zoo, idx);
  return {
    name,
    n: zoo.n,
    arch: zoo.arch,
    archInferred: zoo.meta.archInferred,
    labels: new Int32Array(zoo.labels),
    labelNames: zoo.meta.labelNames ?? null,
    split,
    psnr: psnrCol ? Float32Array.from(psnrCol.data) : null,
    inr,
    source: zoo.meta.source ?? null,
    thumbIndex: Int32Array.from(idx),
    thumbs: maps ? maps.data : thumbs,
    ...(maps ? { inputMaps: { height: maps.side, width: maps.side } } : {}),
    ...(accCol ? { accuracy: Float32Array.from(accCol.data) } : {}),
    ...(zoo.meta.classifiers ? { classifiers: zoo.meta.classifiers } : {}),
    ...extra,
  };
}

/**
 * Builds a zoo (MNIST digits, or one image under seeds). `stop` keeps the finished members (fewer
 * than 2 → rejects); a cancel (`ctx.signal`) keeps nothing and leaves the current zoo as it was.
 */
export async function runZooFit(
  job: ZooFitJob,
  ctx: JobContext,
  pause: PauseSwitch,
  stop: AbortSignal,
): Promise<ZooSummary> {
  await ensureBackend();
  const src = job.image
    ? seedTargets(job.image.data, job.image.count, job.image.name)
    : mnistTargets(job.mnist, {
        perClass: job.perClass,
        seed: job.seed,
        size: job.size,
        classes: job.classes,
      });
  const arch: MlpArch = { widths: [2, ...job.hidden, src.channels], activation: 'sine', w0: 30 };
  // The fused kernel on every core but the page's; tfjs where it does not cover the model.
  const uncovered = kernelZooCoverage(arch);
  const path = uncovered ? `tfjs (fused kernel: ${uncovered})` : 'fused kernel';
  const fit = (s: ZooTargets, o: ZooFitOptions) =>
    uncovered ? fitZoo(s, o) : fitZooOnKernel(s, o, browserShardPorts(s.targets.length));
  const r = await fit(src, {
    arch,
    maxSteps: job.steps,
    targetPsnr: job.psnr,
    seed: job.seed,
    lr: job.lr,
    ...(job.batch !== undefined ? { batchSize: job.batch } : {}),
    signal: ctx.signal,
    stop,
    waitWhilePaused: async () => {
      await waitWhilePaused(pause, ctx.signal, stop);
      await yieldToEvents();
    },
    onProgress: (p) =>
      ctx.progress({
        done: p.done,
        total: p.total,
        label:
          `${p.done}/${p.total} INRs · batch ${p.batchSize} · ${path}` +
          (Number.isFinite(p.meanPsnr) ? ` · mean ${p.meanPsnr.toFixed(1)} dB` : '') +
          (p.etaMs !== null ? ` · ETA ${Math.ceil(p.etaMs / 1000)} s` : ''),
      }),
  });
  if (!r.zoo) {
    stop.throwIfAborted();
    throw new Error(`only ${r.done} INR(s) finished; a zoo needs at least 2`);
  }
  const name = job.image ? `seeds-zoo-${r.zoo.n}` : `mnist-inr-zoo-${r.zoo.n}`;
  current = { zoo: r.zoo, name };
  return summary(r.zoo, name, { cancelled: r.stopped, seconds: r.seconds });
}

/**
 * Builds a zoo of MNIST classifiers labelled by seed or task. Pause holds it between steps; Stop
 * keeps the members finished so far (fewer than 2 → rejects), as a zoo fit's does; a cancel
 * keeps nothing.
 */
export async function runZooClassifiers(
  job: ZooClassifiersJob,
  ctx: JobContext,
  pause: PauseSwitch,
  stop: AbortSignal,
): Promise<ZooSummary> {
  await ensureBackend();
  const { mnist, ...settings } = job;
  const r = await buildClassifierZoo(mnist, settings, {
    signal: ctx.signal,
    gate: () => waitWhilePaused(pause, ctx.signal, stop),
    stop: () => stop.aborted,
    onProgress: (p) =>
      ctx.progress({
        done: p.fraction * p.total,
        total: p.total,
        label:
          `${p.done}/${p.total} classifiers · ${settings.labelBy} ${p.label}` +
          (Number.isFinite(p.meanAccuracy) ? ` · mean held-out ${(100 * p.meanAccuracy).toFixed(0)}%` : '') +
          (p.etaMs !== null ? ` · ETA ${Math.ceil(p.etaMs / 1000)} s` : ''),
      }),
  });
  if (!r.zoo) {
    stop.throwIfAborted();
    throw new Error(`only ${r.done} classifier(s) finished; a zoo needs at least 2`);
  }
  const name = `classifier-zoo-${settings.labelBy}-${r.zoo.n}`;
  current = { zoo: r.zoo, name };
  return summary(r.zoo, name, { cancelled: r.stopped, seconds: r.seconds });
}

/** Opens a dropped zoo file (validated by the engine; a refused file leaves the zoo as it was). */
export function openZoo(name: string, bytes: Uint8Array): ZooSummary {
  const zoo = readZoo({ name, bytes });
  current = { zoo, name: name.replace(/\.(npz|safetensors)$/, '') };
  return summary(zoo, current.name);
}

export async function runZooTrain(job: ZooTrainJob, ctx: JobContext): Promise<WsResult> {
  const zoo = need();
  await ensureBackend();
  const epochs: WsEpoch[] = [];
  return trainWeightSpace(zoo, zooSplit(zoo, job.seed), {
    ...job,
    signal: ctx.signal,
    // Every epoch so far goes with each progress message: the app draws the curve while it grows.
    onEpoch: (e) => {
      epochs.push(e);
      ctx.progress({
        done: e.epoch,
        total: job.epochs,
        label: `${job.method}: epoch ${e.epoch}/${job.epochs} · held-out ${(100 * e.testAccuracy).toFixed(0)}%`,
        wsEpochs: [...epochs],
      });
    },
  });
}

/** PCA of the raw weights and of the weights aligned to member 0 (Cloud view, coloured by label). */
export async function runZooCloud(components: number, ctx: JobContext): Promise<ZooCloudReply> {
  const zoo = need();
  const ref = memberModel(zoo, 0);
  const raw: Float32Array[] = [];
  const aligned: Float32Array[] = [];
  for (let i = 0; i < zoo.n; i++) {
    const m = memberModel(zoo, i);
    raw.push(flattenModel(m));
    aligned.push(i === 0 ? flattenModel(m) : flattenModel(alignModels(ref, m).model));
    if (i % 8 === 7) {
      ctx.progress({ done: i + 1, total: zoo.n, label: 'aligning every member to member 0' });
      await yieldToEvents(ctx.signal);
    }
  }
  const a = pca(raw, components);
  const b = pca(aligned, components);
  return {
    labels: new Int32Array(zoo.labels),
    raw: { coords: a.coords, explainedVarianceRatio: a.explainedVarianceRatio },
    aligned: { coords: b.coords, explainedVarianceRatio: b.explainedVarianceRatio },
  };
}

export function exportZoo(format: 'npz' | 'safetensors'): { bytes: Uint8Array; filename: string } {
  const zoo = need();
  return {
    bytes: format === 'npz' ? writeZooNpz(zoo) : writeZooSafetensors(zoo),
    filename: `${current!.name}.${format}`,
  };
}
