/**
 * The WGSL population kernel (src/engine/kernels/wgsl) in Chromium on its software WebGPU adapter
 * (SwiftShader): 20 Adam steps against the tfjs reference trainer on the same initial weights and
 * data (SIREN and ReLU + Fourier features, K = 1, 2, 3 and 32, odd widths, pixel counts that leave
 * a partial chunk, a hidden layer wider than 256), two dispatches per step, no buffer made after construction over many steps,
 * and a lost device reported as such. The same for classifiers (ReLU/tanh/GELU, softmax
 * cross-entropy on minibatches, Adam and SGD, 784 inputs) against the tfjs ClassifierTrainer, and the
 * classifier job in the engine worker: forced onto the WGSL kernel it matches the wasm kernel that
 * the software adapter otherwise leaves the run to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { idlePage, launch, screenshot, watchedPage } from './browser';
import type { AgreementRow } from '../scripts/wgsl-agreement';
import { startDevServer } from './dev-server';

let context: BrowserContext;
let page: Page;
let errors: string[];
let base: string;
let dev: Awaited<ReturnType<typeof startDevServer>> | undefined;

beforeAll(async () => {
  // The dev server: this file imports the kernel's source modules into a page by URL.
  dev = await startDevServer({ modules: true });
  base = dev.url;
  context = await launch();
  ({ page, errors } = await watchedPage(context));
  // A bare module page has no icon; the browser's request for one is not an error of ours.
  await page.route('**/favicon.ico', (r) => r.fulfill({ status: 204 }));
  // Any page of the dev server will do (the app itself would start training): the modules are
  // imported into it by URL.
  await page.goto(`${base.replace(/\/$/, '')}/scripts/wgsl-agreement.ts`);
  // A module script, not import() inside evaluate (vitest rewrites that into its own loader).
  await page.addScriptTag({
    type: 'module',
    content: `import * as agreement from '/scripts/wgsl-agreement.ts';
      import * as kernel from '/src/engine/kernels/wgsl/wgsl-kernel.ts';
      import * as model from '/src/engine/model.ts';
      import * as path from '/src/workers/wgsl-path.ts';
      import * as trainer from '/src/engine/tf/trainer.ts';
      import * as runners from '/src/workers/jobs/train-runners.ts';
      import * as classifier from '/src/engine/kernels/wgsl/wgsl-classifier.ts';
      import * as pool from '/src/engine/kernels/pool.ts';
      // A device that counts every buffer made on it, not only those the kernel says it made.
      const countingDevice = async () => {
        const device = await (await navigator.gpu.requestAdapter()).requestDevice();
        const made = { n: 0 };
        const create = device.createBuffer.bind(device);
        device.createBuffer = (d) => ((made.n += 1), create(d));
        return { device, made };
      };
      window.__wgsl = { agreement, kernel, model, path, trainer, runners, classifier, pool, countingDevice };`,
  });
  await page.waitForFunction(
    () => 'agreement' in ((window as unknown as { __wgsl?: object }).__wgsl ?? {}),
    null,
    {
      timeout: 110_000,
    },
  );
});

/** What the module script puts on the page. */
interface Modules {
  agreement: typeof import('../scripts/wgsl-agreement');
  kernel: typeof import('../src/engine/kernels/wgsl/wgsl-kernel');
  model: typeof import('../src/engine/model');
  path: typeof import('../src/workers/wgsl-path');
  trainer: typeof import('../src/engine/tf/trainer');
  runners: typeof import('../src/workers/jobs/train-runners');
  classifier: typeof import('../src/engine/kernels/wgsl/wgsl-classifier');
  pool: typeof import('../src/engine/kernels/pool');
  countingDevice(): Promise<{ device: GPUDevice; made: { n: number } }>;
}
afterAll(async () => {
  await context?.close();
  await dev?.server.close();
});

