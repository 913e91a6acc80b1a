/**
 * Many models scored on the fused kernel (the barrier's path points, the loss plane's grid), a
 * chunk at a time on one EvalShard (src/engine/kernels/evaluate.ts) in this thread, or with shard
 * ports spread over the kernel pool: one EvalShard per shard, each taking the next chunk when it
 * is free. A model's loss does not depend on its chunk or its shard, so the pooled result is the
 * one-core result value for value (tests/kernels-evaluate-pool.test.ts).
 */
import { abortable, yieldToEvents } from '../cancel';
import type { EvalData, EvalResult } from '../data/eval-data';
import type { Model } from '../model';
import type { EvalOptions } from '../tf/evaluate';
import { EvalShard, kernelEvaluationCoverage } from './evaluate';
import { replyOf, type ShardPort } from './pool';
import type { WireModel } from './shard';
import { shareData } from './shared-data';

/**
 * Evaluates `count` models built on demand by `build(i)`, `chunk` at a time (default 32), on one
 * kernel in this thread, or with `opts.ports` over a pool of shards. The caller checks
 * `kernelEvaluationCoverage` first.
 */
export async function evaluateOnKernel(
  count: number,
  build: (i: number) => Model,
  data: EvalData,
  opts: EvalOptions = {},
): Promise<EvalResult> {
  const loss = new Float32Array(count);
  const metric = new Float32Array(count);
  if (count === 0) return { loss, metric };
  const first = build(0);
  const why = kernelEvaluationCoverage(first, data);
  if (why) throw new Error(`fused kernel cannot evaluate: ${why}`);
  const most = Math.max(1, Math.min(count, opts.chunk ?? 32));
  // Starting shard workers costs more than scoring one chunk (a 25-point barrier stays here); a
  // 21×21 plane's 441 models go to the pool.
  const offered = count > most ? (opts.ports?.(count) ?? []) : [];
  const ports = offered.slice(0, count);
  for (const p of offered.slice(ports.length)) p.close();
  if (ports.length === 1) ports.pop()!.close();
  // Chunks small enough that every shard gets one (100 models on 3 shards: chunks of 32, 32, 32, 4).
  const chunk = ports.length > 1 ? Math.min(most, Math.ceil(count / ports.length)) : most;
  const chunks = Math.ceil(count / chunk);
  const place = (c: number, r: EvalResult): void => {
    loss.set(r.loss, c * chunk);
    metric.set(r.metric, c * chunk);
  };
  const models = (c: number): Model[] =>
    Array.from({ length: Math.min(count, (c + 1) * chunk) - c * chunk }, (_, j) =>
      c * chunk + j === 0 ? first : build(c * chunk + j),
    );
  if (ports.length === 0) {
    const shard = new EvalShard({ like: first, data, chunk });
    for (let c = 0; c < chunks; c++) {
      // A macrotask turn per chunk: a worker receives a cancel (or a ping) between chunks.
      await yieldToEvents(opts.signal);
      place(c, shard.score(models(c)));
      opts.onProgress?.(Math.min(count, (c + 1) * chunk), count);
    }
    return { loss, metric };
  }
  let next = 0;
  let done = 0;
  const wire = (m: Model): WireModel => ({ params: m.params });
  const shared = shareData(data, ports.length);
  const shardLoop = async (port: ShardPort): Promise<void> => {
    const init = { like: first, data: shared, chunk };
    replyOf(await abortable(port.request({ type: 'evalInit', init }), opts.signal), 'ready');
    while (next < chunks) {
      opts.signal?.throwIfAborted();
      const c = next++;
      const batch = models(c);
      const req = { type: 'evalChunk' as const, models: batch.map(wire) };
      place(c, replyOf(await abortable(port.request(req), opts.signal), 'evaluated').result);
      done += batch.length;
      opts.onProgress?.(done, count);
    }
  };
  try {
    await Promise.all(ports.map(shardLoop));
  } finally {
    for (const p of ports) p.close();
  }
  return { loss, metric };
}
