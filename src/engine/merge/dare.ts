/**
 * DARE (Yu et al. 2024, "Language Models are Super Mario: Absorbing Abilities from Homologous
 * Models as a Free Lunch", Sec. 3, Eq. 2): drop each task-vector entry with probability
 * 1 − density, keep it with probability density, then rescale (mergekit `sparsify.bernoulli`;
 * with `rescale` the kept entries are scaled to the original L1 norm, which is 1/density in
 * expectation, the paper's 1/(1 − p)).
 */
import { rescaledMasked, type Sparsifier } from './task-arithmetic';

/** Bernoulli(density) drop, seeded per (model, tensor). */
export const bernoulliDrop: Sparsifier = (tau, { density, rescale, rng }) => {
  if (density >= 1) return Float64Array.from(tau);
  const r = rng();
  const mask = new Uint8Array(tau.length);
  for (let i = 0; i < tau.length; i++) mask[i] = r.next() < density ? 1 : 0;
  return rescaledMasked(tau, mask, rescale);
};
