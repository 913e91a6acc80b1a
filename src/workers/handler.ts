/**
 * The worker's message switch, free of worker globals so that tests run it in Node. Every
 * message gets an answer: a `result`, or an `error` (malformed and unknown messages included).
 * Jobs that use tfjs run one after another, so two never fight over its global backend; each job
 * gets an AbortSignal that a `cancel` message aborts (docs/ARCHITECTURE.md, "Jobs and cancellation").
 */
import { parseDatasetNpz } from '../engine/data/dataset';
import { runAlign } from './jobs/align';
import { runBench } from './jobs/bench';
import { runClassifierFineTune, runClassifierPreset, runClassifierTrain } from './jobs/classifier';
import { runCloud } from './jobs/cloud';
import { PauseSwitch, type JobContext } from './jobs/context';
import { runDirections, runPlane } from './jobs/landscape';
import { addCheckpoint, exportModel, inspectCheckpoint, releaseCheckpoint } from './jobs/models';
import { runMerge, runMergeSweep } from './jobs/merge';
import { renderAt, runPaths } from './jobs/paths';
import { runTraining } from './jobs/train';
import { exportZoo, openZoo, runZooClassifiers, runZooCloud, runZooFit, runZooTrain } from './jobs/zoo';
import {
  REQUEST_TYPES,
  type Payload,
  type Reply,
  type Request,
  type RequestType,
  type Result,
} from './protocol';
import { ModelRegistry } from './registry';

/**
 * A running job's controls, flipped by later messages. `abort` cancels: the job throws and keeps
 * nothing. `stop` ends a job that can keep what it has done (training, classifier training, zoo
 * fitting) early, and it answers with that; jobs that cannot keep anything ignore it.
 */
interface Control {
  abort: AbortController;
  stop: AbortController;
  pause: PauseSwitch;
}

type Handlers = {
  [T in RequestType]: (payload: Payload<T>, id: number) => Promise<Result<T>> | Result<T>;
};

/** The request's id and type when the message has the protocol's shape, else why not. */
function checkMessage(data: unknown): { id: number | null; problem: string | null } {
  if (typeof data !== 'object' || data === null) return { id: null, problem: 'a message must be an object' };
  const { id, type } = data as { id?: unknown; type?: unknown };
  const validId = typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
  if (validId === null) return { id: null, problem: 'a message needs a numeric id' };
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type))
    return { id: validId, problem: `unknown request type ${JSON.stringify(type)}` };
  if (!('payload' in data)) return { id: validId, problem: `request ${type} has no payload` };
  return { id: validId, problem: null };
}

/**
 * Creates the message handler over a fresh workspace. `send` posts a reply (the worker transfers
 * its buffers). Returns the handler and, for tests, the registry it owns.
 */
