import type { PathKind } from '../../../engine/experiment/schema';

/**
 * Why a trained curve (Bezier or polygonal chain, Garipov et al. 2018) looks unconverged, or null.
 * A trained curve's loss should stay near the straight line between its ends; when its highest point
 * above that line sits on the grid point next to an endpoint, the curve still bends sharply away from
 * that end: more curve steps are needed before its barrier can be trusted. Curves with no barrier to
 * speak of (under `tolerance`, relative to the endpoints' loss) are not flagged.
 */
export function curveConvergenceNote(
  kind: PathKind,
  alphas: ArrayLike<number>,
  losses: ArrayLike<number>,
  tolerance = 0.01,
): string | null {
  if (kind !== 'bezier' && kind !== 'polychain') return null;
  const n = losses.length;
  if (n < 4) return null;
  const a = losses[0]!;
  const b = losses[n - 1]!;
  let best = 1;
  let excess = -Infinity;
  for (let i = 1; i < n - 1; i++) {
    const t = alphas[i]!;
    const e = losses[i]! - ((1 - t) * a + t * b);
    if (e > excess) {
      excess = e;
      best = i;
    }
  }
  if (excess <= tolerance * Math.max(Math.abs(a), Math.abs(b), 1e-12)) return null;
  if (best !== 1 && best !== n - 2) return null;
  return `not converged? the loss peaks next to ${best === 1 ? 'A' : 'B'} (α = ${Number(alphas[best]).toFixed(2)}): train the curve for more steps`;
}
