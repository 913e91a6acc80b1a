/**
 * Zoo benchmarks: fitting INRs per second (SIREN 2→32→32→1 on 28×28 MNIST digits, each to
 * 40 dB or 1,000 Adam steps, the population batched with slot refill) and weight-space training
 * epochs per second per method. bench/torch_zoo.py fits the same digits (the first `perClass`
 * of each class in the mnist package's order) with the same rule in PyTorch.
 */
import { packMnist } from '../scripts/mnist';
import { initNodeBackend } from '../src/cli/tf-node';
import { mnistClassIndices, MNIST_COUNT, MNIST_PIXELS } from '../src/engine/data/mnist';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { createRng } from '../src/engine/rng';
import { trainWeightSpace } from '../src/engine/tf/ws-train';
import { fitZoo, type ZooFitResult } from '../src/engine/tf/zoo-fit';
import { fitZooOnKernel } from '../src/engine/kernels/zoo-fit';
import { availableCores, nodeShardPorts } from '../src/cli/kernel-pool';
import type { WsMethod } from '../src/engine/weightspace/types';
import { zooFromModels, zooSplit } from '../src/engine/zoo/members';
import type { ZooTargets } from '../src/engine/zoo/sources';
import { unflattenModel } from '../src/engine/model';
import { usageSince, type BenchRow, type Usage } from './measure';

export const ZOO_ARCH: MlpArch = { widths: [2, 32, 32, 1], activation: 'sine', w0: 30 };
export const zooFitName = (n: number): string =>
  `fit ${n} MNIST INRs, SIREN 2-32-32-1, 28×28, to 40 dB or 1,000 steps`;

/** The first `perClass` digits of each class, unresampled. */
function firstDigits(perClass: number): ZooTargets {
  const bin = packMnist();
  const targets = mnistClassIndices(bin).flatMap((ids, c) =>
    ids.slice(0, perClass).map((idx) => ({
      pixels: Float32Array.from(
        bin.subarray(MNIST_COUNT + idx * MNIST_PIXELS, MNIST_COUNT + (idx + 1) * MNIST_PIXELS),
        (v) => v / 255,
      ),
      label: c,
      sourceIndex: idx,
    })),
  );
  return { height: 28, width: 28, channels: 1, targets, source: 'mnist', labelNames: [] };
}

/** A zoo-fit row: INRs per second, with the mean PSNR and steps the members took. */
function fitRow(
  r: ZooFitResult,
  runtime: string,
  usage: Usage,
  extra: Record<string, number> = {},
): BenchRow {
  const steps = r.zoo!.columns.find((c) => c.name === 'steps')!.data;
  const meanSteps = Array.from(steps).reduce((a, b) => a + b, 0) / steps.length;
  const rate = r.done / r.seconds;
  return {
    group: 'zoo',
    name: zooFitName(r.done),
    runtime,
    median: rate,
    min: rate,
    max: rate,
    unit: 'INRs/s',
    usage,
    extra: {
      seconds: +r.seconds.toFixed(1),
      meanPsnr: +r.meanPsnr.toFixed(1),
      meanSteps: Math.round(meanSteps),
      batch: r.batchSize,
      ...extra,
    },
  };
}

export async function benchZoo(
  perClass: number,
  log: (s: string) => void,
  opts: { tfjs?: boolean; weightSpace?: boolean } = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const src = firstDigits(perClass);
  const fit = { arch: ZOO_ARCH, maxSteps: 1000, targetPsnr: 40, seed: 0, lr: 1e-3 };
  // The fused kernel, members in shards of 32 over one worker thread per core.
  const threads = availableCores();
  let r0 = process.resourceUsage();
  const k = await fitZooOnKernel(src, fit, nodeShardPorts(src.targets.length, threads));
  rows.push(
    fitRow(k, `node/fused-wasm ${k.flavour} × ${k.workers}`, usageSince(r0, 1), { threads: k.workers }),
  );
  log(`zoo fit on the fused kernel: ${(k.done / k.seconds).toFixed(2)} INRs/s`);
  await initNodeBackend('wasm');
  if (opts.tfjs !== false) {
    r0 = process.resourceUsage();
    const r = await fitZoo(src, fit);
    rows.push(fitRow(r, 'node/wasm', usageSince(r0, 1)));
    log(`zoo fit: ${(r.done / r.seconds).toFixed(2)} INRs/s`);
  }
  if (opts.weightSpace === false) return rows;

  // Weight-space training on a 256-member zoo of that architecture (random SIRENs, 10 labels).
  const rng = createRng(1);
  const like = initModel(ZOO_ARCH, 0);
  const models = Array.from({ length: 256 }, (_, i) => {
    const row = flattenModel(initModel(ZOO_ARCH, i + 1));
    for (let d = 0; d < row.length; d++) row[d] = row[d]! + 0.01 * rng.normal();
    return unflattenModel(like, row);
  });
  const zoo = zooFromModels(
    models,
    Array.from({ length: 256 }, (_, i) => i % 10),
  );
  const split = zooSplit(zoo, 0);
  for (const method of ['mlp', 'mlp-augmented', 'np'] as WsMethod[]) {
    const epochs = 2;
    r0 = process.resourceUsage();
    const t = await trainWeightSpace(zoo, split, { method, epochs, seed: 0 });
    const usage = usageSince(r0, 1);
    const eps = epochs / t.seconds;
    rows.push({
      group: 'zoo',
      name: `weight-space training, ${method}, ${split.train.length} train members of SIREN 2-32-32-1, batch 32`,
      runtime: 'node/wasm',
      median: eps,
      min: eps,
      max: eps,
      unit: 'epochs/s',
      usage,
      extra: { seconds: +t.seconds.toFixed(2) },
    });
    log(`zoo ${method}: ${eps.toFixed(2)} epochs/s`);
  }
  return rows;
}
