/**
 * DELLA's MagPrune (Deep et al. 2024, "DELLA-Merging: Reducing Interference in Model Merging
 * through Magnitude-Based Sampling", Sec. 3.1): within each row, entry i of magnitude rank rᵢ
 * (ascending) is kept with probability pᵢ = (density − ε) + 2ε·rᵢ/(n − 1), so larger entries
 * survive more often while the mean keep rate stays density (mergekit
 * `sparsify.della_magprune`; 1-D tensors are one row). A one-entry row has no rank spread and
 * keeps with probability density (mergekit divides 0 by 0 there).
 */
import { magnitudes, rowRanks } from './rank';
import { rescaledMasked, type Sparsifier } from './task-arithmetic';

/** Rank-based random drop, seeded per (model, tensor). Needs density ± ε inside (0, 1). */
export const dellaMagprune: Sparsifier = (tau, { density, epsilon, rescale, shape, rng }) => {
  if (density >= 1) return Float64Array.from(tau);
  const r = rng();
  const rowLen = shape.length >= 2 ? shape[shape.length - 1]! : tau.length;
  const abs = magnitudes(tau);
  const mask = new Uint8Array(tau.length);
  for (let start = 0; start < tau.length; start += rowLen) {
    const ranks = rowRanks(abs, start, rowLen);
    for (let j = 0; j < rowLen; j++) {
      const norm = rowLen > 1 ? ranks[j]! / (rowLen - 1) : 0.5;
      const p = density - epsilon + norm * 2 * epsilon;
      mask[start + j] = r.next() < p ? 1 : 0;
    }
  }
  return rescaledMasked(tau, mask, rescale);
};
