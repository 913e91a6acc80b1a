/**
 * A link's engine schedule, in the real training job (src/workers/jobs/train.ts) on this
 * process's tfjs-wasm and the fused kernel: a sender's run that switched engines mid-run (its
 * background calibration moved it from tfjs to the fused kernel) records where it switched, and a
 * replay that follows that schedule trains the very same members, bit for bit. Replays on one
 * engine (what a receiver's own calibration would pick) differ, which is why links carry it. A
 * schedule naming a path this runtime lacks (Node 20 has no relaxed SIMD, no WebGPU) runs the
 * closest one and says so.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../src/workers/backends';
import type { EngineSchedule } from '../src/engine/experiment/engine-schedule';
import { flattenModel } from '../src/engine/model';
import { PauseSwitch } from '../src/workers/jobs/context';
import { runTraining } from '../src/workers/jobs/train';
import type { BackendInfo, TrainJob, TrainResult } from '../src/workers/protocol';
import { ModelRegistry } from '../src/workers/registry';

const size = 16;
const job: TrainJob = {
  arch: { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 },
  seeds: [3, 4, 5],
  target: {
    width: size,
    height: size,
    channels: 1,
    data: Float32Array.from({ length: size * size }, (_, i) => 0.5 + 0.4 * Math.sin(0.37 * i)),
  },
  targetId: 'schedule-test',
  targetLabel: 'schedule test',
  // Long enough for the background calibration to finish and switch well before the end (it
  // switched at step 72–300 here, on a loaded 2-core machine).
  steps: 1200,
  lr: 1e-3,
  evalEvery: 10,
  batchFraction: 1,
  noiseSeed: 0,
  backend: 'auto',
  group: 'schedule',
};

interface Run {
  result: TrainResult;
  weights: Float32Array[];
  infos: BackendInfo[];
}

async function train(extra: Partial<TrainJob>): Promise<Run> {
  const t0 = performance.now();
  const registry = new ModelRegistry();
  const infos: BackendInfo[] = [];
  const result = await runTraining({ ...job, ...extra }, registry, {
    signal: new AbortController().signal,
    stop: new AbortController().signal,
    pause: new PauseSwitch(),
    post: () => undefined,
    onBackend: (b) => infos.push(structuredClone(b)),
  });
  const weights = result.models.map((m) => flattenModel(registry.get(m.id)));
  console.log(
    `[train-schedule] ${JSON.stringify(result.schedule)}: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { result, weights, infos };
}

/** Largest |a − b| over all members' weights, relative to the largest |b|. */
function worstRelative(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  a.forEach((w, k) =>
    w.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(b[k]![i]!));
      diff = Math.max(diff, Math.abs(v - b[k]![i]!));
    }),
  );
  return diff / scale;
}

const identical = (a: Float32Array[], b: Float32Array[]): boolean =>
  a.length === b.length &&
  a.every((w, k) => w.length === b[k]!.length && w.every((v, i) => Object.is(v, b[k]![i])));

let sender: Run;

beforeAll(async () => {
  // Node 20 has no navigator (21+ has one without gpu): no adapter, one core, one inline shard.
  vi.stubGlobal('navigator', {});
  // The worker's backends.ts names the wasm files by bundler URL; in Node they are files.
  const dist = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  );
  setWasmPaths(
    Object.fromEntries(
      ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map(
        (f) => [f, path.join(dist, f)],
      ),
    ),
  );
  await useBackend('wasm');
  // Started on tfjs, the job measures the other paths between its steps and moves to the fused
  // kernel (10–20× faster here) mid-run: the sender's switched run.
  sender = await train({ startOn: 'tfjs' });
}, 300_000);

describe('a link’s engine schedule', () => {
  it('records where the sender’s run switched engines', () => {
    const { schedule, backend } = sender.result;
    expect(backend.switched).toMatch(/^switched at step \d+ from tfjs wasm .* to the fused wasm kernel/);
    const at = Number(/step (\d+)/.exec(backend.switched!)![1]);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(job.steps);
    expect(schedule).toEqual([
      { path: 'wasm', layout: 'split', fromStep: 0 },
      { path: 'fused', simd: 'simd', fromStep: at },
    ]);
    console.log(`[train-schedule] sender: tfjs wasm for ${at} steps, then the fused kernel`);
  });

  it('replays the switched run bit for bit when it follows the schedule, and not on one engine', async () => {
    const replay = await train({ schedule: sender.result.schedule });
    expect(replay.result.schedule).toEqual(sender.result.schedule);
    expect(replay.result.backend.replay).toEqual({
      sender: sender.result.schedule,
      here: sender.result.schedule,
      differs: null,
    });
    // Nothing was calibrated: a replay only follows.
    expect(replay.infos.every((b) => !b.calibration && !b.calibrating)).toBe(true);
    expect(replay.result.backend.switched).toMatch(/as the link's schedule says/);
    // The same code on the same data in the same order: equal to the last bit, not merely close.
    expect(identical(replay.weights, sender.weights)).toBe(true);
    expect(Array.from(replay.result.mse)).toEqual(Array.from(sender.result.mse));

    // What a receiver's own calibration could pick instead: the fused kernel for the whole run
    // (its stored winner); or the same paths switched one step later (its own calibration's timing).
    const at = sender.result.schedule[1]!.fromStep;
    const fusedOnly = await train({ schedule: [{ path: 'fused', simd: 'simd', fromStep: 0 }] });
    const later = await train({
      schedule: [sender.result.schedule[0]!, { path: 'fused', simd: 'simd', fromStep: at + 1 }],
    });
    for (const other of [fusedOnly, later]) {
      expect(identical(other.weights, sender.weights)).toBe(false);
      const rel = worstRelative(other.weights, sender.weights);
      console.log(
        `[train-schedule] replay on ${JSON.stringify(other.result.schedule)} differs from the sender by ${rel.toExponential(2)} relative`,
      );
      // The same training up to float rounding (about 1e-4 after 20 steps, tests/train-switch.test.ts;
      // it grows over a long run: 2e-3 after 3,000 steps here), but not the same members.
      expect(rel).toBeGreaterThan(1e-7);
      expect(rel).toBeLessThan(5e-2);
    }
  }, 300_000);

  it('runs the closest path where a stretch cannot run here, and says which and why', async () => {
    // Chromium's relaxed-SIMD kernel, then tfjs on WebGPU: Node 20 has neither.
    const wanted: EngineSchedule = [
      { path: 'fused', simd: 'relaxed', fromStep: 0 },
      { path: 'webgpu', layout: 'batched', fromStep: 40 },
    ];
    const run = await train({ schedule: wanted, steps: 60 });
    expect(run.result.schedule).toEqual([
      { path: 'fused', simd: 'simd', fromStep: 0 },
      { path: 'wasm', layout: 'batched', fromStep: 40 },
    ]);
    const replay = run.result.backend.replay!;
    expect(replay.sender).toEqual(wanted);
    expect(replay.here).toEqual(run.result.schedule);
    // Why, per stretch (tfjs's own words for a backend that does not start).
    expect(replay.differs).toMatch(/^this browser's WebAssembly has no relaxed SIMD; from step 40: webgpu /);
    // The app heard it at the start, before any member trained on the other path.
    expect(run.infos[0]!.replay?.differs).toMatch(/relaxed SIMD/);
  }, 120_000);
});
