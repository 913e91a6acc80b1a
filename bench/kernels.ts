/**
 * The fused population kernel against PyTorch (issue 14): SIREN 3×64 on 64×64, full-batch Adam,
 * model-steps/s at K = 1, 8, 32, 128 on one thread and on all cores, with GFLOP/s and the
 * fraction of the float32 GEMM ceiling. On all cores K = 1 (and K = 2 where there are more than 2
 * cores) splits each member's pixels over the threads (src/engine/kernels/split-pool.ts). Our rows
 * and PyTorch's run interleaved (one PyTorch process per row, right after ours), and every row
 * records the CPU time, system time and page faults of its timed repetitions, so that a row slowed
 * by the machine (a noisy neighbour, page faults) shows it. Today's tfjs-wasm path is measured at
 * K = 1 and 32 for the before/after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableCores, nodeKernelPool } from '../src/cli/kernel-pool';
import { initNodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { MlpKernel } from '../src/engine/kernels/mlp-kernel';
import { initModel, type MlpArch } from '../src/engine/model';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { usageSince, type BenchRow } from './measure';
import { referenceRows } from './reference';
import { stepFlops } from './train';

const ARCH: MlpArch = { widths: [2, 64, 64, 64, 1], activation: 'sine', w0: 30 };
const SIZE = 64;
const N = SIZE * SIZE;
const KS = [1, 8, 32, 128];

/** Steps per repetition: ~8 GFLOP, 2…20 (torch_bench.py case_steps with max_steps 20). */
const stepsFor = (k: number): number => Math.max(2, Math.min(20, Math.floor(8e9 / (stepFlops(ARCH, N) * k))));

const label = (threads: number): string => (threads === 1 ? '1 thread' : `all cores (${threads})`);
const rowName = (k: number, threads: number): string => `SIREN 3×64, 64×64, K=${k}, ${label(threads)}`;

/**
 * Times `reps` repetitions of `steps` steps after one untimed repetition (fewer when one run
 * outlasts `budgetS`, as bench/torch_bench.py does).
 */
async function measure(
  name: string,
  runtime: string,
  k: number,
  steps: number,
  reps: number,
  run: () => Promise<void>,
  extra: Record<string, number | string>,
  budgetS = 60,
): Promise<BenchRow> {
  const w0 = performance.now();
  await run();
  const warm = (performance.now() - w0) / 1000;
  if (warm * reps > budgetS) reps = 1;
  const r0 = process.resourceUsage();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  const usage = usageSince(r0, reps);
  times.sort((a, b) => a - b);
  const perStep = times[Math.floor(times.length / 2)]! / steps;
  // On a shared VM the wall clock also counts other tenants' time slices; the CPU time does not.
  const cpuRate = (k * steps * reps) / (usage.cpuS + usage.sysS);
  return {
    group: 'kernels',
    name,
    runtime,
    median: (1000 * k) / perStep,
    min: (1000 * k * steps) / times[times.length - 1]!,
    max: (1000 * k * steps) / times[0]!,
    unit: 'model-steps/s',
    usage,
    extra: {
      steps,
      reps,
      msPerStep: Number(perStep.toFixed(2)),
      gflops: Number(((stepFlops(ARCH, N) * k) / perStep / 1e6).toFixed(2)),
      perCpuSecond: Number(cpuRate.toPrecision(4)),
      ...extra,
    },
  };
}

function data() {
  const x = coordinateGrid(SIZE, SIZE);
  const y = Float32Array.from({ length: N }, (_, i) => (i % 97) / 97);
  return { kind: 'regression' as const, x, y, n: N, inputs: 2, channels: 1 };
}

const members = (k: number) => Array.from({ length: k }, (_, i) => initModel(ARCH, i));

