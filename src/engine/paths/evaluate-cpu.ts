/**
 * The plain-TypeScript reference for `evaluateModels`: one model at a time through
 * `forward.ts`, float64 sums. Slow, but independent of tfjs, so tests check the batched path
 * against it.
 */
import { forward } from '../forward';
import { mse, psnr } from '../inr';
import type { Model } from '../model';
import { checkEvalData, type EvalData, type EvalResult } from '../data/eval-data';

/** Mean cross-entropy of logits [n, classes] against labels, and accuracy (first max wins ties). */
export function crossEntropyAccuracy(
  logits: Float32Array,
  labels: Int32Array,
  n: number,
  classes: number,
): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (row[c]! > max) {
        max = row[c]!;
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(row[c]! - max);
    loss += max + Math.log(s) - row[labels[r]!]!;
    if (arg === labels[r]) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}

/** Loss and metric of each model, one by one on the CPU. */
export function evaluateModelsCpu(models: readonly Model[], data: EvalData): EvalResult {
  checkEvalData(data);
  const loss = new Float32Array(models.length);
  const metric = new Float32Array(models.length);
  models.forEach((m, k) => {
    const out = forward(m, data.x, data.n);
    if (data.kind === 'regression') {
      loss[k] = mse(out, data.y);
      metric[k] = psnr(loss[k]!);
    } else {
      const r = crossEntropyAccuracy(out, data.labels, data.n, data.classes);
      loss[k] = r.loss;
      metric[k] = r.accuracy;
    }
  });
  return { loss, metric };
}
