/**
 * Paths in Node: a 25-point lerp barrier between two SIREN 3×64 (2→64→64→64→1) on a 64×64
 * image, evaluated as one batched population, and Bezier curve training (Garipov et al. 2018,
 * 4 t-samples per step), per tfjs backend and on the fused kernel; and the classifier curve the
 * Paths tab trains (the MNIST sample classifiers #1 and #2, 784 → 64 → 10, on the 1,000
 * training digits, full-batch cross-entropy), kernel against tfjs. The kernel's curves run on one
 * core and on the kernel pool (one worker thread per core). Curve rows carry CPU ms per
 * step beside the wall clock: on a shared machine the wall clock measures the neighbours too.
 */
import { pathToFileURL } from 'node:url';
import { packMnist } from '../scripts/mnist';
import { loadModel } from '../src/cli/io';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { classificationFor } from '../src/engine/data/dataset';
import type { EvalData } from '../src/engine/data/eval-data';
import { mnistTrainSample } from '../src/engine/data/mnist';
import { initModel, type MlpArch, type Model } from '../src/engine/model';
import { pathCurve } from '../src/engine/paths/barrier';
import { trainCurve, type CurveTrainResult } from '../src/engine/tf/curve';
import { trainCurveOnKernel, type KernelCurveOptions } from '../src/engine/kernels/curve';
import { availableCores, nodeShardPorts } from '../src/cli/kernel-pool';
import { benchImage } from '../src/workers/jobs/bench-data';
import { timeIt, usageBetween, type BenchRow, type Usage } from './measure';

export const BENCH_SIREN: MlpArch = { widths: [2, 64, 64, 64, 1], activation: 'sine', w0: 30 };

export interface PathBenchOptions {
  backends?: NodeBackend[];
  /** Curve steps actually timed (default 10 on wasm, 4 on cpu); rows report ms/step and the projection to 500. */
  curveSteps?: number;
}

const SIREN_CURVE = 'curve training (Bezier, 4 t/step), SIREN 3×64, 64×64';
const MNIST_CURVE = 'curve training (Bezier, 4 t/step), MNIST classifiers 784→64→10, 1,000 digits';

type CurveTrainer = (
  a: Model,
  b: Model,
  data: EvalData,
  opts: KernelCurveOptions,
) => Promise<CurveTrainResult>;

/**
 * ms per curve step: one untimed 1-step run (compilation, first allocations), then `reps` runs of
 * `steps` + 1 steps, each timed from the end of its first step to the end of its last, so that a
 * pooled run's start-up (threads loading the engine, each shard's first kernel call) stays out;
 * wall clock per step (median, min, max over the reps) and CPU ms per step (user + system of the
 * whole process, threads included), with the projection to 500 steps.
 */
async function curveRow(
  name: string,
  runtime: string,
  train: CurveTrainer,
  [a, b, data]: [Model, Model, EvalData],
  steps: number,
  reps: number,
  ports?: KernelCurveOptions['ports'],
): Promise<BenchRow> {
  const run = async (n: number): Promise<{ ms: number; usage: Usage }> => {
    const at = { t0: 0, t1: 0, r0: process.resourceUsage(), r1: process.resourceUsage() };
    await train(a, b, data, {
      steps: n + 1,
      seed: 1,
      yieldEvery: 0,
      ...(ports ? { ports } : {}),
      onProgress: (step) => {
        if (step === 1) [at.t0, at.r0] = [performance.now(), process.resourceUsage()];
        if (step === n + 1) [at.t1, at.r1] = [performance.now(), process.resourceUsage()];
      },
    });
    return { ms: at.t1 - at.t0, usage: usageBetween(at.r0, at.r1, 1) };
  };
  await run(1);
  const timed: { ms: number; usage: Usage }[] = [];
  for (let r = 0; r < reps; r++) timed.push(await run(steps));
  const perStep = timed.map((x) => x.ms / steps).sort((x, y) => x - y);
  const median = perStep[Math.floor(perStep.length / 2)]!;
  const sum = (k: 'cpuS' | 'sysS' | 'minorFaults' | 'majorFaults'): number =>
    timed.reduce((s, x) => s + x.usage[k], 0);
  const usage: Usage = {
    cpuS: Number(sum('cpuS').toFixed(3)),
    sysS: Number(sum('sysS').toFixed(3)),
    minorFaults: sum('minorFaults'),
    majorFaults: sum('majorFaults'),
    reps,
  };
  const cpuMs = 1000 * (usage.cpuS + usage.sysS);
  return {
    group: 'paths',
    name: `${name}, timed ${steps} steps`,
    runtime,
    median,
    min: perStep[0]!,
    max: perStep[perStep.length - 1]!,
    unit: 'ms/step',
    usage,
    extra: {
      cpuMsPerStep: Number((cpuMs / (reps * steps)).toFixed(1)),
      projected500StepsS: Number(((median * 500) / 1000).toFixed(1)),
    },
  };
}

