/**
 * Model Breadcrumbs (Davari & Belilovsky 2024, "Model Breadcrumbs: Scaling Multi-Task Model
 * Merging with Sparse Masks", Sec. 3): per task vector, drop the γ fraction of largest-magnitude
 * entries (outliers) and the smallest ones, keeping a band of ⌊density·n⌋ entries (mergekit
 * `sparsify.magnitude_outliers`: n_top = ⌊γn⌋, n_bot = n − ⌊density·n⌋ − n_top, n_top shrinks when
 * n_bot < 0).
 *
 * Where ⌊γn⌋ = 0 (biases and other small tensors), mergekit's slice `indices[n_bot:-0]` is
 * empty and zeroes the whole tensor; here the band then runs up to the top instead.
 */
import { magnitudes, rankBandMask } from './rank';
import { rescaledMasked, type Sparsifier } from './task-arithmetic';

/** Keeps ascending magnitude ranks [n_bot, n − n_top). */
export const magnitudeOutliers: Sparsifier = (tau, { density, gamma, rescale }) => {
  if (density >= 1) return Float64Array.from(tau);
  const n = tau.length;
  const target = Math.floor(density * n);
  let nTop = Math.floor(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  return rescaledMasked(tau, rankBandMask(magnitudes(tau), nBot, n - nTop), rescale);
};
