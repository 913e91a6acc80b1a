/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel on a real GPU, from Node (the `webgpu` package: Dawn): first its
 * agreement with the tfjs reference (scripts/wgsl-agreement.ts), then model-steps/s for SIREN 3×64
 * on a 64×64 image, full batch, Adam, at K = 1, 8, 32, 128. Prints one JSON object.
 *
 *   npm run gpu-bench                      # the machine's GPU (Vulkan, Metal or D3D12 via Dawn)
 *   npm run gpu-bench -- --swiftshader     # Chromium's software Vulkan (SwiftShader): proves it runs; NOT GPU speed
 *   npm run gpu-bench -- --check-only      # agreement only
 *   npm run gpu-bench -- --k 1,8 --seconds 0.5
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

async function bench(device: GPUDevice, k: number, seconds: number) {
  const data = smoothTarget(64, 64, 1);
  const inits = Array.from({ length: k }, (_, j) => initModel(SIREN, j + 1));
  const kernel = await WgslKernel.create(device, inits, data, { lr: 1e-4 });
  try {
    for (let i = 0; i < 3; i++) kernel.step();
    const mse0 = await kernel.evaluate();
    let steps = 0;
    const t0 = performance.now();
    // Batches of steps, each ended by waiting for the queue, growing while they fit the time left.
    const budget = seconds * 1000;
    let batch = 1;
    for (;;) {
      for (let i = 0; i < batch; i++) kernel.step();
      await device.queue.onSubmittedWorkDone();
      steps += batch;
      const elapsed = performance.now() - t0;
      if (elapsed >= budget) break;
      batch = Math.max(1, Math.min(256, 2 * batch, Math.floor((budget - elapsed) / (elapsed / steps))));
    }
    const sec = (performance.now() - t0) / 1000;
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
      workgroup: kernel.plan.s,
      mseFell: Array.from(mse).every((v, j) => v < mse0[j]!),
    };
  } finally {
    kernel.dispose();
  }
}

async function main(): Promise<void> {
  const { device, adapter } = await gpuDevice();
  const agreement = [
    ...(await runAgreement(device, AGREEMENT_CASES)),
    ...(await runClassifierAgreement(device, CLASSIFIER_CASES)),
  ];
  const worst = Math.max(...agreement.map((r) => r.worstRelative));
  const out: Record<string, unknown> = { adapter, agreement, agreementOk: worst < 1e-4 };
  if (!flag('--check-only')) {
    const ks = option('--k', '1,8,32,128').split(',').map(Number);
    const seconds = Number(option('--seconds', '2'));
    const rows = [];
    for (const k of ks) rows.push(await bench(device, k, seconds));
    out.shape = 'SIREN 3×64 on 64×64, full batch, Adam';
    out.rows = rows;
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
