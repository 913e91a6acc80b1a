/**
 * The one way the app runs a job in the worker. A feature's store holds a `job` slice (busy, the
 * worker's job id, progress); `runJob` fills it, routes the worker's progress into it, turns a
 * cancel into an AbortSignal that reaches the worker, drops the answers of a cancelled or
 * superseded run, and reports failures in the banner. See docs/ARCHITECTURE.md, "Jobs and
 * cancellation".
 */
import type { StoreApi } from 'zustand';
import { isAbort } from '../engine/cancel';
import type { JobProgress, Payload, RequestType, Result } from '../workers/protocol';
import { engine, type CallOptions } from './engine-client';
import { showBanner } from './store';

/** A feature's job slice. */
export interface JobState {
  busy: boolean;
  /** The worker's id of the request running now (null between requests). */
  jobId: number | null;
  progress: JobProgress | null;
}

export const idleJob = (): JobState => ({ busy: false, jobId: null, progress: null });

/** A store with a job slice. */
export type JobStore = StoreApi<{ job: JobState }>;

/** What a job's work gets from `runJob`. */
export interface JobRun {
  /** Aborted when the job is cancelled or superseded by a newer run of the same store. */
  signal: AbortSignal;
  /**
   * Sends a request as part of this job: its progress fills the job slice, a cancel reaches the
   * worker. Rejects (as cancelled) when the job ended meanwhile; a result that arrives anyway goes
   * to `discard` first, so that work the person cancelled can be undone (e.g. models removed).
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

const running = new WeakMap<object, AbortController>();

function cancelled(): DOMException {
  return new DOMException('the job was cancelled', 'AbortError');
}

/**
 * Runs `work` as the store's job, replacing (and cancelling) any job it runs now. A failure shows
 * `failure(message)` in the banner; a cancelled job ends silently.
 */
export async function runJob(
  store: JobStore,
  failure: (message: string) => string,
  work: (run: JobRun) => Promise<void>,
): Promise<void> {
  running.get(store)?.abort();
  const ctrl = new AbortController();
  running.set(store, ctrl);
  const live = () => running.get(store) === ctrl && !ctrl.signal.aborted;
  const patch = (p: Partial<JobState>) => {
    if (live()) store.setState((s) => ({ job: { ...s.job, ...p } }));
  };
  store.setState({ job: { busy: true, jobId: null, progress: null } });
  const run: JobRun = {
    signal: ctrl.signal,
    progress: (p) => patch({ progress: p }),
    async step(promise) {
      const value = await promise;
      if (!live()) throw cancelled();
      return value;
    },
    async call(type, payload, opts = {}) {
      if (!live()) throw cancelled();
      const { discard, ...rest } = opts;
      const { id, result } = engine().call(type, payload, {
        ...rest,
        signal: ctrl.signal,
        onJobProgress: (p) => patch({ progress: p }),
      });
      patch({ jobId: id });
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
    if (live() && !isAbort(e)) showBanner('error', failure(e instanceof Error ? e.message : String(e)));
  } finally {
    if (running.get(store) === ctrl) {
      running.delete(store);
      store.setState({ job: idleJob() });
    }
  }
}

/** Cancels the store's job: the worker is told at once, and the job's answers are dropped. */
export function cancelJob(store: JobStore): void {
  const ctrl = running.get(store);
  if (!ctrl) return;
  running.delete(store);
  ctrl.abort();
  store.setState({ job: idleJob() });
}
