/**
 * Population training throughput in Node: model-steps per second for K = 1, 8, 32 SIRENs
 * (2→64×3→1, and 3×256) on 64×64 (and 128×128) images, per tfjs backend.
 */
import { pathToFileURL } from 'node:url';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { coordinateGrid } from '../src/engine/inr';
import { initModel, type MlpArch } from '../src/engine/model';
import type { MatmulLayout } from '../src/engine/tf/stack';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { timeIt, type BenchRow } from './measure';

/** Multiply–adds of one full-batch Adam step, ×2 for FLOPs, ×3 for forward + two backward matmuls. */
export function stepFlops(arch: MlpArch, n: number): number {
  let macs = 0;
  for (let l = 0; l + 1 < arch.widths.length; l++) macs += arch.widths[l]! * arch.widths[l + 1]!;
  return 2 * 3 * macs * n;
}

export interface TrainCase {
  hidden: number;
  size: number;
  k: number;
}

export const TRAIN_CASES: TrainCase[] = [
  { hidden: 64, size: 64, k: 1 },
  { hidden: 64, size: 64, k: 8 },
  { hidden: 64, size: 64, k: 32 },
  { hidden: 256, size: 64, k: 1 },
  { hidden: 256, size: 64, k: 8 },
  { hidden: 64, size: 128, k: 8 },
];

export const caseArch = (c: TrainCase): MlpArch => ({
  widths: [2, c.hidden, c.hidden, c.hidden, 1],
  activation: 'sine',
  w0: 30,
});
export const caseName = (c: TrainCase): string => `SIREN 3×${c.hidden}, ${c.size}×${c.size}, K=${c.k}`;

/**
 * Steps per timed repetition: as many as fit ~8 GFLOP (2…maxSteps), so that big populations stay
 * affordable on 2 cores while the one evaluate per repetition (the sync) stays a small share.
 * bench/torch_bench.py uses the same rule, so both sides time the same work.
 */
export function caseSteps(c: TrainCase, maxSteps = 5): number {
  const perStep = stepFlops(caseArch(c), c.size * c.size) * c.k;
  return Math.max(2, Math.min(maxSteps, Math.floor(8e9 / perStep)));
}

export interface TrainBenchOptions {
  cases?: TrainCase[];
  /** Matmul layouts per backend (default: wasm both, cpu batched; see MatmulLayout). */
  layouts?: Partial<Record<NodeBackend, MatmulLayout[]>>;
}

const DEFAULT_LAYOUTS: Record<NodeBackend, MatmulLayout[]> = { wasm: ['batched', 'split'], cpu: ['batched'] };

/** Rows name the runtime `node/<backend> <layout>`, e.g. "node/wasm split". */
export async function benchTrain(
  backends: NodeBackend[] = ['wasm', 'cpu'],
  maxSteps = 5,
  opts: TrainBenchOptions = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cases = opts.cases ?? TRAIN_CASES;
  for (const backend of backends) {
    await initNodeBackend(backend);
    for (const layout of opts.layouts?.[backend] ?? DEFAULT_LAYOUTS[backend]) {
      for (const c of cases) {
        const arch = caseArch(c);
        const steps = caseSteps(c, maxSteps);
        const n = c.size * c.size;
        const y = new Float32Array(n).map((_, i) => (i % 97) / 97);
        const trainer = new PopulationTrainer(
          Array.from({ length: c.k }, (_, k) => initModel(arch, k)),
          { x: coordinateGrid(c.size, c.size), y, n, inputs: 2, channels: 1 },
          { lr: 1e-4, layout },
        );
        // Repetitions over 20 GFLOP get 2 timed runs instead of 3; warm-up is always excluded.
        const heavy = stepFlops(arch, n) * c.k * steps > 2e10;
        const t = await timeIt(
          async () => {
            for (let i = 0; i < steps; i++) trainer.step();
            await trainer.evaluate();
          },
          heavy ? 2 : 3,
          1,
        );
        trainer.dispose();
        const perStep = t.median / steps;
        rows.push({
          group: 'train',
          name: caseName(c),
          runtime: `node/${backend} ${layout}`,
          median: (1000 * c.k) / perStep,
          min: (1000 * c.k * steps) / t.max,
          max: (1000 * c.k * steps) / t.min,
          unit: 'model-steps/s',
          usage: t.usage,
          extra: {
            layout,
            steps,
            msPerStep: Number(perStep.toFixed(2)),
            gflops: Number(((stepFlops(arch, n) * c.k) / perStep / 1e6).toFixed(2)),
          },
        });
      }
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchTrain();
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
