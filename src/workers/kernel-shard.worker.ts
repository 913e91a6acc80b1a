/// <reference lib="webworker" />
/**
 * A Web Worker holding one shard of a population on the fused kernel, started by the engine
 * worker (src/workers/kernel-pool.ts). It runs the same pure handler as the CLI's threads.
 */
import { createShardHandler, replyTransfer, type ShardRequest } from '../engine/kernels/shard';

declare const self: DedicatedWorkerGlobalScope;

const handle = createShardHandler();
self.onmessage = (event: MessageEvent<ShardRequest>) => {
  const reply = handle(event.data);
  self.postMessage(reply, replyTransfer(reply));
};