describe('WGSL population kernel on the software adapter', () => {
  it('agrees with the tfjs trainer to 1e-4 relative after 20 Adam steps, in two dispatches a step', async () => {
    const rows = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu: GPU }).gpu;
      const adapter = await gpu.requestAdapter();
      const device = await adapter!.requestDevice();
      const m = (window as unknown as { __wgsl: Modules }).__wgsl.agreement;
      return m.runAgreement(device, m.AGREEMENT_CASES);
    });
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows as AgreementRow[]) {
      expect(r.worstRelative, r.name).toBeLessThan(1e-4);
      expect(r.mseRelative, r.name).toBeLessThan(1e-4);
      expect(r.dispatchesPerStep, r.name).toBe(2);
      expect(r.buffersMadeStepping, r.name).toBe(0);
    }
    // Several tiles per member, several chunks per tile, K = 32 and a layer wider than 256 were exercised.
    expect(rows.some((r) => r.tiles > 1)).toBe(true);
    expect(rows.some((r) => r.chunks > 1)).toBe(true);
    expect(rows.some((r) => r.name.includes('K=32'))).toBe(true);
    expect(rows.some((r) => r.name.includes('wider than 256'))).toBe(true);
    expect(errors).toEqual([]);
  }, 300_000);

  it('trains classifiers as the tfjs trainer does: 1e-4 relative after 20 steps, two dispatches a step', async () => {
    const rows = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu: GPU }).gpu;
      const device = await (await gpu.requestAdapter())!.requestDevice();
      const m = (window as unknown as { __wgsl: Modules }).__wgsl.agreement;
      const out = await m.runClassifierAgreement(device, m.CLASSIFIER_CASES);
      device.destroy();
      return out;
    });
    expect(rows.length).toBe(6);
    for (const r of rows as AgreementRow[]) {
      expect(r.worstRelative, r.name).toBeLessThan(1e-4);
      expect(r.mseRelative, r.name).toBeLessThan(1e-4);
      expect(r.accuracyGap, r.name).toBe(0);
      expect(r.dispatchesPerStep, r.name).toBe(2);
      expect(r.buffersMadeStepping, r.name).toBe(0);
    }
    expect(rows.some((r) => r.name.startsWith('ReLU 784→300→10'))).toBe(true);
    expect(rows.some((r) => r.name.startsWith('tanh'))).toBe(true);
    expect(rows.some((r) => r.name.startsWith('GELU'))).toBe(true);
    expect(errors).toEqual([]);
  }, 300_000);

  it('trains a classifier population over 12 epochs with no buffer made after construction', async () => {
    const out = await page.evaluate(async () => {
      const { agreement, classifier, model, countingDevice } = (window as unknown as { __wgsl: Modules })
        .__wgsl;
      const { device, made } = await countingDevice();
      const arch = { widths: [6, 19, 3], activation: 'tanh' as const };
      const train = agreement.labelledData(100, 6, 3, 3);
      const heldOut = agreement.labelledData(50, 6, 3, 4);
      const models = [1, 2, 3].map((s) => model.initModel(arch, s));
      const t = await classifier.WgslClassifierTrainer.create(device, models, train, heldOut, {
        epochs: 12,
        batch: 16,
        optimizer: 'adam',
        lr: 1e-2,
        momentum: 0.9,
        weightDecay: 0,
        schedule: 'constant',
        batchSeeds: [7, 8, 9],
      });
      const afterCreate = made.n;
      const before = await t.score('heldOut');
      const losses: number[][] = [];
      while (t.steps < t.totalSteps) {
        t.step();
        if (t.steps % t.stepsPerEpoch === 0) losses.push(Array.from(await t.epochTrainLoss()));
      }
      const after = await t.score('heldOut');
      const afterSteps = made.n;
      t.dispose();
      device.destroy();
      return {
        afterCreate,
        afterSteps,
        epochs: losses.length,
        first: losses[0]!,
        last: losses.at(-1)!,
        before: Array.from(before.accuracy),
        after: Array.from(after.accuracy),
      };
    });
    expect(out.afterSteps).toBe(out.afterCreate);
    expect(out.epochs).toBe(12);
    out.last.forEach((l, k) => expect(l).toBeLessThan(out.first[k]! / 2));
    out.after.forEach((a, k) => expect(a).toBeGreaterThan(Math.max(0.8, out.before[k]!)));
  }, 60_000);

  it('makes no buffer after construction over 300 steps, and reports a lost device', async () => {
    const out = await page.evaluate(async () => {
      const {
        agreement: m,
        kernel: k,
        model,
        countingDevice,
      } = (window as unknown as { __wgsl: Modules }).__wgsl;
      const { device, made } = await countingDevice();
      const { initModel } = model;
      const arch = { widths: [2, 9, 7, 1], activation: 'sine' as const, w0: 30 };
      const data = m.smoothTarget(7, 5, 1);
      const kernel = await k.WgslKernel.create(device, [initModel(arch, 1), initModel(arch, 2)], data, {
        lr: 1e-3,
      });
      const afterCreate = made.n;
      const mse0 = await kernel.evaluate();
      for (let s = 0; s < 300; s++) {
        kernel.step();
        if (s % 50 === 49) await kernel.evaluate();
      }
      const mse = await kernel.evaluate();
      const models = await kernel.models();
      const afterSteps = made.n;
      const counted = kernel.buffersCreated;
      device.destroy();
      await new Promise((r) => setTimeout(r, 50));
      let lost = '';
      try {
        kernel.step();
      } catch (e) {
        lost = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return {
        afterCreate,
        afterSteps,
        counted,
        mse0: Array.from(mse0),
        mse: Array.from(mse),
        steps: kernel.steps,
        finite: models.every((md) => Object.values(md.params).every((t) => t.data.every(Number.isFinite))),
        lost,
      };
    });
    expect(out.afterCreate).toBe(out.counted);
    expect(out.afterSteps).toBe(out.afterCreate);
    expect(out.steps).toBe(300);
    expect(out.finite).toBe(true);
    out.mse.forEach((v, j) => expect(v).toBeLessThan(out.mse0[j]! / 2));
    expect(out.lost).toMatch(/^WgslDeviceLostError: GPU device lost/);
  }, 120_000);

  it('continues on the fused wasm kernel from the last checkpoint, Adam state and all, when the device is lost', async () => {
    const out = await page.evaluate(async () => {
      const { agreement, path, model, runners, pool } = (window as unknown as { __wgsl: Modules }).__wgsl;
      const gpu = (navigator as unknown as { gpu: GPU }).gpu;
      const device = await (await gpu.requestAdapter())!.requestDevice();
      const arch = { widths: [2, 7, 5, 1], activation: 'relu' as const, encoding: { features: 3, sigma: 1 } };
      const data = agreement.smoothTarget(5, 5, 1);
      const target = { kind: 'regression' as const, ...data };
      type Snap = Parameters<Parameters<typeof path.wgslRunner>[3]>[0];
      const onWasm = async (from: Snap, resume: boolean) => {
        const p = await pool.KernelPool.create(from.models, target, { lr: 1e-2 }, [pool.inlinePort()]);
        if (resume) await p.resume(from);
        return p;
      };
      let handedOver: { from: Snap; why: string } | null = null;
      let fallbackSteps = () => 0;
      const runner = await path.wgslRunner(
        [model.initModel(arch, 3)],
        data,
        1e-2,
        async (from, why) => {
          handedOver = { from, why };
          const p = await onWasm(from, true);
          fallbackSteps = () => p.steps;
          return runners.poolRunner(p);
        },
        device,
        // Checkpoints only when asked (the snapshot at step 5), so the loss is 3 steps past it.
        Infinity,
      );
      for (let s = 0; s < 5; s++) await runner.step();
      const atFive = await runner.snapshot();
      for (let s = 0; s < 3; s++) await runner.step();
      device.destroy();
      await new Promise((r) => setTimeout(r, 50));
      await runner.step();
      await runner.step();
      const continued = model.flattenModel((await runner.models())[0]!);
      runner.dispose();
      // A run that switched to the wasm kernel at step 5, and one that dropped the Adam state there.
      const ref = async (resume: boolean) => {
        const p = await onWasm(atFive, resume);
        await p.step(5);
        const w = model.flattenModel((await p.models())[0]!);
        p.dispose();
        return w;
      };
      const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
      const h = handedOver as { from: Snap; why: string } | null;
      return {
        why: h?.why ?? null,
        fromStep: h?.from.steps ?? -1,
        sameState:
          h !== null &&
          diff(model.flattenModel(h.from.models[0]!), model.flattenModel(atFive.models[0]!)) === 0 &&
          diff(h.from.m[0]!, atFive.m[0]!) === 0 &&
          diff(h.from.v[0]!, atFive.v[0]!) === 0,
        movedM: Math.max(...atFive.m[0]!.map(Math.abs)),
        fallbackSteps: fallbackSteps(),
        vsSwitched: diff(continued, await ref(true)),
        vsNoAdamState: diff(continued, await ref(false)),
      };
    });
    expect(out.why).toMatch(
      /^fused WebGPU kernel failed at step 8 \(GPU device lost.*\); continued from step 5 with its weights and Adam state, 3 steps replayed$/,
    );
    expect(out.fromStep).toBe(5);
    expect(out.sameState).toBe(true);
    expect(out.movedM).toBeGreaterThan(0);
    expect(out.fallbackSteps).toBe(10);
    expect(out.vsSwitched).toBeLessThan(1e-6);
    // The Adam state matters: without it the same steps land elsewhere.
    expect(out.vsNoAdamState).toBeGreaterThan(1e-4);
  }, 60_000);
});