/** The Paths tab's classifier pair and the digits its curves train on. */
function mnistPair(): [Model, Model, EvalData] {
  return [
    loadModel('public/models/mnist-mlp-1.safetensors').model,
    loadModel('public/models/mnist-mlp-2.safetensors').model,
    classificationFor(mnistTrainSample(packMnist()), 'MNIST train sample', 784, 10),
  ];
}

export async function benchPaths(opts: PathBenchOptions = {}): Promise<BenchRow[]> {
  const backends = opts.backends ?? ['wasm', 'cpu'];
  const rows: BenchRow[] = [];
  const data = benchImage(64);
  const [a, b] = [initModel(BENCH_SIREN, 1), initModel(BENCH_SIREN, 2)];
  // tfjs-core's gradient registry entry (dist/register_all_gradients) is ESM with directory
  // imports that Node cannot resolve; tfjs-layers' CommonJS bundle registers the same gradients.
  await import('@tensorflow/tfjs-layers');
  // pathCurve uploads the data through tfjs before it picks the kernel: a backend must be up
  // (with --only paths no earlier group has started one).
  await initNodeBackend('wasm');
  // The same barrier on the fused kernel's forward pass (what the app and the CLI now run; 25
  // points are one chunk, which stays in this thread: the pool would cost more to start).
  const f = await timeIt(() => pathCurve(a, b, data, { points: 25 }), 3, 1);
  rows.push({
    group: 'paths',
    name: 'barrier, 25 points, SIREN 3×64, 64×64',
    runtime: 'node/fused-wasm',
    ...f,
    unit: 'ms',
    extra: { msPerPoint: Number((f.median / 25).toFixed(1)) },
  });
  // Curve training on the fused kernel (gradients-only entry, 4 t samples as 4 members): on one
  // core in this thread, and split over one worker thread per core (the app's pool), interleaved.
  const siren: [Model, Model, EvalData] = [a, b, data];
  const mnist = mnistPair();
  const threads = Math.min(4, availableCores());
  const pool = (members: number) => nodeShardPorts(members, threads);
  const pooled = `node/fused-wasm ×${threads} threads`;
  rows.push(await curveRow(SIREN_CURVE, 'node/fused-wasm', trainCurveOnKernel, siren, 50, 3));
  rows.push(await curveRow(SIREN_CURVE, pooled, trainCurveOnKernel, siren, 50, 3, pool));
  rows.push(await curveRow(MNIST_CURVE, 'node/fused-wasm', trainCurveOnKernel, mnist, 20, 3));
  rows.push(await curveRow(MNIST_CURVE, pooled, trainCurveOnKernel, mnist, 20, 3, pool));
  for (const backend of backends) {
    await initNodeBackend(backend);
    const runtime = `node/${backend}`;
    const t = await timeIt(
      () => pathCurve(a, b, data, { points: 25, kernel: false }),
      backend === 'cpu' ? 2 : 3,
      1,
    );
    rows.push({
      group: 'paths',
      name: 'barrier, 25 points, SIREN 3×64, 64×64',
      runtime,
      ...t,
      unit: 'ms',
      extra: { msPerPoint: Number((t.median / 25).toFixed(1)) },
    });
    // 500 full curve steps take minutes on these backends (~0.9 s/step on wasm): time a slice
    // after a 1-step warm-up, and report ms/step with the projection to 500 steps.
    const curveSteps = opts.curveSteps ?? (backend === 'cpu' ? 4 : 10);
    rows.push(await curveRow(SIREN_CURVE, runtime, trainCurve, siren, curveSteps, 1));
    rows.push(await curveRow(MNIST_CURVE, runtime, trainCurve, mnist, backend === 'cpu' ? 2 : 5, 1));
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchPaths();
  console.table(
    rows.map((r) => ({
      name: r.name,
      runtime: r.runtime,
      median: r.median.toFixed(1),
      unit: r.unit,
      ...r.extra,
    })),
  );
}
