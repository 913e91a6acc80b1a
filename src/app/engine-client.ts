/**
 * The main-thread side of the worker protocol: numbered requests, typed promises for their
 * results, progress callbacks, cancellation by AbortSignal, and a restart when the worker crashes
 * or stops answering (every pending request is rejected with a message that says so; the
 * workspace's models are put back into the new worker from the copies kept here).
 */
import type { Model } from '../engine/model';
import { replaceBanner, showBanner } from './store';
import type {
  BackendInfo,
  JobProgress,
  ModelEntry,
  Payload,
  Reply,
  Request,
  RequestType,
  Result,
  TrainProgress,
  WorkspaceChange,
} from '../workers/protocol';

export interface CallOptions {
  onProgress?: (p: TrainProgress) => void;
  onBackend?: (b: BackendInfo) => void;
  onJobProgress?: (p: JobProgress) => void;
  /** Buffers to transfer with the request. */
  transfer?: Transferable[];
  /** Aborting tells the worker to cancel the job; the promise still settles with the worker's answer. */
  signal?: AbortSignal;
  /** Rejects when no answer came after this long (default: `requestTimeoutMs`, none for jobs). */
  timeoutMs?: number;
}

interface Pending extends CallOptions {
  type: RequestType;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** Requests that run as long as their work needs; they are watched by liveness pings instead. */
const JOBS: ReadonlySet<RequestType> = new Set([
  'train',
  'classifier-train',
  'classifier-finetune',
  'classifier-preset',
  'align',
  'paths',
  'cloud',
  'plane',
  'directions',
  'bench',
  'zoo-fit',
  'zoo-classifiers',
  'zoo-train',
  'zoo-cloud',
]);

export interface ClientTimings {
  /** A worker silent (no reply, progress or ping answer) this long while requests wait is restarted. */
  silenceMs: number;
  /** How often to ping the worker while requests wait. */
  pingMs: number;
  /** The answer deadline of a request that is not a long job. */
  requestTimeoutMs: number;
}

/** A minute of silence: longer than any synchronous step of a job (the longest seen: ~26 s). */
export const DEFAULT_TIMINGS: ClientTimings = { silenceMs: 60_000, pingMs: 5_000, requestTimeoutMs: 120_000 };

/** Where the browser tests keep shorter watchdog timings (see `storedTimings`). */
export const TIMINGS_KEY = 'weightscope.engineTimings';

/**
 * Watchdog timings from `localStorage['weightscope.engineTimings']`, read once when the app's
 * client starts: JSON with any of `silenceMs`, `pingMs`, `requestTimeoutMs`, each a number of
 * milliseconds from 100 to 600 000. The browser test of a hung worker sets a silence window of
 * seconds so that it sees the restart without waiting a minute. Anything else is ignored (the
 * defaults hold): a person never sets it, so a bad value is not worth a message.
 */
export function storedTimings(text: string | null | undefined): Partial<ClientTimings> {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? 'null');
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const out: Partial<ClientTimings> = {};
  for (const key of Object.keys(DEFAULT_TIMINGS) as (keyof ClientTimings)[]) {
    const v = (raw as Record<string, unknown>)[key];
    if (typeof v === 'number' && v >= 100 && v <= 600_000) out[key] = v;
  }
  return out;
}

function readStoredTimings(): Partial<ClientTimings> {
  try {
    return storedTimings(globalThis.localStorage?.getItem(TIMINGS_KEY));
  } catch {
    return {}; // storage refused (e.g. blocked by the browser's settings)
  }
}

/** Restarts so far, of every client: a restart's number keys its one message. */
let restarts = 0;

/** A request lost because its worker hung or crashed and was replaced. */
export class EngineRestartError extends Error {
  constructor(
    /** What happened, lower case: "the engine worker stopped answering for 5 s". */
    readonly reason: string,
    /** Which restart took it (see `reportLostJob`). */
    readonly restart: number,
  ) {
    super(`${reason}; it was restarted and the job was lost`);
    this.name = 'EngineRestartError';
  }
}

