/**
 * The one way the app runs a job in the worker. A feature's store holds a job slice (busy, the
 * worker's job id, progress; `job` unless the feature names another); `runJob` fills it, routes
 * the worker's progress into it, turns a cancel into an AbortSignal that reaches the worker, drops
 * the answers of a cancelled or superseded run, and reports failures. `stopJob` asks a job that
 * can keep what it has done to end early and answer with that; `pauseJob` pauses and resumes.
 * See docs/ARCHITECTURE.md, "Jobs and cancellation".
 */
import type { StoreApi } from 'zustand';
import { isAbort } from '../engine/cancel';
import type { JobProgress, Payload, RequestType, Result } from '../workers/protocol';
import {
  EngineRestartError,
  LOST_WITH_WORKER,
  engine,
  reportLostJob,
  type CallOptions,
} from './engine-client';
import { showBanner } from './store';

/** A feature's job slice. */
export interface JobState {
  busy: boolean;
  /** The worker's id of the request running now (null between requests). */
  jobId: number | null;
  progress: JobProgress | null;
}

export const idleJob = (): JobState => ({ busy: false, jobId: null, progress: null });

/** A store with a job slice under `K` (`job` by default; the slice may hold more than JobState). */
export type JobStore<K extends string = 'job'> = StoreApi<{ [P in K]: JobState }>;

/** What a job's work gets from `runJob`. */
export interface JobRun {
  /** Aborted when the job is cancelled or superseded by a newer run of the same store. */
  signal: AbortSignal;
  /**
   * Sends a request as part of this job: its progress fills the job slice (and reaches the
   * callbacks in `opts` while the job is live), a cancel reaches the worker. Rejects (as
   * cancelled) when the job ended meanwhile; a result that arrives anyway goes to `discard`
   * first, so that work the person cancelled can be undone (e.g. models removed).
   */
  call<T extends RequestType>(
    type: T,
    payload: Payload<T>,
    opts?: Omit<CallOptions, 'signal' | 'onJobProgress'> & { discard?: (result: Result<T>) => void },
  ): Promise<Result<T>>;
  /** Awaits other work of the job (loading data); rejects as cancelled when the job ended meanwhile. */
  step<T>(promise: Promise<T>): Promise<T>;
  /** Sets the job's progress (for jobs made of several requests). */
  progress(p: JobProgress): void;
}

/** The running job of each store and slice. */
const running = new WeakMap<object, Map<string, AbortController>>();

function runs(store: object): Map<string, AbortController> {
  let m = running.get(store);
  if (!m) running.set(store, (m = new Map()));
  return m;
}

function cancelled(): DOMException {
  return new DOMException('the job was cancelled', 'AbortError');
}

function patchSlice<K extends string>(store: JobStore<K>, slice: K, p: Partial<JobState>): void {
  store.setState((s) => ({ [slice]: { ...s[slice], ...p } }) as { [P in K]: JobState });
}

/**
 * Runs `work` as the store's job, replacing (and cancelling) any job it runs now. A failure shows
 * `failure(message)` in the banner (a feature that shows failures itself returns nothing); a
 * cancelled job ends silently.
 */
