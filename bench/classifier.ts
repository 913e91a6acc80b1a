/**
 * Classifier training throughput: examples per second (and epochs per second of the 9,000 MNIST
 * training digits) for minibatch Adam on the 784-512×3-10 ReLU MLP of Git Re-Basin, batch 128,
 * K = 1 and K = 2 members trained together (the preset's pair), on tfjs and on the fused kernel
 * (members over worker threads, as the CLI and the presets run it). bench/torch_bench.py times the
 * same model, batch and optimiser.
 */
import { shardPortsFor } from '../src/cli/kernel-pool';
import { packMnist } from '../src/cli/mnist';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { asClassification, mnistTrainTest } from '../src/engine/classifier/data';
import { classifierPopulation, DEFAULT_CLASSIFIER } from '../src/engine/classifier/settings';
import { KernelPool } from '../src/engine/kernels/pool';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { cpuPerRep, timeIt, type BenchRow, type Timing } from './measure';

export const CLASSIFIER_BATCH = 128;
export const CLASSIFIER_HIDDEN = [512, 512, 512];
/** Steps per timed repetition; the repetition ends with one read of the epoch loss (the sync). */
const STEPS = 10;

export const classifierCaseName = (k: number): string =>
  `MLP 784-512×3-10 on MNIST, Adam, batch ${CLASSIFIER_BATCH}, K=${k}`;

export async function benchClassifier(backends: NodeBackend[] = ['wasm'], ks = [1, 2]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const train = asClassification(mnistTrainTest(packMnist()).train);
  for (const backend of backends) {
    await initNodeBackend(backend);
    for (const k of ks) {
      const s = { ...DEFAULT_CLASSIFIER, hidden: CLASSIFIER_HIDDEN, population: k, epochs: 1000 };
      const pop = classifierPopulation(s, 784, 10);
      const trainer = new ClassifierTrainer(pop.models, train, { ...s, batchSeeds: pop.batchSeeds });
      try {
        const t = await cpuTimed(
          async () => {
            for (let i = 0; i < STEPS; i++) trainer.step();
            await trainer.epochTrainLoss();
          },
          backend === 'cpu' ? 2 : 3,
        );
        const examples = STEPS * CLASSIFIER_BATCH * k;
        rows.push(throughputRow(k, `node/${backend}`, examples, t, train.n));
      } finally {
        trainer.dispose();
      }
    }
  }
  return rows;
}

/**
 * timeIt with one warm-up; its usage gives the process's CPU seconds per repetition (worker
 * threads included): on a shared machine the wall clock measures the neighbours, CPU time the code.
 */
const cpuTimed = (fn: () => Promise<unknown>, reps: number): Promise<Timing> => timeIt(fn, reps, 1);

/** examples/s of K members, with ms per step and epochs/s (of n training examples) per member. */
function throughputRow(k: number, runtime: string, examples: number, t: Timing, n: number): BenchRow {
  const perSecond = (1000 * examples) / t.median;
  return {
    group: 'classifier',
    name: classifierCaseName(k),
    runtime,
    median: perSecond,
    min: (1000 * examples) / t.max,
    max: (1000 * examples) / t.min,
    unit: 'examples/s',
    usage: t.usage,
    extra: {
      msPerStep: Number((t.median / STEPS).toFixed(1)),
      epochsPerSecond: Number((perSecond / k / n).toPrecision(3)),
      examplesPerCpuS: Math.round(examples / cpuPerRep(t.usage)),
    },
  };
}

/** The same runs on the fused kernel: K members over min(K, cores) worker threads. */
export async function benchClassifierKernel(ks = [1, 2]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const train = asClassification(mnistTrainTest(packMnist()).train);
  for (const k of ks) {
    const s = { ...DEFAULT_CLASSIFIER, hidden: CLASSIFIER_HIDDEN, population: k, epochs: 1000 };
    const pop = classifierPopulation(s, 784, 10);
    const ports = shardPortsFor()(k);
    const pool = await KernelPool.createClassifier(
      pop.models,
      train,
      train,
      { ...s, batchSeeds: pop.batchSeeds },
      ports,
    );
    try {
      const t = await cpuTimed(() => pool.step(STEPS), 3);
      const runtime = `node/fused ${pool.flavour} × ${pool.workers} thread${pool.workers > 1 ? 's' : ''}`;
      rows.push(throughputRow(k, runtime, STEPS * CLASSIFIER_BATCH * k, t, train.n));
    } finally {
      pool.dispose();
    }
  }
  return rows;
}
