/// <reference lib="webworker" />
/**
 * The engine worker: owns tfjs and every model's weights. It switches on `message.type` and
 * always answers, errors included (netron's worker pattern). Jobs that use tfjs run one after
 * another, so two never fight over its global backend; any job can be cancelled by id.
 */
import { runTraining, type JobControl } from './train-job';
import { ModelRegistry } from './registry';
import { parseDatasetNpz } from '../engine/data/dataset';
import { addCheckpoint, exportModel, inspectCheckpoint } from './model-jobs';
import { runBench } from './bench-job';
import { renderAt, runAlign, runCloud, runDirections, runPaths, runPlane } from './analysis-jobs';
import { transferables, type JobProgress, type Reply, type Request } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const registry = new ModelRegistry();
const jobs = new Map<number, JobControl>();
let queue: Promise<unknown> = Promise.resolve();

function send(reply: Reply): void {
  self.postMessage(reply, transferables(reply));
}

/** Runs a job after the ones before it; its control lets a later message pause or cancel it. */
async function queued<T>(id: number, run: (control: JobControl) => Promise<T> | T): Promise<T> {
  const control: JobControl = { paused: false, cancelled: false };
  jobs.set(id, control);
  const result = queue.then(() => run(control));
  queue = result.catch(() => undefined);
  try {
    return await result;
  } finally {
    jobs.delete(id);
  }
}

async function handle(req: Request): Promise<void> {
  const progress = (p: JobProgress) => send({ type: 'job-progress', id: req.id, payload: p });
  switch (req.type) {
    case 'train': {
      const result = await queued(req.id, (control) =>
        runTraining(
          req.payload,
          control,
          registry,
          (p) => send({ type: 'progress', id: req.id, payload: p }),
          (b) => send({ type: 'backend', id: req.id, payload: b }),
        ),
      );
      return send({ type: 'trained', id: req.id, payload: result });
    }
    case 'pause':
    case 'resume':
    case 'cancel': {
      const control = jobs.get(req.payload.job);
      if (control) {
        if (req.type === 'cancel') control.cancelled = true;
        else control.paused = req.type === 'pause';
      }
      return send({ type: 'ok', id: req.id, payload: null });
    }
    case 'inspect':
      return send({ type: 'inspected', id: req.id, payload: inspectCheckpoint(req.payload.files) });
    case 'parse-dataset':
      // Parsing and validating tens of MB of .npz is heavy: here, not on the page's thread.
      return send({
        type: 'dataset',
        id: req.id,
        payload: parseDatasetNpz(req.payload.bytes, req.payload.name),
      });
    case 'add-checkpoint':
      return send({
        type: 'models',
        id: req.id,
        payload: { entries: [addCheckpoint(req.payload, registry)] },
      });
    case 'export':
      return send({
        type: 'exported',
        id: req.id,
        payload: exportModel(req.payload.modelId, req.payload.format, registry),
      });
    case 'remove':
      registry.remove(req.payload.modelId);
      return send({ type: 'ok', id: req.id, payload: null });
    case 'align':
      return send({
        type: 'aligned',
        id: req.id,
        payload: await queued(req.id, (control) =>
          runAlign(req.payload, registry, progress, () => control.cancelled),
        ),
      });
    case 'paths': {
      const curves = await queued(req.id, (control) =>
        runPaths(req.payload, registry, progress, () => control.cancelled),
      );
      return send({ type: 'paths', id: req.id, payload: { curves } });
    }
    case 'render': {
      const { aId, bId, kind, alpha, target } = req.payload;
      return send({
        type: 'rendered',
        id: req.id,
        payload: renderAt(aId, bId, kind, alpha, target, registry),
      });
    }
    case 'cloud':
      return send({
        type: 'cloud',
        id: req.id,
        payload: {
          groups: await queued(req.id, (control) =>
            runCloud(req.payload, registry, progress, () => control.cancelled),
          ),
        },
      });
    case 'directions':
      return send({
        type: 'directions',
        id: req.id,
        payload: await queued(req.id, (control) =>
          runDirections(req.payload, registry, progress, () => control.cancelled),
        ),
      });
    case 'bench':
      return send({ type: 'bench', id: req.id, payload: await queued(req.id, () => runBench(req.payload)) });
    case 'plane':
      return send({
        type: 'plane',
        id: req.id,
        payload: await queued(req.id, (control) =>
          runPlane(req.payload, registry, progress, () => control.cancelled),
        ),
      });
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  const req = event.data;
  handle(req).catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', id: req.id, payload: { name: err.name, message: err.message } });
  });
};