/** The fused kernel on one thread (in this thread) or on a pool of worker threads. */
async function fusedRow(k: number, threads: number): Promise<BenchRow> {
  const steps = stepsFor(k);
  if (threads === 1) {
    const kernel = new MlpKernel(members(k), data(), { lr: 1e-4 });
    return measure(
      rowName(k, 1),
      `node/fused-wasm ${kernel.flavour}`,
      k,
      steps,
      3,
      async () => {
        for (let s = 0; s < steps; s++) kernel.step();
      },
      { threads: 1 },
    );
  }
  const pool = await nodeKernelPool(members(k), data(), { lr: 1e-4 }, threads);
  // Fewer members than threads: each member's pixels are split over them (split-pool.ts).
  const px = pool.pixelSplit;
  try {
    return await measure(
      rowName(k, threads) + (px ? `, pixels split in ${px.chunks} chunks` : ''),
      `node/fused-wasm ${pool.flavour} ×${pool.workers}`,
      k,
      steps,
      3,
      async () => void (await pool.step(steps)),
      { threads: pool.workers, split: px ? `pixels/${px.chunks}` : 'members' },
    );
  } finally {
    pool.dispose();
  }
}

/** Today's path: the tfjs PopulationTrainer on tfjs-wasm with the split layout. */
async function tfjsRow(k: number): Promise<BenchRow> {
  await initNodeBackend('wasm');
  const trainer = new PopulationTrainer(members(k), data(), { lr: 1e-4, layout: 'split' });
  const steps = 2;
  try {
    return await measure(
      rowName(k, 1),
      'node/tfjs-wasm split',
      k,
      steps,
      k > 8 ? 1 : 3,
      async () => {
        for (let s = 0; s < steps; s++) trainer.step();
        await trainer.evaluate();
      },
      { threads: 1 },
    );
  } finally {
    trainer.dispose();
  }
}

/** One PyTorch row in its own process (OMP/BLAS threads set to match). */
function torchRow(k: number, threads: number): BenchRow {
  const id = { group: 'kernels', name: rowName(k, threads), runtime: 'python/torch', unit: 'model-steps/s' };
  return referenceRows(['--kernel-k', String(k)], id, threads)[0]!;
}

/** The shared-init population of the `subsets` rows: K members from one init, half the pixels a step. */
const SUBSETS = { k: 8, fraction: 0.5, seed: 1 };

/**
 * A row of the `subsets` group: `measure`'s kernels row regrouped, its GFLOP/s counting the pixels
 * a step visits: the kernel gathers the fraction drawn, tfjs masks the whole grid (`visited` 1).
 */
function subsetRow(r: BenchRow, fraction: number, visited = fraction): BenchRow {
  const extra = r.extra!;
  if (typeof extra.gflops === 'number') extra.gflops = Number((extra.gflops * visited).toFixed(2));
  return { ...r, group: 'subsets', extra: { ...extra, batchFraction: fraction } };
}

/**
 * Shared-init populations (batchFraction < 1: every member on its own seeded random half of the
 * pixels each step): the fused kernel, which gathers each member's pixels and visits only those,
 * on one thread and on all cores, against the tfjs PopulationTrainer on tfjs-wasm (split layout),
 * which masks the full grid. SIREN 3×64 on 64×64, K = 8 members from one init; the full-batch
 * kernel row beside them for scale.
 */
