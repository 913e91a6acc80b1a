/**
 * Loss and metric of many models through the fused kernel's forward pass: the barrier's path
 * points and the loss plane's grid, a chunk of members per call. One kernel is reused for every
 * chunk (weights swapped in with setMember), so a 21×21 plane allocates one memory, not 441.
 * EvalShard is that kernel; src/engine/kernels/evaluate-many.ts drives one here or a pool of them.
 */
import { psnr } from '../inr';
import type { MlpArch, Model } from '../model';
import type { EvalData, EvalResult } from '../data/eval-data';
import { crossEntropyAccuracy } from '../paths/evaluate-cpu';
import { kernelCoverage, MlpKernel, type KernelFlavour, type KernelOptions } from './mlp-kernel';

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

/** What an evaluation shard is built with: a model like those it scores, the data, the chunk. */
export interface EvalShardInit {
  like: Model;
  data: EvalData;
  chunk: number;
}

/**
 * One kernel scoring up to `chunk` models at a time on `data`: MSE and PSNR for regression, mean
 * cross-entropy and accuracy for classification (the losses of src/engine/paths/evaluate.ts).
 */
export class EvalShard {
  private readonly kernel: MlpKernel;

  constructor(private readonly init: EvalShardInit) {
    const { like, data, chunk } = init;
    this.kernel = fullBatchKernel(
      Array.from({ length: chunk }, () => like),
      data,
      { lr: 0 },
    );
  }

  get flavour(): KernelFlavour {
    return this.kernel.flavour;
  }

  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  get arch(): MlpArch {
    return this.init.like.arch;
  }

  /** Scores `models` (at most `chunk`). */
  score(models: readonly Model[]): EvalResult {
    const { data, chunk } = this.init;
    if (models.length > chunk) throw new RangeError(`an evaluation shard scores ${chunk} models at a time`);
    models.forEach((m, k) => this.kernel.setMember(k, m));
    const loss = new Float32Array(models.length);
    const metric = new Float32Array(models.length);
    if (data.kind === 'regression') {
      const mse = this.kernel.evaluate();
      for (let k = 0; k < models.length; k++) {
        loss[k] = mse[k]!;
        metric[k] = psnr(loss[k]!);
      }
      return { loss, metric };
    }
    const logits = this.kernel.predictions();
    const per = data.n * data.classes;
    for (let k = 0; k < models.length; k++) {
      const r = crossEntropyAccuracy(
        logits.subarray(k * per, (k + 1) * per),
        data.labels,
        data.n,
        data.classes,
      );
      loss[k] = r.loss;
      metric[k] = r.accuracy;
    }
    return { loss, metric };
  }
}
