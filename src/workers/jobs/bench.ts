/**
 * Benchmarks inside the real worker, on a backend and layout chosen by the caller (npm run bench
 * drives them through headless Chromium, bench/chromium.ts). Every kind runs one untimed warm-up
 * repetition, then `reps` timed ones.
 */
import { coordinateGrid } from '../../engine/inr';
import { benchImage, syntheticCloud } from './bench-data';
import { lossPlane } from '../../engine/landscape/plane';
import { pca } from '../../engine/landscape/pca';
import { initModel, type MlpArch, type Model } from '../../engine/model';
import { pathCurve } from '../../engine/paths/barrier';
import { trainCurveOnKernel } from '../../engine/kernels/curve';
import { trainCurve } from '../../engine/tf/curve';
import { PopulationTrainer } from '../../engine/tf/trainer';
import { defaultLayout, useBackend } from '../backends';
import type { BenchJob, BenchReply } from '../protocol';

const sirenArch = (hidden: number): MlpArch => ({
  widths: [2, hidden, hidden, hidden, 1],
  activation: 'sine',
  w0: 30,
});

/** Milliseconds of `reps` calls after one untimed warm-up call. */
async function repeat(reps: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    await fn();
    if (r > 0) times.push(performance.now() - t0);
  }
  return times;
}

/** `steps` training steps of K SIRENs (and one evaluate, which syncs the backend) per repetition. */
async function trainTimes(job: BenchJob, layout: BenchReply['layout']): Promise<number[]> {
  const arch = sirenArch(job.hidden);
  const n = job.size * job.size;
  const y = new Float32Array(n).map((_, i) => (i % 97) / 97);
  const trainer = new PopulationTrainer(
    Array.from({ length: job.k }, (_, k) => initModel(arch, k)),
    { x: coordinateGrid(job.size, job.size), y, n, inputs: 2, channels: 1 },
    { lr: 1e-4, layout },
  );
  try {
    return await repeat(job.reps, async () => {
      for (let i = 0; i < job.steps; i++) trainer.step();
      await trainer.evaluate();
    });
  } finally {
    trainer.dispose();
  }
}

/**
 * Runs one benchmark: 'train' (k = population size), 'barrier' (a k-point lerp curve between two
 * SIRENs), 'plane' (a k×k loss plane through three SIRENs), 'curve' (k Bezier curve-training steps,
 * on tfjs or with `kernel` on the fused kernel),
 * 'pca' (PCA of k synthetic models of `dim` parameters, as the Cloud view runs it).
 */
export async function runBench(job: BenchJob): Promise<BenchReply> {
  await useBackend(job.backend);
  const layout = job.layout ?? defaultLayout(job.backend);
  if (job.kind === 'train') return { times: await trainTimes(job, layout), backend: job.backend, layout };
  if (job.kind === 'pca') {
    // As the Cloud view computes it (jobs/cloud.ts runCloud).
    const cloud = syntheticCloud(job.k, job.dim ?? 50_000, 1);
    return {
      times: await repeat(job.reps, () => Promise.resolve(pca(cloud, 3))),
      backend: job.backend,
      layout,
    };
  }
  const arch = sirenArch(job.hidden);
  const data = benchImage(job.size);
  const [a, b, c] = [1, 2, 3].map((s) => initModel(arch, s)) as [Model, Model, Model];
  let fn: () => Promise<unknown>;
  switch (job.kind) {
    case 'barrier':
      // kernel: false, so that the row measures the tfjs backend it is labelled with.
      fn = () => pathCurve(a, b, data, { points: job.k, kernel: false });
      break;
    case 'plane':
      fn = () => lossPlane([a, b, c], data, { nx: job.k, ny: job.k, kernel: false });
      break;
    case 'curve': {
      // The app's path (the fused kernel, whatever the tfjs backend), or tfjs on job.backend.
      const train = job.kernel ? trainCurveOnKernel : trainCurve;
      fn = () => train(a, b, data, { steps: job.k, seed: 1, yieldEvery: 0 });
      break;
    }
  }
  return { times: await repeat(job.reps, fn), backend: job.backend, layout };
}
