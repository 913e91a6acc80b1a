/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel on a real GPU, from Node (the `webgpu` package: Dawn): first its
 * agreement with the tfjs reference (scripts/wgsl-agreement.ts, INRs and classifiers), then
 * model-steps/s for SIREN 3×64 on a 64×64 image, full batch, Adam, at K = 1, 8, 32, 128, and for
 * classifiers (Adam, batch 128) at K = 1 and 8: the MNIST MLP 784-512×3-10 and 196-128×3-10
 * (MNIST at 14×14). A shape the kernel refuses (coverage, or buffers past the device's bindings)
 * prints the reason instead of a speed. Prints one JSON object.
 *
 *   npm run gpu-bench                      # the machine's GPU (Vulkan, Metal or D3D12 via Dawn)
 *   npm run gpu-bench -- --swiftshader     # Chromium's software Vulkan (SwiftShader): proves it runs; NOT GPU speed
 *   npm run gpu-bench -- --check-only      # agreement only
 *   npm run gpu-bench -- --check-only --smoke   # four of the agreement cases (the unit test's; the browser test runs all)
 *   npm run gpu-bench -- --k 1,8 --seconds 0.5
 *   npm run gpu-bench -- --swiftshader --tiny   # every row end to end on small shapes (16×16 image, batch 16, K = 1, 2)
 */
import { create, globals } from 'webgpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  smoothTarget,
  runAgreement,
  AGREEMENT_CASES,
  CLASSIFIER_CASES,
  labelledData,
  runClassifierAgreement,
} from './wgsl-agreement';
import { WgslKernel } from '../src/engine/kernels/wgsl/wgsl-kernel';
import { WgslClassifierTrainer, wgslClassifierCoverage } from '../src/engine/kernels/wgsl/wgsl-classifier';
import { DEFAULT_TRAINING } from '../src/engine/classifier/settings';
import { initModel, type MlpArch } from '../src/engine/model';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

// Dawn finds Vulkan through the loader's environment, which must be set before the process starts.
if (flag('--swiftshader') && !process.env.VK_ICD_FILENAMES) {
  if (!existsSync(SWIFTSHADER_ICD)) {
    console.log(JSON.stringify({ error: `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD}` }));
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: '/usr/lib/chromium' },
  });
  process.exit(r.status ?? 1);
}

let gpu: GPU | null = null;

