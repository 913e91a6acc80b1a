/**
 * Spherical linear interpolation per tensor (Shoemake 1985, "Animating rotation with quaternion
 * curves"), as mergekit's `merge_methods/slerp.py` and WARP (Ramé et al. 2024) apply it: the
 * angle θ₀ between the tensors' directions (each normalised when its norm exceeds 1e-8), then
 * sin((1−t)θ₀)/sin θ₀ · v₀ + sin(tθ₀)/sin θ₀ · v₁ on the raw tensors; plain lerp where
 * |cos θ₀| > 0.9995 (nearly colinear, sin θ₀ ≈ 0).
 */

/** mergekit's DOT_THRESHOLD. */
export const SLERP_DOT_THRESHOLD = 0.9995;

/** One tensor of a slerp merge, float64. */
export function slerpTensor(v0: Float64Array, v1: Float64Array, t: number): Float64Array {
  let n0 = 0;
  let n1 = 0;
  let dot = 0;
  for (let i = 0; i < v0.length; i++) {
    n0 += v0[i]! * v0[i]!;
    n1 += v1[i]! * v1[i]!;
    dot += v0[i]! * v1[i]!;
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  const cos = dot / (n0 > 1e-8 ? n0 : 1) / (n1 > 1e-8 ? n1 : 1);
  const out = new Float64Array(v0.length);
  if (Math.abs(cos) > SLERP_DOT_THRESHOLD) {
    for (let i = 0; i < out.length; i++) out[i] = (1 - t) * v0[i]! + t * v1[i]!;
    return out;
  }
  const theta0 = Math.acos(cos);
  const s = Math.sin(theta0);
  const s0 = Math.sin(theta0 - theta0 * t) / s;
  const s1 = Math.sin(theta0 * t) / s;
  for (let i = 0; i < out.length; i++) out[i] = s0 * v0[i]! + s1 * v1[i]!;
  return out;
}
