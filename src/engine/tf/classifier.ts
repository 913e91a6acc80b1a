/**
 * Trains K classifiers of one architecture together on a labelled batch: minibatch Adam on the
 * mean cross-entropy, every member stacked into one batched forward pass (as PopulationTrainer
 * does for INRs). Minibatches are drawn from a seeded Rng, the same for every member, so members
 * differ by their initialisation only. Used by scripts/make-sample-models.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Model } from '../model';
import { memberLoss } from './evaluate';
import { checkEvalData, type ClassificationData } from '../data/eval-data';
import { createRng } from '../rng';
import { disposeStack, stackModels, unstackModels } from './stack';

export interface ClassifierTraining {
  steps: number;
  lr: number;
  /** Examples per minibatch. */
  batch: number;
  /** Seed of the minibatch draws. */
  seed: number;
}

/** Returns the trained models (the inputs are not changed). */
export async function trainClassifiers(
  models: readonly Model[],
  data: ClassificationData,
  opts: ClassifierTraining,
): Promise<Model[]> {
  checkEvalData(data);
  const arch = models[0]!.arch;
  const stacked = stackModels(models);
  const weights = stacked.weights.map((t) => tf.variable(t, true));
  const biases = stacked.biases.map((t) => tf.variable(t, true));
  disposeStack(stacked);
  const vars = [...weights, ...biases];
  const x = tf.tensor2d(data.x, [data.n, data.inputs]);
  const labels = tf.tensor1d(data.labels, 'int32');
  const optimizer = tf.train.adam(opts.lr);
  const rng = createRng(opts.seed);
  const batch = Math.min(opts.batch, data.n);
  try {
    for (let step = 0; step < opts.steps; step++) {
      const idx = tf.tensor1d(
        Int32Array.from({ length: batch }, () => rng.int(data.n)),
        'int32',
      );
      const cost = optimizer.minimize(
        () => {
          const lb = tf.gather(labels, idx);
          const t = {
            x: tf.gather(x, idx) as tf.Tensor2D,
            y: null,
            oneHot: tf.cast(tf.oneHot(lb, data.classes), 'float32') as tf.Tensor2D,
            labels: lb as tf.Tensor1D,
          };
          return tf.sum(memberLoss(arch, { weights, biases, encoding: null }, t)) as tf.Scalar;
        },
        false,
        vars,
      );
      idx.dispose();
      cost?.dispose();
    }
    return await unstackModels(arch, { weights, biases, encoding: null });
  } finally {
    optimizer.dispose();
    tf.dispose([...vars, x, labels]);
  }
}
