/// <reference lib="webworker" />
/**
 * The engine worker: owns tfjs and every model's weights. It switches on `message.type` and
 * always answers, errors included (netron's worker pattern).
 */
import { runTraining, type JobControl } from './train-job';
import { ModelRegistry } from './registry';
import { transferables, type Reply, type Request } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const registry = new ModelRegistry();
const jobs = new Map<number, JobControl>();
/** Training jobs run one after another: two jobs must never fight over tfjs's global backend. */
let queue: Promise<unknown> = Promise.resolve();

function send(reply: Reply): void {
  self.postMessage(reply, transferables(reply));
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case 'train': {
      const control: JobControl = { paused: false, cancelled: false };
      jobs.set(req.id, control);
      const run = queue.then(() =>
        runTraining(
          req.payload,
          control,
          registry,
          (p) => send({ type: 'progress', id: req.id, payload: p }),
          (b) => send({ type: 'backend', id: req.id, payload: b }),
        ),
      );
      queue = run.catch(() => undefined);
      try {
        send({ type: 'trained', id: req.id, payload: await run });
      } finally {
        jobs.delete(req.id);
      }
      return;
    }
    case 'pause':
    case 'resume':
    case 'cancel': {
      const control = jobs.get(req.payload.job);
      if (control) {
        if (req.type === 'cancel') control.cancelled = true;
        else control.paused = req.type === 'pause';
      }
      send({ type: 'ok', id: req.id, payload: null });
      return;
    }
    case 'export':
      throw new Error('export is not available yet');
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  const req = event.data;
  handle(req).catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', id: req.id, payload: { name: err.name, message: err.message } });
  });
};