export async function runJob<K extends string = 'job'>(
  store: JobStore<NoInfer<K>>,
  failure: (message: string) => string | void,
  work: (run: JobRun) => Promise<void>,
  slice: K = 'job' as K,
): Promise<void> {
  const jobs = runs(store);
  jobs.get(slice)?.abort();
  const ctrl = new AbortController();
  jobs.set(slice, ctrl);
  const live = () => jobs.get(slice) === ctrl && !ctrl.signal.aborted;
  const patch = (p: Partial<JobState>) => {
    if (live()) patchSlice(store, slice, p);
  };
  /** A callback that only runs while the job is live. */
  const whileLive =
    <A>(f: ((a: A) => void) | undefined) =>
    (a: A) => {
      if (live()) f?.(a);
    };
  patchSlice(store, slice, { busy: true, jobId: null, progress: null });
  const run: JobRun = {
    signal: ctrl.signal,
    progress: (p) => patch({ progress: p }),
    async step(promise) {
      let value: Awaited<typeof promise>;
      try {
        value = await promise;
      } catch (e) {
        throw live() ? e : cancelled();
      }
      if (!live()) throw cancelled();
      return value;
    },
    async call(type, payload, opts = {}) {
      if (!live()) throw cancelled();
      const { discard, onProgress, onBackend, ...rest } = opts;
      const { id, result } = engine().call(type, payload, {
        ...rest,
        signal: ctrl.signal,
        onProgress: whileLive(onProgress),
        onBackend: whileLive(onBackend),
        onJobProgress: (p) => patch({ progress: p }),
      });
      patch({ jobId: id });
      const a = asked.get(ctrl);
      if (a?.paused) send(id, 'pause');
      if (a?.stop) send(id, 'stop');
      let value: Result<typeof type>;
      try {
        value = await result;
      } catch (e) {
        throw live() ? e : cancelled();
      }
      if (!live()) {
        discard?.(value);
        throw cancelled();
      }
      return value;
    },
  };
  try {
    await work(run);
  } catch (e) {
    if (live() && !isAbort(e)) {
      const lost = e instanceof EngineRestartError;
      const text = failure(lost ? LOST_WITH_WORKER : e instanceof Error ? e.message : String(e));
      if (text && lost) reportLostJob(e, text);
      else if (text) showBanner('error', text);
    }
  } finally {
    if (jobs.get(slice) === ctrl) {
      jobs.delete(slice);
      patchSlice(store, slice, idleJob());
    }
  }
}

/** Cancels the store's job: the worker is told at once, and the job's answers are dropped. */
export function cancelJob<K extends string = 'job'>(
  store: JobStore<NoInfer<K>>,
  slice: K = 'job' as K,
): void {
  const jobs = runs(store);
  const ctrl = jobs.get(slice);
  if (!ctrl) return;
  jobs.delete(slice);
  ctrl.abort();
  patchSlice(store, slice, idleJob());
}

/**
 * Pause and Stop asked of a running job. A request the job sends later is told at once, so a
 * Pause pressed while the job still loads its data holds its first request, and a request sent
 * while paused starts paused.
 */
const asked = new WeakMap<AbortController, { paused: boolean; stop: boolean }>();

function send(id: number, type: 'stop' | 'pause' | 'resume'): void {
  void engine()
    .call(type, { job: id })
    .result.catch(() => undefined);
}

/** Tells the store's job `type` (its request now, or the next it sends); false when none runs. */
function tell<K extends string>(store: JobStore<K>, slice: K, type: 'stop' | 'pause' | 'resume'): boolean {
  const ctrl = runs(store).get(slice);
  if (!ctrl) return false;
  const a = asked.get(ctrl) ?? { paused: false, stop: false };
  asked.set(ctrl, a);
  if (type === 'stop') a.stop = true;
  else a.paused = type === 'pause';
  const id = store.getState()[slice].jobId;
  if (id !== null) send(id, type);
  return true;
}

/**
 * Ends the store's job early, keeping what it has done: its request answers with that (e.g.
 * partly trained models, `stopped: true`) and the job goes on to use the answer. Only jobs that
 * can keep something honour it; for all others use `cancelJob`. False when no job runs.
 */
export function stopJob<K extends string = 'job'>(
  store: JobStore<NoInfer<K>>,
  slice: K = 'job' as K,
): boolean {
  return tell(store, slice, 'stop');
}

/** Pauses or resumes the store's job (jobs that can pause); false when no job runs. */
export function pauseJob<K extends string = 'job'>(
  store: JobStore<NoInfer<K>>,
  paused: boolean,
  slice: K = 'job' as K,
): boolean {
  return tell(store, slice, paused ? 'pause' : 'resume');
}
