/**
 * The data models are scored on, shared by every evaluator (the tfjs batched one in engine/tf,
 * the CPU reference in paths/evaluate-cpu, the CLI and the workers): an INR's coordinate grid and
 * pixels, or a labelled batch for classifiers. Plain arrays, no tfjs.
 */
import type { MlpArch } from '../model';

/** An INR target: loss MSE, metric PSNR (dB). */
export interface RegressionData {
  kind: 'regression';
  /** Inputs [n, inputs]. */
  x: Float32Array;
  /** Targets [n, channels]. */
  y: Float32Array;
  n: number;
  inputs: number;
  channels: number;
}

/** A labelled batch: loss mean cross-entropy on the logits, metric accuracy in [0, 1]. */
export interface ClassificationData {
  kind: 'classification';
  /** Inputs [n, inputs]. */
  x: Float32Array;
  /** Class indices [n], each in [0, classes). */
  labels: Int32Array;
  n: number;
  inputs: number;
  classes: number;
}

export type EvalData = RegressionData | ClassificationData;

/** One loss and one metric per model. */
export interface EvalResult {
  loss: Float32Array;
  metric: Float32Array;
}

/** Validates an EvalData's lengths and labels once, at the boundary. */
export function checkEvalData(data: EvalData): void {
  if (data.x.length !== data.n * data.inputs)
    throw new RangeError(`x holds ${data.x.length} values, expected n·inputs = ${data.n * data.inputs}`);
  if (data.kind === 'regression') {
    if (data.y.length !== data.n * data.channels)
      throw new RangeError(
        `y holds ${data.y.length} values, expected n·channels = ${data.n * data.channels}`,
      );
    return;
  }
  if (data.labels.length !== data.n)
    throw new RangeError(`labels hold ${data.labels.length} values, expected n = ${data.n}`);
  for (let i = 0; i < data.n; i++) {
    const c = data.labels[i]!;
    if (!(c >= 0 && c < data.classes))
      throw new RangeError(`label ${c} at index ${i} is outside [0, ${data.classes})`);
  }
}

/** A [K, n, 3] prediction would broadcast silently against [n, 1] targets, so check first. */
export function assertOutputsMatch(arch: MlpArch, data: EvalData): void {
  const outputs = arch.widths[arch.widths.length - 1]!;
  const expected = data.kind === 'regression' ? data.channels : data.classes;
  if (outputs !== expected) {
    const what = data.kind === 'regression' ? 'channels' : 'classes';
    throw new RangeError(`the models have ${outputs} outputs but the data has ${expected} ${what}`);
  }
}
