/**
 * Per-layer parameters, as mergekit's gradients: a list of numbers is interpolated over depth
 * (mergekit `config.py`, `evaluate_setting`: scaled = t·(len − 1), linear between the two
 * neighbouring entries), with t = l/(L − 1) for linear layer l of L.
 */
import { layerCount, type MlpArch } from '../model';
import type { Gradient } from './types';

/** The value of a scalar-or-list setting at depth t ∈ [0, 1]. */
export function evaluateGradient(g: Gradient, t: number): number {
  if (typeof g === 'number') return g;
  if (g.length === 1) return g[0]!;
  const scaled = t * (g.length - 1);
  const i0 = Math.trunc(scaled);
  const i1 = Math.min(g.length - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * g[i0]! + frac * g[i1]!;
}

/**
 * Depth of a tensor: t = l/(L − 1) for `layers.{l}.*`; 0 for tensors outside the layer stack
 * (the Fourier matrix), as mergekit evaluates non-layer weights at t = 0.
 */
export function tensorDepth(name: string, arch: MlpArch): number {
  const m = /^layers\.(\d+)\./.exec(name);
  const L = layerCount(arch);
  if (!m || L <= 1) return 0;
  return Number(m[1]) / (L - 1);
}

/** Every value a gradient can take (for validation). */
export const gradientValues = (g: Gradient): readonly number[] => (typeof g === 'number' ? [g] : g);
