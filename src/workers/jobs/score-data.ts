/**
 * The worker's side of the data boundary: a ScoreTarget from the app becomes the engine's
 * EvalData for one architecture, validated once here. A model whose input or output width does
 * not fit the data is refused with both shapes named.
 */
import { classificationFor, DatasetError } from '../../engine/data/dataset';
import { forward } from '../../engine/forward';
import { imageRegressionData, mse, psnr } from '../../engine/inr';
import type { MlpArch, Model } from '../../engine/model';
import { checkEvalData, type EvalData } from '../../engine/data/eval-data';
import { crossEntropyAccuracy } from '../../engine/paths/evaluate-cpu';
import type { ScoreTarget } from '../protocol';

/** What a target is, in words, for error messages. */
function describeTarget(t: ScoreTarget): string {
  return t.kind === 'image'
    ? `the image ${t.id} (${t.image.width}×${t.image.height}, ${t.image.channels} channel${t.image.channels === 1 ? '' : 's'})`
    : `${t.label}`;
}

/**
 * The target as EvalData for models of `arch`. Image targets need 2 inputs (row, col) and one
 * output per channel; a classification batch needs the model's input width and at least as many
 * outputs as its largest label + 1 (the model's outputs are the classes).
 */
export function evalDataFor(t: ScoreTarget, arch: MlpArch): EvalData {
  const inputs = arch.widths[0]!;
  const outputs = arch.widths[arch.widths.length - 1]!;
  let data: EvalData;
  if (t.kind === 'image') {
    data = imageRegressionData(t.image);
    if (inputs !== 2 || outputs !== data.channels) {
      throw new DatasetError(
        `the model takes ${inputs} inputs and gives ${outputs} output${outputs === 1 ? '' : 's'}, but ${describeTarget(t)} needs 2 inputs (row, col) and ${data.channels} output${data.channels === 1 ? '' : 's'}`,
      );
    }
  } else {
    if (t.x.length !== t.n * t.inputs || t.labels.length !== t.n)
      throw new DatasetError(
        `${t.label}: x holds ${t.x.length} values and ${t.labels.length} labels, expected ${t.n} × ${t.inputs} and ${t.n}`,
      );
    data = classificationFor(
      { x: t.x, labels: t.labels, n: t.n, inputs: t.inputs, classes: t.classes },
      describeTarget(t),
      inputs,
      outputs,
    );
  }
  checkEvalData(data);
  return data;
}

/** Inputs for activation matching: the data's x, when its width fits the model. */
export function probeInputs(t: ScoreTarget | null, arch: MlpArch): Float32Array | undefined {
  if (!t) return undefined;
  return evalDataFor(t, arch).x;
}

/**
 * Loss and metric of one model, on the CPU in float64 (the engine's reference, evaluate-cpu.ts),
 * with its raw outputs: MSE and PSNR for an image; mean cross-entropy (nats, on the logits) and
 * accuracy for a classification batch.
 */
export function scoreOne(model: Model, data: EvalData): { out: Float32Array; loss: number; metric: number } {
  const out = forward(model, data.x, data.n);
  if (data.kind === 'regression') {
    const loss = mse(out, data.y);
    return { out, loss, metric: psnr(loss) };
  }
  const r = crossEntropyAccuracy(out, data.labels, data.n, data.classes);
  return { out, loss: r.loss, metric: r.accuracy };
}
