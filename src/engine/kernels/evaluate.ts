/**
 * Loss and metric of many models through the fused kernel's forward pass: the barrier's path
 * points and the loss plane's grid, a chunk of members per call. One kernel is reused for every
 * chunk (weights swapped in with setMember), so a 21×21 plane allocates one memory, not 441.
 */
import { yieldToEvents } from '../cancel';
import { psnr } from '../inr';
import type { Model } from '../model';
import type { EvalData, EvalResult } from '../data/eval-data';
import type { EvalOptions } from '../tf/evaluate';
import { crossEntropyAccuracy } from '../paths/evaluate-cpu';
import { kernelCoverage, MlpKernel, type KernelOptions } from './mlp-kernel';

/** Why the kernel cannot evaluate these models on this data (null: it can). */
export function kernelEvaluationCoverage(like: Model, data: EvalData): string | null {
  const outputs = like.arch.widths[like.arch.widths.length - 1]!;
  if (outputs !== (data.kind === 'regression' ? data.channels : data.classes))
    return 'the models and the data disagree on outputs';
  if (like.arch.widths[0] !== data.inputs) return 'the models and the data disagree on inputs';
  return kernelCoverage(like.arch);
}

/**
 * A kernel whose members all see the whole of `data`: the coordinate grid and target of an INR,
 * or every labelled example of a classification set as one batch (written here, once), so that
 * its loss is the mean over all of them, as tfjs's `memberLoss` computes it.
 */
export function fullBatchKernel(members: readonly Model[], data: EvalData, opts: KernelOptions): MlpKernel {
  if (data.kind === 'regression') return new MlpKernel(members, data, opts);
  const kernel = new MlpKernel(
    members,
    { kind: 'classification', inputs: data.inputs, classes: data.classes, batch: data.n },
    opts,
  );
  kernel.setBatch(data.x, data.labels);
  return kernel;
}

/**
 * Evaluates `count` models built on demand by `build(i)`, `chunk` at a time (default 32): MSE and
 * PSNR for regression, mean cross-entropy and accuracy for classification (the losses of
 * src/engine/paths/evaluate.ts). The caller checks `kernelEvaluationCoverage` first.
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
  const chunk = Math.max(1, Math.min(count, opts.chunk ?? 32));
  const first = build(0);
  const why = kernelEvaluationCoverage(first, data);
  if (why) throw new Error(`fused kernel cannot evaluate: ${why}`);
  const kernel = fullBatchKernel(
    Array.from({ length: chunk }, () => first),
    data,
    { lr: 0 },
  );
  for (let start = 0; start < count; start += chunk) {
    // A macrotask turn per chunk: a worker receives a cancel (or a ping) between chunks.
    await yieldToEvents(opts.signal);
    const end = Math.min(count, start + chunk);
    for (let i = start; i < end; i++) kernel.setMember(i - start, i === 0 ? first : build(i));
    if (data.kind === 'regression') {
      const mse = kernel.evaluate();
      for (let i = start; i < end; i++) {
        loss[i] = mse[i - start]!;
        metric[i] = psnr(loss[i]!);
      }
    } else {
      const logits = kernel.predictions();
      const per = data.n * data.classes;
      for (let i = start; i < end; i++) {
        const r = crossEntropyAccuracy(
          logits.subarray((i - start) * per, (i - start + 1) * per),
          data.labels,
          data.n,
          data.classes,
        );
        loss[i] = r.loss;
        metric[i] = r.accuracy;
      }
    }
    opts.onProgress?.(end, count);
  }
  return { loss, metric };
}
