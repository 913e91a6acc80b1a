/**
 * Linear merge (mergekit `merge_methods/linear.py`): Σ wᵢθᵢ, divided by Σ wᵢ when `normalize`
 * (default). Equal weights give the uniform model soup (Wortsman et al. 2022, "Model soups:
 * averaging weights of multiple fine-tuned models improves accuracy without increasing inference
 * time", Sec. 2.1).
 */

/** One tensor of a linear merge, float64. */
export function linearTensor(
  tensors: readonly Float64Array[],
  weights: readonly number[],
  normalize: boolean,
): Float64Array {
  const n = tensors[0]!.length;
  const out = new Float64Array(n);
  let wsum = 0;
  for (const w of weights) wsum += w;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < tensors.length; m++) s += weights[m]! * tensors[m]![i]!;
    out[i] = normalize ? s / wsum : s;
  }
  return out;
}
