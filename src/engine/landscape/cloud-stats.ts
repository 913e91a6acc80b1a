/**
 * One summary number for a weight cloud: the mean Euclidean distance over all pairs of models,
 * measured in the full weight space (not in a PCA projection, whose axes differ between the raw
 * and the aligned map). Alignment removes permutation symmetry, so the aligned cloud's mean distance
 * is at most the raw one's up to the matcher's optimality (Ainsworth et al. 2023, weight matching
 * minimises ‖θ_A − π(θ_B)‖²); comparing the two numbers says how much of the spread was symmetry.
 * Sums are float64. Fewer than two points give 0.
 */
export function meanPairwiseDistance(points: readonly Float32Array[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const dim = points[0]!.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = points[i]!;
    if (a.length !== dim) throw new Error(`point ${i} has ${a.length} values, expected ${dim}`);
    for (let j = i + 1; j < n; j++) {
      const b = points[j]!;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = a[k]! - b[k]!;
        s += d * d;
      }
      total += Math.sqrt(s);
    }
  }
  return total / ((n * (n - 1)) / 2);
}