async function gpuDevice(): Promise<{ device: GPUDevice; adapter: Record<string, unknown> }> {
  Object.assign(globalThis, globals);
  // Held at module level: a collected GPU object takes Dawn's instance (and the device) with it.
  gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (Dawn found no Vulkan/Metal/D3D12 device)');
  const info = (adapter as unknown as { info: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const device = await adapter.requestDevice();
  return {
    device,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      software: info.isFallbackAdapter || info.architecture === 'swiftshader',
    },
  };
}

/** SIREN 3×64 (2 → 64 → 64 → 64 → 1), the benchmark shape. */
const SIREN: MlpArch = { widths: [2, 64, 64, 64, 1], activation: 'sine', w0: 30 };

/** Multiply–adds of one model-step (forward 1, backward 2 per weight per pixel), as FLOPs. */
function flopsPerModelStep(arch: MlpArch, n: number): number {
  let macs = 0;
  for (let l = 0; l + 1 < arch.widths.length; l++) macs += arch.widths[l]! * arch.widths[l + 1]!;
  return 6 * macs * n;
}

/**
 * Steps `step` in batches, each ended by waiting for the queue, growing while they fit the time
 * left, until `seconds` have passed; returns the steps and seconds.
 */
async function timed(device: GPUDevice, step: () => void, seconds: number) {
  let steps = 0;
  const t0 = performance.now();
  const budget = seconds * 1000;
  let batch = 1;
  for (;;) {
    for (let i = 0; i < batch; i++) step();
    await device.queue.onSubmittedWorkDone();
    steps += batch;
    const elapsed = performance.now() - t0;
    if (elapsed >= budget) break;
    batch = Math.max(1, Math.min(256, 2 * batch, Math.floor((budget - elapsed) / (elapsed / steps))));
  }
  return { steps, sec: (performance.now() - t0) / 1000 };
}

/** `--tiny`: every row on small shapes, so that SwiftShader runs the whole script in minutes. */
const TINY = flag('--tiny');
const IMAGE = TINY ? 16 : 64;
const BATCH = TINY ? 16 : 128;

async function bench(device: GPUDevice, k: number, seconds: number) {
  const data = smoothTarget(IMAGE, IMAGE, 1);
  const inits = Array.from({ length: k }, (_, j) => initModel(SIREN, j + 1));
  const kernel = await WgslKernel.create(device, inits, data, { lr: 1e-4 });
  try {
    for (let i = 0; i < 3; i++) kernel.step();
    const mse0 = await kernel.evaluate();
    const { steps, sec } = await timed(device, () => kernel.step(), seconds);
    const mse = await kernel.evaluate();
    const modelStepsPerSecond = (k * steps) / sec;
    return {
      k,
      steps,
      seconds: Number(sec.toFixed(3)),
      modelStepsPerSecond: Number(modelStepsPerSecond.toFixed(1)),
      gflops: Number(((modelStepsPerSecond * flopsPerModelStep(SIREN, data.n)) / 1e9).toFixed(2)),
      dispatchesPerStep: kernel.dispatchesPerStep,
      tiles: kernel.plan.tiles,
      chunks: kernel.plan.chunks,
      mseFell: Array.from(mse).every((v, j) => v < mse0[j]!),
    };
  } finally {
    kernel.dispose();
  }
}

/** The classifier rows: MLPs on 10 classes, batch 128 (`--tiny`: 16), Adam. */
const CLASSIFIERS: MlpArch[] = [
  { widths: [784, 512, 512, 512, 10], activation: 'relu' },
  { widths: [196, 128, 128, 128, 10], activation: 'relu' },
];

async function benchClassifier(device: GPUDevice, arch: MlpArch, k: number, seconds: number) {
  const shape = `${arch.widths.join('-')} ${arch.activation}, batch ${BATCH}, Adam`;
  const why = wgslClassifierCoverage(arch);
  if (why) return { shape, k, covered: false, reason: why };
  const [inputs, classes] = [arch.widths[0]!, arch.widths.at(-1)!];
  const train = labelledData(BATCH * 20, inputs, classes, 1);
  const heldOut = labelledData(2 * BATCH, inputs, classes, 2);
  const inits = Array.from({ length: k }, (_, j) => initModel(arch, j + 1));
  let trainer: WgslClassifierTrainer;
  try {
    trainer = await WgslClassifierTrainer.create(device, inits, train, heldOut, {
      ...DEFAULT_TRAINING,
      batch: BATCH,
      epochs: 1000,
      batchSeeds: inits.map((_, j) => 50 + j),
    });
  } catch (e) {
    if (e instanceof RangeError) return { shape, k, covered: false, reason: e.message };
    throw e;
  }
  try {
    for (let i = 0; i < 3; i++) trainer.step();
    const { steps, sec } = await timed(device, () => trainer.step(), seconds);
    const modelStepsPerSecond = (k * steps) / sec;
    const scores = await trainer.score('heldOut');
    return {
      shape,
      k,
      covered: true,
      steps,
      seconds: Number(sec.toFixed(3)),
      modelStepsPerSecond: Number(modelStepsPerSecond.toFixed(1)),
      gflops: Number(((modelStepsPerSecond * flopsPerModelStep(arch, BATCH)) / 1e9).toFixed(2)),
      tiles: trainer.plan.tiles,
      chunks: trainer.plan.chunks,
      dispatchesPerStep: trainer.dispatchesPerStep,
      heldOutAccuracy: Array.from(scores.accuracy, (a) => Number(a.toFixed(3))),
    };
  } finally {
    trainer.dispose();
  }
}

async function main(): Promise<void> {
  const { device, adapter } = await gpuDevice();
  // --smoke: several tiles and chunks a member, Fourier features, SGD with momentum and decay, GELU.
  const smoke = flag('--smoke');
  const agreement = [
    ...(await runAgreement(device, smoke ? [AGREEMENT_CASES[1]!, AGREEMENT_CASES[7]!] : AGREEMENT_CASES)),
    ...(await runClassifierAgreement(
      device,
      smoke ? [CLASSIFIER_CASES[1]!, CLASSIFIER_CASES[2]!] : CLASSIFIER_CASES,
    )),
  ];
  const worst = Math.max(...agreement.map((r) => r.worstRelative));
  const out: Record<string, unknown> = { adapter, agreement, agreementOk: worst < 1e-4 };
  if (!flag('--check-only')) {
    const ks = option('--k', TINY ? '1,2' : '1,8,32,128')
      .split(',')
      .map(Number);
    const seconds = Number(option('--seconds', TINY ? '0.3' : '2'));
    const rows = [];
    for (const k of ks) rows.push(await bench(device, k, seconds));
    out.shape = `SIREN 3×64 on ${IMAGE}×${IMAGE}, full batch, Adam`;
    out.rows = rows;
    const classifierRows = [];
    for (const arch of CLASSIFIERS)
      for (const k of option('--classifier-k', TINY ? '1,2' : '1,8')
        .split(',')
        .map(Number))
        classifierRows.push(await benchClassifier(device, arch, k, seconds));
    out.classifierRows = classifierRows;
    if (adapter.software)
      out.note = 'software adapter: these figures show the kernel runs, not GPU performance';
  }
  console.log(JSON.stringify(out));
  device.destroy();
  process.exit(out.agreementOk ? 0 : 2);
}

main().catch((e: unknown) => {
  console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
  process.exit(1);
});