export function createHandler(send: (reply: Reply) => void, registry = new ModelRegistry()) {
  const jobs = new Map<number, Control>();
  registry.onChange = (change) => send({ type: 'workspace', id: null, payload: change });
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs a job after the ones before it; a cancel message aborts its signal. */
  async function queued<T>(
    id: number,
    run: (signal: AbortSignal, control: Control) => Promise<T>,
  ): Promise<T> {
    const control: Control = {
      abort: new AbortController(),
      stop: new AbortController(),
      pause: new PauseSwitch(),
    };
    jobs.set(id, control);
    const result = queue.then(() => {
      // Cancelled while it waited for the queue: it never starts.
      control.abort.signal.throwIfAborted();
      return run(control.abort.signal, control);
    });
    queue = result.catch(() => undefined);
    try {
      return await result;
    } finally {
      jobs.delete(id);
    }
  }

  const ctx = (id: number, signal: AbortSignal): JobContext => ({
    signal,
    progress: (p) => send({ type: 'job-progress', id, payload: p }),
  });

  const control = (job: number, change: (c: Control) => void): null => {
    const c = jobs.get(job);
    if (c) change(c);
    return null;
  };

  const handlers: Handlers = {
    train: (p, id) =>
      queued(id, (signal, c) =>
        runTraining(p, registry, {
          signal,
          stop: c.stop.signal,
          pause: c.pause,
          post: (progress) => send({ type: 'progress', id, payload: progress }),
          onBackend: (b) => send({ type: 'backend', id, payload: b }),
        }),
      ),
    pause: (p) => control(p.job, (c) => c.pause.set(true)),
    resume: (p) => control(p.job, (c) => c.pause.set(false)),
    cancel: (p) => control(p.job, (c) => c.abort.abort()),
    stop: (p) => control(p.job, (c) => c.stop.abort()),
    'classifier-train': (p, id) =>
      queued(id, (signal, c) =>
        runClassifierTrain(p, registry, {
          ...ctx(id, signal),
          pause: c.pause,
          stop: c.stop.signal,
        }),
      ),
    'classifier-finetune': (p, id) =>
      queued(id, (signal) => runClassifierFineTune(p, registry, ctx(id, signal))),
    'classifier-preset': (p, id) => queued(id, (signal) => runClassifierPreset(p, registry, ctx(id, signal))),
    ping: () => null,
    inspect: (p) => inspectCheckpoint(p.files),
    release: (p) => {
      releaseCheckpoint(p.token);
      return null;
    },
    // Parsing and validating tens of MB of .npz is heavy: here, not on the page's thread.
    'parse-dataset': (p) => parseDatasetNpz(p.bytes, p.name),
    'add-checkpoint': (p) => addCheckpoint(p, registry),
    export: (p) => exportModel(p.modelId, p.format, registry),
    remove: (p) => {
      registry.remove(p.modelId);
      return null;
    },
    restore: (p) => {
      for (const { entry, model } of p.models) registry.restore(entry, model);
      return null;
    },
    align: (p, id) => queued(id, (signal) => runAlign(p, registry, ctx(id, signal))),
    paths: (p, id) => queued(id, (signal) => runPaths(p, registry, ctx(id, signal))),
    render: (p) => renderAt(p, registry),
    cloud: (p, id) => queued(id, (signal) => runCloud(p, registry, ctx(id, signal))),
    plane: (p, id) => queued(id, (signal) => runPlane(p, registry, ctx(id, signal))),
    directions: (p, id) => queued(id, (signal) => runDirections(p, registry, ctx(id, signal))),
    bench: (p, id) => queued(id, () => runBench(p)),
    merge: (p, id) => queued(id, (signal) => runMerge(p, registry, ctx(id, signal))),
    'merge-sweep': (p, id) => queued(id, (signal) => runMergeSweep(p, registry, ctx(id, signal))),
    'zoo-fit': (p, id) => queued(id, (signal, c) => runZooFit(p, ctx(id, signal), c.pause, c.stop.signal)),
    'zoo-classifiers': (p, id) =>
      queued(id, (signal, c) => runZooClassifiers(p, ctx(id, signal), c.pause, c.stop.signal)),
    'zoo-open': (p, id) => queued(id, async () => openZoo(p.name, p.bytes)),
    'zoo-train': (p, id) => queued(id, (signal) => runZooTrain(p, ctx(id, signal))),
    'zoo-cloud': (p, id) => queued(id, (signal) => runZooCloud(p.components, ctx(id, signal))),
    'zoo-export': (p) => exportZoo(p.format),
  };

  function fail(id: number | null, e: unknown): void {
    const err = e instanceof Error || e instanceof DOMException ? e : new Error(String(e));
    send({ type: 'error', id, payload: { name: err.name, message: err.message } });
  }

  async function answer<T extends RequestType>(req: {
    type: T;
    id: number;
    payload: Payload<T>;
  }): Promise<void> {
    const result = await handlers[req.type](req.payload, req.id);
    send({ type: 'result', id: req.id, request: req.type, payload: result } as Reply);
  }

  /** Answers one message: its result, or an error reply naming what is wrong. */
  function handle(data: unknown): void {
    const { id, problem } = checkMessage(data);
    if (problem) return fail(id, new TypeError(`malformed message: ${problem}`));
    const req = data as Request;
    answer(req).catch((e: unknown) => fail(req.id, e));
  }

  return Object.assign(handle, { registry });
}
