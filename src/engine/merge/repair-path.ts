/**
 * The path "lerp after alignment + REPAIR" (Jordan et al. 2023, Fig. 1): every interior point
 * θ_α = (1−α)A + απ(B) is REPAIRed towards (1−α)·stats(A) + α·stats(π(B)); the endpoints are the
 * models themselves, bit for bit, so the barrier compares like with like.
 */
import { cloneModel, type Model } from '../model';
import { lerpModels } from '../paths/interpolate';
import { repairModel } from './repair';

/** α → the REPAIRed lerp point, measured on x [n, inputs]. */
export function repairedLerpPath(a: Model, b: Model, x: Float32Array, n: number): (alpha: number) => Model {
  return (alpha) => {
    if (alpha === 0) return cloneModel(a);
    if (alpha === 1) return cloneModel(b);
    return repairModel(lerpModels(a, b, alpha), [a, b], [1 - alpha, alpha], x, n).model;
  };
}
