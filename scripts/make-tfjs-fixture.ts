/**
 * Builds a TensorFlow.js fixture saved by tfjs itself: a Sequential Dense model 2→8→8→1 (tanh),
 * written through `model.save(tf.io.withSaveHandler(…))` as model.json + one weight shard, the
 * layout tfjs's `downloads://` and `file://` handlers produce. Probe outputs come from
 * `model.predict`. Run: `npx tsx scripts/make-tfjs-fixture.ts`.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const ROOT = 'tests/fixtures';
const DIR = `${ROOT}/checkpoints/tfjs`;
const SHARD = 'group1-shard1of1.bin';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(DIR, { recursive: true });
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [2],
        units: 8,
        activation: 'tanh',
        kernelInitializer: init(1),
        biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 2 }),
      }),
      tfl.layers.dense({
        units: 8,
        activation: 'tanh',
        kernelInitializer: init(3),
        biasInitializer: tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 4 }),
      }),
      tfl.layers.dense({ units: 1, kernelInitializer: init(5) }),
    ],
  });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data!);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${SHARD}`], weights: artifacts.weightSpecs }],
      };
      writeFileSync(`${DIR}/model.json`, JSON.stringify(modelJson, null, 1));
      writeFileSync(`${DIR}/${SHARD}`, bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const n = 8;
  const xs = Array.from({ length: n * 2 }, (_, i) => Math.sin(1.7 * i + 0.3));
  const x = Float32Array.from(xs);
  const y = tf.tidy(() => (model.predict(tf.tensor2d(x, [n, 2])) as tf.Tensor).dataSync());
  writeFileSync(`${ROOT}/checkpoints/probes/tfjs.json`, JSON.stringify({ n, x: [...x], y: [...y] }));
  model.dispose();

  const path = `${ROOT}/manifest.json`;
  const old = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { fixtures: { by?: string }[] }).fixtures
    : [];
  const entry = {
    files: ['checkpoints/tfjs/model.json', `checkpoints/tfjs/${SHARD}`],
    format: 'tfjs',
    tensors: 6,
    widths: [2, 8, 8, 1],
    activation: 'tanh',
    transposed: true,
    probe: 'checkpoints/probes/tfjs.json',
    by: 'make-tfjs-fixture.ts',
  };
  const fixtures = [...old.filter((e) => e.by !== 'make-tfjs-fixture.ts'), entry];
  writeFileSync(path, `${JSON.stringify({ fixtures }, null, 1)}\n`);
  console.log(`wrote ${DIR}/model.json and ${SHARD}`);
}

void main();
