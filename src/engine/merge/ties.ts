/**
 * TIES-Merging's trim step (Yadav et al. 2023, "TIES-Merging: Resolving Interference When
 * Merging Models", Sec. 3, "Trim"): keep the k = ⌊density·n⌋ largest-magnitude entries of each
 * task vector, zero the rest (mergekit `sparsify.magnitude`). The sign election and disjoint mean
 * are `mixTaskVectors` with consensus.
 */
import { magnitudes, rankBandMask } from './rank';
import { rescaledMasked, type Sparsifier } from './task-arithmetic';

/**
 * Magnitude top-k. mergekit asserts k > 0; here k is at least 1 so that a one-entry tensor (an
 * INR's output bias) keeps its entry instead of failing the merge.
 */
export const magnitudeTopK: Sparsifier = (tau, { density, rescale }) => {
  if (density >= 1) return Float64Array.from(tau);
  const n = tau.length;
  const k = Math.max(1, Math.floor(density * n));
  return rescaledMasked(tau, rankBandMask(magnitudes(tau), n - k, n), rescale);
};
