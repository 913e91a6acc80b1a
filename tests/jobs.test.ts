/**
 * The app's job runner and engine client against fake Workers: the real worker switch running in
 * this process (real jobs, real registry), and a worker that hangs. Progress lands in the job
 * slice, a cancel reaches the worker and leaves the workspace as it was, a failure shows in the
 * banner, and a silent worker is restarted with its job reported failed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from 'zustand';
import { EngineClient, restartBanner, setEngine, storedTimings } from '../src/app/engine-client';
import { idleJob, cancelJob, runJob, type JobState } from '../src/app/jobs';
import { appStore } from '../src/app/store';
import { flattenModel, initModel, type MlpArch } from '../src/engine/model';
import { useBackend } from '../src/workers/backends';
import { PauseSwitch, waitWhilePaused } from '../src/workers/jobs/context';
import type { JobProgress } from '../src/workers/protocol';
import { FakeWorker, inProcessWorker } from './helpers/fake-worker';

beforeAll(async () => {
  await useBackend('cpu');
});

const testStore = () =>
  createStore<{ job: JobState; seen: JobProgress[] }>(() => ({ job: idleJob(), seen: [] }));

afterEach(() => appStore.setState({ banner: null }));

describe('runJob', () => {
  it('fills the job slice with the worker’s progress and idles when done', async () => {
    const { worker, ids } = inProcessWorker();
    setEngine(new EngineClient(() => worker as unknown as Worker));
    const store = testStore();
    const seen: JobProgress[] = [];
    store.subscribe((s, prev) => {
      if (s.job.progress && s.job.progress !== prev.job.progress) seen.push(s.job.progress);
    });
    let groups = 0;
    const done = runJob(
      store,
      (m) => `failed: ${m}`,
      async (run) => {
        groups = (await run.call('cloud', { modelIds: ids, alignTo: ids[0]!, components: 2, paths: [] }))
          .length;
      },
    );
    expect(store.getState().job.busy).toBe(true);
    await done;
    expect(groups).toBe(1);
    expect(store.getState().job).toEqual(idleJob());
    expect(seen.map((p) => p.done)).toEqual(expect.arrayContaining([1, 2, 3, 4]));
    expect(appStore.getState().banner).toBeNull();
  });

  it('cancel: the worker stops the alignment, the job ends silently, the workspace is unchanged', async () => {
    const { worker, ids, registry } = inProcessWorker();
    setEngine(new EngineClient(() => worker as unknown as Worker));
    const store = testStore();
    let finished = false;
    const unsub = store.subscribe((s) => {
      if (s.job.progress?.done === 1) cancelJob(store);
    });
    await runJob(
      store,
      (m) => `failed: ${m}`,
      async (run) => {
        await run.call('align', {
          refId: ids[0]!,
          modelIds: ids.slice(1),
          method: 'weight',
          signed: 'auto',
          seed: 0,
          target: null,
          heatmapLayer: 0,
        });
        finished = true;
      },
    );
    unsub();
    expect(finished).toBe(false);
    expect(store.getState().job).toEqual(idleJob());
    expect(appStore.getState().banner).toBeNull();
    // The worker was told: a cancel message for the align request went out, and it added nothing.
    const sent = worker.received as { type: string; id: number; payload: { job?: number } }[];
    const align = sent.find((m) => m.type === 'align')!;
    expect(sent.some((m) => m.type === 'cancel' && m.payload.job === align.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(registry.ids()).toEqual(ids);
  });

  it('a failure shows the feature’s message in the banner and idles the job', async () => {
    const { worker, ids } = inProcessWorker();
    setEngine(new EngineClient(() => worker as unknown as Worker));
    const store = testStore();
    await runJob(
      store,
      (m) => `Alignment failed: ${m}. The workspace is unchanged.`,
      async (run) => {
        await run.call('align', {
          refId: ids[0]!,
          modelIds: ['m404'],
          method: 'weight',
          signed: 'auto',
          seed: 0,
          target: null,
          heatmapLayer: 0,
        });
      },
    );
    expect(store.getState().job).toEqual(idleJob());
    expect(appStore.getState().banner?.text).toMatch(
      /^Alignment failed: model m404 is not in the workspace.*unchanged\.$/,
    );
  });

  it('a newer run supersedes the running one: only the newer answer lands', async () => {
    const { worker, ids } = inProcessWorker();
    setEngine(new EngineClient(() => worker as unknown as Worker));
    const store = testStore();
    const landed: string[] = [];
    const job = (tag: string) =>
      runJob(
        store,
        (m) => m,
        async (run) => {
          await run.call('cloud', { modelIds: ids, alignTo: null, components: 2, paths: [] });
          landed.push(tag);
        },
      );
    await Promise.all([job('first'), job('second')]);
    expect(landed).toEqual(['second']);
    expect(store.getState().job).toEqual(idleJob());
  });
});

describe('EngineClient', () => {
  it('a hung worker (never answers, not even pings) is restarted; one message says so and names the job it lost', async () => {
    const workers: FakeWorker[] = [];
    const client = new EngineClient(
      () => {
        const w = new FakeWorker(null);
        workers.push(w);
        return w as unknown as Worker;
      },
      { silenceMs: 600, pingMs: 30 },
    );
    const restarts: string[] = [];
    client.onRestart = (r, n, lost) => {
      restarts.push(r);
      restartBanner(r, n, lost);
    };
    setEngine(client);
    const store = testStore();
    await runJob(
      store,
      (m) => `The loss plane could not be computed: ${m}`,
      async (run) => {
        await run.call('cloud', { modelIds: [], alignTo: null, components: 2, paths: [] });
      },
    );
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
    expect(workers[1]!.terminated).toBe(false);
    expect(restarts).toEqual([expect.stringMatching(/stopped answering/)]);
    // The restart's message and the job's failure are one message, not two that say it twice.
    expect(appStore.getState().banners.map((b) => `${b.kind}: ${b.text}`)).toEqual([
      expect.stringMatching(
        /^error: The engine worker stopped answering for \d+ s and was restarted with the workspace's models\. The loss plane could not be computed: it was lost with the old worker; run it again\.$/,
      ),
    ]);
    expect(store.getState().job).toEqual(idleJob());
    // Pings went out while it waited.
    expect((workers[0]!.received as { type: string }[]).some((m) => m.type === 'ping')).toBe(true);
  });

  it('a restarted worker gets the workspace back: the same models under the same ids', async () => {
    const made: ReturnType<typeof inProcessWorker>[] = [];
    const client = new EngineClient(
      () => {
        const w = inProcessWorker(0);
        made.push(w);
        return w.worker as unknown as Worker;
      },
      { silenceMs: 600, pingMs: 30 },
    );
    setEngine(client);
    const old = made[0]!;
    // Models join the old worker's workspace (as jobs add them: announced to the client), one leaves.
    const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
    const added = [1, 2, 3].map((s) =>
      old.registry.add(initModel(arch, s), { name: `net ${s}`, source: 'trained' }),
    );
    await client.call('remove', { modelId: added[1]!.id }).result;
    const keptIds = [added[0]!.id, added[2]!.id];
    expect(client.keptModels).toBe(2);
    // The old worker hangs: its job fails, and a new worker starts.
    old.worker.answer = null;
    const store = testStore();
    await runJob(
      store,
      (m) => `The cloud failed: ${m}`,
      async (run) => {
        await run.call('cloud', { modelIds: keptIds, alignTo: null, components: 2, paths: [] });
      },
    );
    expect(appStore.getState().banner?.text).toMatch(
      /stopped answering.*restarted.* The cloud failed: it was lost with the old worker/,
    );
    expect(made).toHaveLength(2);
    const fresh = made[1]!;
    // The client put the workspace back first; the next job finds the models by their ids.
    let groups = 0;
    await runJob(
      store,
      (m) => `The cloud failed: ${m}`,
      async (run) => {
        groups = (await run.call('cloud', { modelIds: keptIds, alignTo: null, components: 2, paths: [] }))
          .length;
      },
    );
    expect(groups).toBe(1);
    expect(fresh.registry.ids()).toEqual(keptIds);
    for (const id of keptIds)
      expect(flattenModel(fresh.registry.get(id))).toEqual(flattenModel(old.registry.get(id)));
    expect(fresh.registry.entry(keptIds[1]!)).toEqual(old.registry.entry(keptIds[1]!));
    // A model added later gets a new id, not one of the restored ones.
    const later = fresh.registry.add(initModel(arch, 9), { name: 'later', source: 'trained' });
    expect([...added.map((e) => e.id)]).not.toContain(later.id);
  });

  it('stored test timings are read only when well-formed and in range', () => {
    expect(storedTimings('{"silenceMs":4000,"pingMs":250}')).toEqual({ silenceMs: 4000, pingMs: 250 });
    expect(storedTimings(null)).toEqual({});
    expect(storedTimings('not json')).toEqual({});
    expect(storedTimings('[4000]')).toEqual({});
    // Out of range, not a number, or unknown: that key keeps its default.
    expect(storedTimings('{"silenceMs":5,"pingMs":"250","requestTimeoutMs":1e9,"other":1000}')).toEqual({});
    expect(storedTimings('{"silenceMs":null,"requestTimeoutMs":600000}')).toEqual({
      requestTimeoutMs: 600_000,
    });
  });

  it('a busy worker that answers pings is not restarted', async () => {
    let release: () => void = () => undefined;
    const worker = new FakeWorker((msg, reply) => {
      const m = msg as { type: string; id: number };
      if (m.type === 'ping') reply({ type: 'result', id: m.id, request: 'ping', payload: null });
      else release = () => reply({ type: 'result', id: m.id, request: 'cloud', payload: [] });
    });
    const client = new EngineClient(() => worker as unknown as Worker, { silenceMs: 600, pingMs: 30 });
    const result = client.call('cloud', { modelIds: [], alignTo: null, components: 2, paths: [] }).result;
    // Busy for three silence windows, answering pings all the while.
    await new Promise((r) => setTimeout(r, 1800));
    release();
    await expect(result).resolves.toEqual([]);
    expect(worker.terminated).toBe(false);
  });

  it('a quick request that gets no answer times out; a crash restarts the worker', async () => {
    const worker = new FakeWorker((msg, reply) => {
      const m = msg as { type: string; id: number };
      if (m.type === 'ping') reply({ type: 'result', id: m.id, request: 'ping', payload: null });
    });
    const made: FakeWorker[] = [];
    const client = new EngineClient(
      () => {
        const w = made.length === 0 ? worker : new FakeWorker(null);
        made.push(w);
        return w as unknown as Worker;
      },
      { requestTimeoutMs: 50, pingMs: 10, silenceMs: 1000 },
    );
    await expect(client.call('remove', { modelId: 'm1' }).result).rejects.toThrow(
      /did not answer remove within/,
    );
    const pending = client.call('align', {
      refId: 'm1',
      modelIds: [],
      method: 'weight',
      signed: 'auto',
      seed: 0,
      target: null,
      heatmapLayer: 0,
    }).result;
    worker.onerror?.({ message: 'boom', preventDefault: () => undefined } as ErrorEvent);
    await expect(pending).rejects.toThrow(/crashed \(boom\); it was restarted/);
    expect(made).toHaveLength(2);
  });
});

describe('waitWhilePaused', () => {
  /** Whether `p` has settled after the event loop ran its queued work. */
  const settled = async (p: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((r) => setTimeout(r, 20));
    return done;
  };

  it('holds while paused; a resume or a stop lets it go, a cancel rejects', async () => {
    const pause = new PauseSwitch();
    const cancel = new AbortController();
    await waitWhilePaused(pause, cancel.signal); // not paused: goes on at once
    pause.set(true);
    const resumed = waitWhilePaused(pause, cancel.signal);
    expect(await settled(resumed)).toBe(false);
    pause.set(false);
    await resumed;

    pause.set(true);
    const stop = new AbortController();
    const stopped = waitWhilePaused(pause, cancel.signal, stop.signal);
    expect(await settled(stopped)).toBe(false);
    stop.abort();
    await stopped;
    expect(pause.paused).toBe(true);

    const cancelled = waitWhilePaused(pause, cancel.signal, new AbortController().signal);
    expect(await settled(cancelled)).toBe(false);
    cancel.abort();
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
  });
});