export async function benchSubsets(opts: KernelBenchOptions = {}): Promise<BenchRow[]> {
  const log = opts.log ?? (() => {});
  const { k, fraction, seed } = SUBSETS;
  const inits = Array.from({ length: k }, () => initModel(ARCH, 0));
  const subsets = { lr: 1e-4, pixelSubsets: { fraction, seed } };
  const name = (threads: number): string =>
    `SIREN 3×64, 64×64, K=${k} from one init, ${fraction * 100} % pixel subsets, ${label(threads)}`;
  const steps = stepsFor(k);
  const rows: BenchRow[] = [];
  const add = (r: BenchRow): void => {
    rows.push(r);
    log(`${r.runtime} ${r.name}: ${r.median.toFixed(1)} ${r.unit} (${r.min.toFixed(1)}–${r.max.toFixed(1)})`);
  };
  const kernel = new MlpKernel(inits, data(), subsets);
  add(
    subsetRow(
      await measure(
        name(1),
        `node/fused-wasm ${kernel.flavour}`,
        k,
        steps,
        3,
        async () => {
          for (let s = 0; s < steps; s++) kernel.step();
        },
        { threads: 1 },
      ),
      fraction,
    ),
  );
  const full = new MlpKernel(inits, data(), { lr: 1e-4 });
  add({
    ...(await measure(
      `SIREN 3×64, 64×64, K=${k} full batch (for scale), 1 thread`,
      `node/fused-wasm ${full.flavour}`,
      k,
      steps,
      3,
      async () => {
        for (let s = 0; s < steps; s++) full.step();
      },
      { threads: 1 },
    )),
    group: 'subsets',
  });
  const cores = availableCores();
  if (cores > 1) {
    const pool = await nodeKernelPool(inits, data(), subsets, cores);
    try {
      add(
        subsetRow(
          await measure(
            name(cores),
            `node/fused-wasm ${pool.flavour} ×${pool.workers}`,
            k,
            steps,
            3,
            async () => void (await pool.step(steps)),
            { threads: pool.workers },
          ),
          fraction,
        ),
      );
    } finally {
      pool.dispose();
    }
  }
  await initNodeBackend('wasm');
  const trainer = new PopulationTrainer(inits, data(), {
    lr: 1e-4,
    layout: 'split',
    batchFraction: fraction,
    noiseSeed: seed,
  });
  try {
    add(
      subsetRow(
        await measure(
          name(1),
          'node/tfjs-wasm split',
          k,
          2,
          opts.quick ? 1 : 2,
          async () => {
            for (let s = 0; s < 2; s++) trainer.step();
            await trainer.evaluate();
          },
          { threads: 1 },
        ),
        fraction,
        1,
      ),
    );
  } finally {
    trainer.dispose();
  }
  return rows;
}

/** tfjs-wasm's XNNPACK float32 GEMM (1024³, one thread): the ceiling our rows are a fraction of. */
async function wasmGemmCeiling(): Promise<number> {
  await initNodeBackend('wasm');
  const n = 1024;
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  // CPU time, not wall time: this is a per-core ceiling, and other tenants' load is not ours.
  const once = (): number => {
    const c0 = process.cpuUsage();
    tf.tidy(() => tf.matMul(a, b)).dataSync();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  once();
  const times = [once(), once(), once(), once(), once()].sort((x, y) => x - y);
  tf.dispose([a, b]);
  return (2 * n ** 3) / times[2]! / 1e6;
}

export interface KernelBenchOptions {
  quick?: boolean;
  log?: (line: string) => void;
}

/** Every row of the group; `quick` stops at K = 8 and skips the tfjs rows. */
export async function benchKernels(opts: KernelBenchOptions = {}): Promise<BenchRow[]> {
  const log = opts.log ?? (() => {});
  const cores = availableCores();
  const ceiling = await wasmGemmCeiling();
  log(`kernels: wasm GEMM ceiling ${ceiling.toFixed(1)} GFLOP/s per thread, ${cores} cores`);
  const rows: BenchRow[] = [];
  const add = (r: BenchRow): void => {
    // Both per CPU-second, so that other tenants' load cancels out of the fraction.
    const rate = r.extra?.perCpuSecond;
    if (typeof rate === 'number') {
      const g = (stepFlops(ARCH, N) * rate) / 1e9;
      r.extra!.gflopsPerCpuS = Number(g.toFixed(1));
      r.extra!.ofGemm = `${((100 * g) / ceiling).toFixed(0)}%`;
    }
    rows.push(r);
    log(`${r.runtime} ${r.name}: ${Number.isFinite(r.median) ? r.median.toFixed(1) : r.skipped} ${r.unit}`);
  };
  for (const k of opts.quick ? KS.slice(0, 2) : KS) {
    add(await fusedRow(k, 1));
    add(torchRow(k, 1));
    if (cores > 1) {
      add(await fusedRow(k, cores));
      add(torchRow(k, cores));
    }
    if (!opts.quick && (k === 1 || k === 32)) add(await tfjsRow(k));
    // K = 2 splits pixels only where there are more than 2 cores; beside it PyTorch on all cores.
    if (k === 1 && cores > 2) {
      add(await fusedRow(2, cores));
      add(torchRow(2, cores));
    }
  }
  rows.push({
    group: 'kernels',
    name: 'float32 GEMM 1024×1024×1024, per CPU-second (the ofGemm column is a fraction of it)',
    runtime: 'node/tfjs-wasm xnnpack',
    median: ceiling,
    min: ceiling,
    max: ceiling,
    unit: 'GFLOP/s',
  });
  return rows;
}
