/// <reference lib="webworker" />
/**
 * The engine worker: owns tfjs and every model's weights. Messages go through `handleMessage`
 * (worker/handler.ts), which checks them at the boundary and always answers, errors included
 * (netron's worker pattern).
 */
import { createHandler } from './handler';
import { transferables, type Reply } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const handle = createHandler((reply: Reply) => self.postMessage(reply, transferables(reply)));
self.onmessage = (event: MessageEvent<unknown>) => handle(event.data);
