/**
 * The main-thread side of the worker protocol: numbered requests, promises for their results,
 * progress callbacks, and a restart when the worker crashes (every pending request is rejected
 * with a message that says so).
 */
import type { BackendInfo, JobProgress, Reply, Request, TrainProgress } from '../workers/protocol';

type RequestOf<T extends Request['type']> = Extract<Request, { type: T }>;
type Payload<T extends Request['type']> = RequestOf<T>['payload'];

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  onProgress?: (p: TrainProgress) => void;
  onBackend?: (b: BackendInfo) => void;
  onJobProgress?: (p: JobProgress) => void;
}

export interface CallHandlers {
  onProgress?: (p: TrainProgress) => void;
  onBackend?: (b: BackendInfo) => void;
  onJobProgress?: (p: JobProgress) => void;
}

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Called after the worker died and a fresh one replaced it. */
  onRestart: ((reason: string) => void) | null = null;

  constructor(private readonly create: () => Worker) {
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
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.type === 'progress') return p.onProgress?.(reply.payload);
    if (reply.type === 'backend') return p.onBackend?.(reply.payload);
    if (reply.type === 'job-progress') return p.onJobProgress?.(reply.payload);
    this.pending.delete(reply.id);
    if (reply.type === 'error') {
      const err = new Error(reply.payload.message);
      err.name = reply.payload.name;
      p.reject(err);
    } else p.resolve(reply);
  }

  /** Replaces a dead or hung worker; pending requests fail with `reason`. */
  restart(reason: string): void {
    this.worker.terminate();
    for (const p of this.pending.values())
      p.reject(new Error(`${reason}; it was restarted and the job was lost`));
    this.pending.clear();
    this.worker = this.spawn();
    this.onRestart?.(reason);
  }

  /** Sends a request; `id` lets the caller pause or cancel it. */
  call<T extends Request['type']>(
    type: T,
    payload: Payload<T>,
    handlers: CallHandlers = {},
    transfer: Transferable[] = [],
  ): { id: number; result: Promise<Reply> } {
    const id = this.nextId++;
    const result = new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...handlers });
    });
    this.worker.postMessage({ type, id, payload } as Request, transfer);
    return { id, result };
  }
}

/** Sends a request and resolves with its reply of the expected type (errors reject). */
export async function ask<T extends Request['type'], R extends Reply['type']>(
  type: T,
  payload: Payload<T>,
  expect: R,
  handlers: CallHandlers = {},
  transfer: Transferable[] = [],
): Promise<ReplyPayload<R>> {
  const reply = await engine().call(type, payload, handlers, transfer).result;
  if (reply.type !== expect) throw new Error(`engine answered ${reply.type} to ${type}`);
  return reply.payload as ReplyPayload<R>;
}

/** Tells the worker to cancel job `jobId` (no-op for null); a job that already ended is ignored. */
export function cancelJob(jobId: number | null): void {
  if (jobId !== null) void ask('cancel', { job: jobId }, 'ok').catch(() => undefined);
}

type ReplyPayload<R extends Reply['type']> = Extract<Reply, { type: R }>['payload'];

let client: EngineClient | null = null;

/** The app's one engine worker. */
export function engine(): EngineClient {
  client ??= new EngineClient(
    () =>
      new Worker(new URL('../workers/engine.worker.ts', import.meta.url), {
        type: 'module',
        name: 'weightscope-engine',
      }),
  );
  return client;
}