/** An error carrying the worker's error name (e.g. AbortError for a cancelled job). */
function workerError(payload: { name: string; message: string }): Error {
  const err = new Error(payload.message);
  err.name = payload.name;
  return err;
}

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastHeard = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private readonly timings: ClientTimings;
  /**
   * A copy of every model the worker holds, by id, from its `workspace` announcements: a worker
   * that hangs cannot be asked for its weights, so they are copied while it still answers.
   * Models are small next to a page (a SIREN 10–30 kB, an MNIST MLP 0.2–1 MB), so the copy is
   * cheaper than rebuilding each model from where it came from.
   */
  private readonly kept = new Map<string, { entry: ModelEntry; model: Model }>();
  /**
   * Called after the worker died or hung and a fresh one replaced it (the workspace is back), with
   * the restart's number (as its lost requests carry it) and how many requests were lost.
   */
  onRestart: ((reason: string, restart: number, lost: number) => void) | null = null;

  constructor(
    private readonly create: () => Worker,
    timings: Partial<ClientTimings> = {},
  ) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = this.create();
    worker.onmessage = (e: MessageEvent<Reply>) => this.receive(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.restart(`the engine worker crashed (${e.message || 'unknown error'})`);
    };
    return worker;
  }

  private receive(reply: Reply): void {
    this.lastHeard = Date.now();
    if (reply.type === 'workspace') return this.keep(reply.payload);
    if (reply.id === null) return;
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.type === 'progress') return p.onProgress?.(reply.payload);
    if (reply.type === 'backend') return p.onBackend?.(reply.payload);
    if (reply.type === 'job-progress') return p.onJobProgress?.(reply.payload);
    this.settle(reply.id);
    if (reply.type === 'error') p.reject(workerError(reply.payload));
    else p.resolve(reply.payload);
  }

  private keep(change: WorkspaceChange): void {
    if (change.kind === 'added') this.kept.set(change.entry.id, { entry: change.entry, model: change.model });
    else this.kept.delete(change.id);
  }

  /** How many models a restarted worker would get back. */
  get keptModels(): number {
    return this.kept.size;
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }

  /** While requests wait: ping, and restart the worker when it has been silent too long. */
  private watch(): void {
    if (this.watchdog) return;
    this.lastHeard = Date.now();
    this.watchdog = setInterval(() => {
      const silent = Date.now() - this.lastHeard;
      if (silent > this.timings.silenceMs) {
        this.restart(`the engine worker stopped answering for ${Math.round(silent / 1000)} s`);
        return;
      }
      this.post('ping', null, {});
    }, this.timings.pingMs);
  }

  /**
   * Replaces a dead or hung worker; pending requests fail with `reason`, and the new worker gets
   * the workspace back before any later request (messages are handled in order).
   */
  restart(reason: string): void {
    this.worker.terminate();
    const lost = [...this.pending.entries()];
    for (const [id] of lost) this.settle(id);
    const restart = ++restarts;
    for (const [, p] of lost) p.reject(new EngineRestartError(reason, restart));
    this.worker = this.spawn();
    if (this.kept.size > 0)
      this.call('restore', { models: [...this.kept.values()] }).result.catch((e: unknown) =>
        showBanner(
          'error',
          `The restarted engine worker did not take the workspace back (${e instanceof Error ? e.message : String(e)}): reload the page.`,
        ),
      );
    this.onRestart?.(reason, restart, lost.length);
  }

  private post<T extends RequestType>(type: T, payload: Payload<T>, opts: CallOptions): number {
    const id = this.nextId++;
    this.worker.postMessage({ type, id, payload } as Request, opts.transfer ?? []);
    return id;
  }

  /** Sends a request; `id` lets the caller pause or cancel it. */
  call<T extends RequestType>(
    type: T,
    payload: Payload<T>,
    opts: CallOptions = {},
  ): { id: number; result: Promise<Result<T>> } {
    const id = this.nextId;
    const result = new Promise<Result<T>>((resolve, reject) => {
      const p: Pending = { ...opts, type, resolve: resolve as (r: unknown) => void, reject };
      const timeout = opts.timeoutMs ?? (JOBS.has(type) ? undefined : this.timings.requestTimeoutMs);
      if (timeout !== undefined)
        p.timer = setTimeout(() => {
          this.settle(id);
          reject(
            new Error(`the engine worker did not answer ${type} within ${Math.round(timeout / 1000)} s`),
          );
        }, timeout);
      this.pending.set(id, p);
    });
    this.post(type, payload, opts);
    this.watch();
    if (opts.signal?.aborted) this.cancel(id);
    else opts.signal?.addEventListener('abort', () => this.cancel(id), { once: true });
    return { id, result };
  }

  /** Tells the worker to cancel job `id`; a job that already ended is ignored. */
  cancel(id: number): void {
    if (this.pending.has(id)) void this.call('cancel', { job: id }).result.catch(() => undefined);
  }
}

let client: EngineClient | null = null;

/** `text` with a capital first; as a sentence, with a full stop last unless it ends in one already. */
const capital = (text: string): string => `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
const sentence = (text: string): string => `${capital(text)}${/[.!?]$/.test(text) ? '' : '.'}`;

/** The failures of jobs each restart took down, as `reportLostJob` heard them. */
const lostJobs = new Map<number, string[]>();

/**
 * A restart's one message: what happened to the worker, then each job it took down in that
 * job's own words, instead of a message for the restart and another, overlapping, for each job.
 */
export function restartBanner(reason: string, restart: number, lost = 0): void {
  const what = capital(reason);
  const jobs = (lostJobs.get(restart) ?? []).map(sentence);
  replaceBanner(
    `engine-restart:${restart}`,
    'error',
    jobs.length > 0
      ? `${what} and was restarted with the workspace's models. ${jobs.join(' ')}`
      : `${what}. It was restarted with the workspace's models${lost > 0 ? '; the job that ran was lost' : ''}.`,
  );
}

/**
 * Tells the person that a job failed because its worker was restarted: `failure` (the job's own
 * failure message) joins the restart's message rather than standing beside it.
 */
export function reportLostJob(e: EngineRestartError, failure: string): void {
  lostJobs.set(e.restart, [...(lostJobs.get(e.restart) ?? []), failure]);
  restartBanner(e.reason, e.restart);
}

/** What a job's failure message says of its cause when its worker was restarted. */
export const LOST_WITH_WORKER = 'it was lost with the old worker; run it again';

/** The app's one engine worker. */
export function engine(): EngineClient {
  if (!client) {
    client = new EngineClient(
      () =>
        new Worker(new URL('../workers/engine.worker.ts', import.meta.url), {
          type: 'module',
          name: 'weightscope-engine',
        }),
      readStoredTimings(),
    );
    client.onRestart = restartBanner;
  }
  return client;
}

/** Replaces the app's engine client (tests drive the app's jobs against a fake or in-process worker). */
export function setEngine(c: EngineClient): void {
  client = c;
}

/** Sends a request and resolves with its typed result (errors reject). */
export function ask<T extends RequestType>(
  type: T,
  payload: Payload<T>,
  opts: CallOptions = {},
): Promise<Result<T>> {
  return engine().call(type, payload, opts).result;
}
