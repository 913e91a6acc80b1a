/** Benchmarks inside the real worker, on a backend and layout chosen by the caller. */
import { coordinateGrid } from '../engine/inr';
import { initModel, type MlpArch } from '../engine/model';
import { PopulationTrainer } from '../engine/tf/trainer';
import { defaultLayout, useBackend } from './backends';
import type { BenchJob, BenchReply } from './protocol';

const sirenArch = (hidden: number): MlpArch => ({ widths: [2, hidden, hidden, hidden, 1], activation: 'sine', w0: 30 });

/** Times `steps` training steps of K SIRENs per repetition (one warm-up repetition first). */
export async function runBench(job: BenchJob): Promise<BenchReply> {
  await useBackend(job.backend);
  const layout = job.layout ?? defaultLayout(job.backend);
  const arch = sirenArch(job.hidden);
  const n = job.size * job.size;
  const y = new Float32Array(n).map((_, i) => (i % 97) / 97);
  if (job.kind !== 'train') throw new Error(`bench kind ${job.kind} is not run in the browser`);
  const trainer = new PopulationTrainer(
    Array.from({ length: job.k }, (_, k) => initModel(arch, k)),
    { x: coordinateGrid(job.size, job.size), y, n, inputs: 2, channels: 1 },
    { lr: 1e-4, layout },
  );
  try {
    const times: number[] = [];
    for (let r = 0; r <= job.reps; r++) {
      const t0 = performance.now();
      for (let i = 0; i < job.steps; i++) trainer.step();
      await trainer.evaluate();
      if (r > 0) times.push(performance.now() - t0);
    }
    return { times, backend: job.backend, layout };
  } finally {
    trainer.dispose();
  }
}
