/**
 * Workers for EngineClient tests: a fake Worker that clones messages as postMessage does and
 * answers on a later macrotask, and one that runs the real message switch (real jobs, real
 * registry) in this process.
 */
import { initModel, type MlpArch } from '../../src/engine/model';
import { createHandler } from '../../src/workers/handler';
import type { Reply } from '../../src/workers/protocol';

type Listener = ((e: MessageEvent) => void) | null;
type Answer = (msg: unknown, reply: (r: Reply) => void) => void;

/** Enough of a Worker for EngineClient: messages are cloned like postMessage clones them. */
export class FakeWorker {
  onmessage: Listener = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  readonly received: unknown[] = [];
  /** `answer` null: a worker that never answers (hung). It can be set later, to make one hang. */
  constructor(public answer: Answer | null) {}
  postMessage(msg: unknown): void {
    if (this.terminated) return;
    const copy = structuredClone(msg);
    this.received.push(copy);
    // A later macrotask, like a real worker's.
    setTimeout(() => this.answer?.(copy, (r) => this.deliver(r)), 0);
  }
  /** Posts a reply to the page (cloned); a terminated worker's replies are lost. */
  deliver(r: Reply): void {
    if (!this.terminated) this.onmessage?.({ data: structuredClone(r) } as MessageEvent);
  }
  terminate(): void {
    this.terminated = true;
  }
  /** The requests of one type it received, in order. */
  sent<T = unknown>(type: string): { type: string; id: number; payload: T }[] {
    return (this.received as { type: string; id: number; payload: T }[]).filter((m) => m.type === type);
  }
}

/**
 * A fake worker running the real message switch over a workspace of `models` small SIRENs. The
 * switch's replies (workspace announcements included) reach whichever client listens.
 */
export function inProcessWorker(models = 4) {
  const worker = new FakeWorker((msg) => handle(msg));
  const handle = createHandler((r) => worker.deliver(r));
  const arch: MlpArch = { widths: [2, 32, 32, 1], activation: 'sine', w0: 30 };
  const ids = Array.from(
    { length: models },
    (_, i) => handle.registry.add(initModel(arch, i + 1), { name: `net ${i + 1}`, source: 'sample' }).id,
  );
  return { worker, ids, registry: handle.registry, handle };
}
