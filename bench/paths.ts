/**
 * Paths in Node: a 25-point lerp barrier between two SIREN 3×64 (2→64→64→64→1) on a 64×64
 * image, evaluated as one batched population, and Bezier curve training (Garipov et al. 2018,
 * 4 t-samples per step), per tfjs backend.
 */
import { pathToFileURL } from 'node:url';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { initModel, type MlpArch } from '../src/engine/model';
import { pathCurve } from '../src/engine/paths/barrier';
import { trainCurve } from '../src/engine/tf/curve';
import { trainCurveOnKernel } from '../src/engine/kernels/curve';
import { benchImage } from '../src/workers/jobs/bench-data';
import { timeIt, type BenchRow } from './measure';

export const BENCH_SIREN: MlpArch = { widths: [2, 64, 64, 64, 1], activation: 'sine', w0: 30 };

export interface PathBenchOptions {
  backends?: NodeBackend[];
  /** Curve steps actually timed (default 10 on wasm, 4 on cpu); rows report ms/step and the projection to 500. */
  curveSteps?: number;
}

export async function benchPaths(opts: PathBenchOptions = {}): Promise<BenchRow[]> {
  const backends = opts.backends ?? ['wasm', 'cpu'];
  const rows: BenchRow[] = [];
  const data = benchImage(64);
  const [a, b] = [initModel(BENCH_SIREN, 1), initModel(BENCH_SIREN, 2)];
  // tfjs-core's gradient registry entry (dist/register_all_gradients) is ESM with directory
  // imports that Node cannot resolve; tfjs-layers' CommonJS bundle registers the same gradients.
  await import('@tensorflow/tfjs-layers');
  // The same barrier on the fused kernel's forward pass (what the app and the CLI now run).
  const f = await timeIt(() => pathCurve(a, b, data, { points: 25 }), 3, 1);
  rows.push({
    group: 'paths',
    name: 'barrier, 25 points, SIREN 3×64, 64×64',
    runtime: 'node/fused-wasm',
    ...f,
    unit: 'ms',
    extra: { msPerPoint: Number((f.median / 25).toFixed(1)) },
  });
  // Curve training on the fused kernel (gradients-only entry, 4 t samples as 4 members, one core).
  const kernelSteps = 50;
  await trainCurveOnKernel(a, b, data, { steps: 1, seed: 1 });
  const kc = await timeIt(
    () => trainCurveOnKernel(a, b, data, { steps: kernelSteps, seed: 1, yieldEvery: 0 }),
    3,
    0,
  );
  rows.push({
    group: 'paths',
    name: `curve training (Bezier, 4 t/step), SIREN 3×64, 64×64, timed ${kernelSteps} steps`,
    runtime: 'node/fused-wasm',
    median: kc.median / kernelSteps,
    min: kc.min / kernelSteps,
    max: kc.max / kernelSteps,
    unit: 'ms/step',
    extra: { projected500StepsS: Number(((kc.median / kernelSteps) * 0.5).toFixed(1)) },
  });
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
    await trainCurve(a, b, data, { steps: 1, seed: 1 });
    const c = await timeIt(() => trainCurve(a, b, data, { steps: curveSteps, seed: 1, yieldEvery: 0 }), 1, 0);
    const perStep = c.median / curveSteps;
    rows.push({
      group: 'paths',
      name: `curve training (Bezier, 4 t/step), SIREN 3×64, 64×64, timed ${curveSteps} steps`,
      runtime,
      median: perStep,
      min: c.min / curveSteps,
      max: c.max / curveSteps,
      unit: 'ms/step',
      extra: { projected500StepsS: Number(((perStep * 500) / 1000).toFixed(1)) },
    });
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
