/** A Node worker thread holding one shard of a fused-kernel population (src/engine/kernels/shard.ts). */
import { parentPort } from 'node:worker_threads';
import { createShardHandler, replyTransfer, type ShardRequest } from '../engine/kernels/shard';

const handle = createShardHandler();
parentPort!.on('message', (req: ShardRequest) => {
  const reply = handle(req);
  parentPort!.postMessage(reply, replyTransfer(reply));
});
