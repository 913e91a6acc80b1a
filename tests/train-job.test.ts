/**
 * The Train tab's job through runJob, against the real worker switch in this process (real
 * training on the cpu backend, real registry): progress fills the run, Stop after some steps
 * keeps the partly trained members (marked, with no `member:` identity), Stop before the first
 * step adds nothing, pause holds the steps, and a newer start supersedes a running one.
 *
 * Only the target image comes from here: decoding images needs a browser canvas (e2e/train.e2e.ts
 * covers it). The image is a real 16×16 gradient, the rest is the app's code.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineClient, setEngine } from '../src/app/engine-client';
import {
  startTraining,
  stopTraining,
  pauseTraining,
  resumeTraining,
} from '../src/app/features/train/train-state';
import { appStore, idleRun, updateSpec, type RunState } from '../src/app/store';
import { useBackend } from '../src/workers/backends';
import { inProcessWorker } from './helpers/fake-worker';

vi.mock('../src/app/data/targets', () => ({
  loadTarget: async (spec: { data: { size: number } }) => {
    const n = spec.data.size;
    const data = Float32Array.from({ length: n * n }, (_, i) => ((i % n) + Math.floor(i / n)) / (2 * n));
    return {
      image: { width: n, height: n, channels: 1, data },
      id: `sample:gradient@${n}`,
      label: 'gradient',
    };
  },
}));

let worker: ReturnType<typeof inProcessWorker>;

beforeAll(async () => {
  // Node 20 has no navigator (21+ has one without gpu): the worker's adapter probe finds none.
  vi.stubGlobal('navigator', {});
  await useBackend('cpu');
});

beforeEach(() => {
  worker = inProcessWorker(0);
  setEngine(new EngineClient(() => worker.worker as unknown as Worker));
  appStore.setState({ models: [], run: idleRun(), banner: null });
  const err = updateSpec((d) => {
    d.data.size = 16;
    d.arch.hidden = [8];
    d.population.size = 2;
    d.training.steps = 5000;
    d.training.evalEvery = 1;
    d.backend = 'cpu';
  });
  expect(err).toBeNull();
});

afterEach(() => stopTraining());

/**
 * Resolves when the run first satisfies `ok`, calling `then` synchronously at that moment;
 * rejects if the run ends first.
 */
function when(ok: (r: RunState) => boolean, then: () => void = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const unsub = appStore.subscribe((s) => {
      if (ok(s.run)) {
        unsub();
        then();
        resolve();
      } else if (!s.run.busy && s.run.status !== 'idle') {
        unsub();
        reject(new Error(`the run ended (${s.run.status}: ${s.run.message}) before the awaited state`));
      }
    });
  });
}

describe('the Train tab’s job', () => {
  it('progress fills the run; the finished members join with their member: identity', async () => {
    updateSpec((d) => (d.training.steps = 12));
    const statuses = new Set<string>();
    const unsub = appStore.subscribe((s) => statuses.add(s.run.status));
    const done = startTraining();
    expect(appStore.getState().run.busy).toBe(true);
    await done;
    unsub();
    const { run, models } = appStore.getState();
    expect(run).toMatchObject({ status: 'done', busy: false, jobId: null, step: 12, steps: 12 });
    expect([...statuses]).toEqual(expect.arrayContaining(['loading', 'calibrating', 'training', 'done']));
    expect(run.psnr.length).toBeGreaterThanOrEqual(2);
    expect(run.psnr[0]).toHaveLength(2);
    expect(run.message).toBe('2 models joined the workspace');
    expect(models).toHaveLength(2);
    for (const [k, m] of models.entries()) expect(m.ref).toMatch(new RegExp(`^member:[0-9a-f]+/${k}$`));
    expect(worker.registry.ids()).toEqual(models.map((m) => m.id));
  });

  it('Stop after some steps: the partly trained members join, marked, with no identity', async () => {
    const done = startTraining();
    await when((r) => r.step >= 3, stopTraining);
    await done;
    const { run, models } = appStore.getState();
    expect(run.status).toBe('cancelled');
    expect(run.busy).toBe(false);
    expect(run.step).toBeGreaterThanOrEqual(3);
    expect(run.step).toBeLessThan(5000);
    expect(run.message).toBe(
      `stopped at step ${run.step} of 5000: 2 partly trained models joined the workspace, marked as such`,
    );
    expect(models).toHaveLength(2);
    for (const m of models) {
      expect(m.ref).toBeUndefined();
      expect(m.name).toMatch(new RegExp(`\\(stopped at step ${run.step} of 5000\\)$`));
      expect(m.note).toMatch(/not the experiment's trained member/);
    }
    // The worker was asked to stop (keep), not to cancel.
    const train = worker.worker.sent('train')[0]!;
    expect(worker.worker.sent<{ job: number }>('stop').map((m) => m.payload.job)).toEqual([train.id]);
    expect(worker.worker.sent('cancel')).toEqual([]);
    expect(worker.registry.ids()).toEqual(models.map((m) => m.id));
  });

  it('Stop before the first step (loading, then calibrating) adds nothing, at once', async () => {
    // While the image loads: no request went out yet.
    const loading = startTraining();
    stopTraining();
    expect(appStore.getState().run).toMatchObject({ status: 'cancelled', busy: false, jobId: null });
    await loading;
    expect(worker.worker.sent('train')).toEqual([]);
    // Once the train request runs, before any step: cancelled in the worker, nothing joins.
    const calibrating = startTraining();
    await when((r) => r.jobId !== null, stopTraining);
    expect(appStore.getState().run).toMatchObject({ status: 'cancelled', busy: false, jobId: null });
    expect(appStore.getState().run.message).toBe(
      'stopped before the first step: nothing joined the workspace',
    );
    await calibrating;
    const train = worker.worker.sent('train')[0]!;
    expect(worker.worker.sent<{ job: number }>('cancel').map((m) => m.payload.job)).toEqual([train.id]);
    // Let the worker answer the cancel before looking at its workspace.
    await new Promise((r) => setTimeout(r, 200));
    expect(appStore.getState().models).toEqual([]);
    expect(worker.registry.ids()).toEqual([]);
  });

  it('pause holds the steps, resume goes on, and the run finishes', async () => {
    updateSpec((d) => (d.training.steps = 200));
    const done = startTraining();
    await when((r) => r.step >= 2, pauseTraining);
    expect(appStore.getState().run.status).toBe('paused');
    // The pause reaches the worker within a step; after that no step is taken.
    await new Promise((r) => setTimeout(r, 300));
    const held = appStore.getState().run.evalSteps.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(appStore.getState().run.evalSteps.length).toBe(held);
    expect(appStore.getState().run.status).toBe('paused');
    resumeTraining();
    await done;
    expect(appStore.getState().run).toMatchObject({ status: 'done', step: 200 });
    const train = worker.worker.sent('train')[0]!.id;
    expect(worker.worker.sent<{ job: number }>('pause').map((m) => m.payload.job)).toEqual([train]);
    expect(worker.worker.sent<{ job: number }>('resume').map((m) => m.payload.job)).toEqual([train]);
  });

  it('a newer start supersedes the running one: only the newer run’s members join', async () => {
    updateSpec((d) => (d.training.steps = 20));
    const first = startTraining();
    await when((r) => r.step >= 2);
    const second = startTraining();
    await Promise.all([first, second]);
    const { run, models } = appStore.getState();
    expect(run.status).toBe('done');
    expect(models).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(worker.registry.ids()).toEqual(models.map((m) => m.id));
  });
});