interface Backend {
  name: string;
  reason: string;
  kernel?: { flavour: string; workers: number; path?: string; dispatchesPerStep?: number };
  kernelReason?: string;
  calibration?: { backend: string; msPerStep?: number }[];
}

/** A fresh page of the idle app, and the errors it logs. */
async function idleApp(): Promise<{ app: Page; appErrors: string[] }> {
  const { page: app, errors: appErrors } = await idlePage(context, base);
  return { app, appErrors };
}

describe('WGSL path of the classifier job', () => {
  it('forced, trains on the WGSL kernel and matches the wasm kernel the software adapter keeps', async () => {
    const { app, appErrors } = await idleApp();
    const out = await app.evaluate(async () => {
      const ws = (window as unknown as { __weightscope: { ask(t: string, p: unknown): Promise<unknown> } })
        .__weightscope;
      // Three seeded blobs in 5 dimensions; 61 rows, a quarter held out.
      let s = 12345;
      const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const n = 61;
      const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
      const x = Float32Array.from(
        { length: n * 5 },
        (_, i) => (i % 5 === labels[Math.floor(i / 5)]! ? 1.5 : 0) + 0.5 * rand(),
      );
      const job = {
        settings: {
          hidden: [11, 9],
          activation: 'gelu',
          seed: 4,
          population: 3,
          initMode: 'independent',
          epochs: 3,
          batch: 13,
          optimizer: 'adam',
          lr: 1e-2,
          momentum: 0.9,
          weightDecay: 1e-3,
          schedule: 'cosine',
        },
        data: {
          kind: 'dataset',
          name: 'blobs.npz',
          dataset: { x, labels, n, inputs: 5, classes: 3 },
          heldOutFraction: 0.25,
          seed: 1,
        },
        group: 'wgsl',
      };
      type R = { kernel: string; history: { heldOutLoss: number[]; trainLoss: number[] }[] };
      const gpu = (await ws.ask('classifier-train', { ...job, kernel: 'webgpu' })) as R;
      const auto = (await ws.ask('classifier-train', { ...job, group: 'auto' })) as R;
      return { gpu, auto };
    });
    expect(out.gpu.kernel).toBe('fused WebGPU (2 dispatches a step; chosen by the run)');
    // SwiftShader is a software adapter: not a candidate, and not worth a word in the path.
    expect(out.auto.kernel).toMatch(/^fused wasm (relaxed|simd) × \d+ workers?$/);
    expect(out.gpu.history).toHaveLength(3);
    out.gpu.history.forEach((h, e) =>
      h.heldOutLoss.forEach((v, k) => {
        const ref = out.auto.history[e]!.heldOutLoss[k]!;
        expect(Math.abs(v - ref)).toBeLessThan(1e-4 * ref);
        const tr = out.auto.history[e]!.trainLoss[k]!;
        expect(Math.abs(h.trainLoss[k]! - tr)).toBeLessThan(1e-4 * tr);
      }),
    );
    expect(appErrors).toEqual([]);
    await app.close();
  }, 120_000);
});

