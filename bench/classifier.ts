/**
 * Classifier training throughput: examples per second for minibatch Adam on the 784-512×3-10 ReLU
 * MLP of Git Re-Basin, on the MNIST training digits, batch 128, K = 1 and K = 2 members trained
 * together (the preset's pair). bench/torch_bench.py times the same model, batch and optimiser.
 */
import { packMnist } from '../src/cli/mnist';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { asClassification, mnistTrainTest } from '../src/engine/classifier/data';
import { classifierPopulation, DEFAULT_CLASSIFIER } from '../src/engine/classifier/settings';
import { ClassifierTrainer } from '../src/engine/tf/classifier';
import { timeIt, type BenchRow } from './measure';

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
        const t = await timeIt(
          async () => {
            for (let i = 0; i < STEPS; i++) trainer.step();
            await trainer.epochTrainLoss();
          },
          backend === 'cpu' ? 2 : 3,
          1,
        );
        const examples = STEPS * CLASSIFIER_BATCH * k;
        rows.push({
          group: 'classifier',
          name: classifierCaseName(k),
          runtime: `node/${backend}`,
          median: (1000 * examples) / t.median,
          min: (1000 * examples) / t.max,
          max: (1000 * examples) / t.min,
          unit: 'examples/s',
          extra: { msPerStep: Number((t.median / STEPS).toFixed(1)) },
        });
      } finally {
        trainer.dispose();
      }
    }
  }
  return rows;
}