describe('WGSL path of the train job', () => {
  it('trains in the engine worker on the fused WebGPU kernel, matches tfjs, and the badge says so', async () => {
    const { app, appErrors } = await idleApp();
    const out = await app.evaluate(async () => {
      const ws = (window as unknown as { __weightscope: { ask(t: string, p: unknown): Promise<unknown> } })
        .__weightscope;
      const [h, w] = [9, 7];
      const data = Float32Array.from({ length: h * w }, (_, i) => 0.5 + 0.4 * Math.sin(0.7 * i));
      const job = {
        arch: { widths: [2, 13, 11, 1], activation: 'sine', w0: 30 },
        seeds: [21, 22, 23],
        target: { width: w, height: h, channels: 1, data },
        targetId: 'wgsl-test',
        targetLabel: 'wgsl test',
        steps: 20,
        lr: 1e-3,
        evalEvery: 5,
        batchFraction: 1,
        noiseSeed: 0,
        backend: 'wasm',
        group: 'wgsl',
        // On SwiftShader the calibration would leave the CPU to the wasm kernel: force the path.
        kernel: 'webgpu',
      };
      type R = { mse: Float32Array; backend: Backend; steps: number };
      const fused = (await ws.ask('train', job)) as R;
      const ref = (await ws.ask('train', { ...job, kernel: undefined, group: 'tfjs' })) as R;
      return {
        fused: { mse: Array.from(fused.mse), backend: fused.backend, steps: fused.steps },
        ref: { mse: Array.from(ref.mse), backend: ref.backend, steps: ref.steps },
      };
    });
    expect(out.fused.steps).toBe(20);
    expect(out.fused.backend.kernel?.path).toBe('webgpu');
    expect(out.fused.backend.kernel?.dispatchesPerStep).toBeLessThanOrEqual(3);
    expect(out.fused.backend.reason).toMatch(/^fused WebGPU kernel \(2 dispatches a step\)/);
    expect(out.fused.backend.calibration?.some((r) => r.backend === 'fused-webgpu' && r.msPerStep! > 0)).toBe(
      true,
    );
    expect(out.ref.backend.kernel).toBeUndefined();
    out.fused.mse.forEach((m, k) =>
      expect(Math.abs(m - out.ref.mse[k]!)).toBeLessThan(1e-4 * out.ref.mse[k]!),
    );

    // The badge, given the job's real BackendInfo through the app's own store module.
    await app.addScriptTag({
      type: 'module',
      content: `import { appStore } from '/src/app/store.ts'; window.__setBackend = (b) => appStore.setState({ backend: b });`,
    });
    await app.waitForFunction(() => '__setBackend' in window);
    await app.evaluate(
      (b) => (window as unknown as { __setBackend(b: unknown): void }).__setBackend(b),
      out.fused.backend,
    );
    const badge = app.getByTestId('backend-badge');
    await expect.poll(() => badge.getAttribute('data-kernel-path')).toBe('webgpu');
    expect(await badge.textContent()).toMatch(/fused WebGPU/);
    await badge.click();
    await expect
      .poll(() => app.getByTestId('backend-details').textContent())
      .toMatch(/fused WebGPU kernel, 2 dispatches per step/);
    await screenshot(app, 'wgsl-badge');
    expect(appErrors).toEqual([]);
    await app.close();
  }, 180_000);
});
