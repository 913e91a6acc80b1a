/** Checks and proofs shared by weight and activation matching. */
import { forward } from '../forward';
import { assertFinite, assertSameArchitecture, paramShapes, type Activation, type Model } from '../model';
import { createRng } from '../rng';
import { identityPerm, mlpPermutationSpec, permutedTensor64, type PermutationSpec } from './permspec';
import type { AlignOptions, SignMode } from './types';

/** Refuses mismatched or non-finite models before any work (named errors from model.ts). */
export function validatePair(ref: Model, model: Model, label = 'model'): void {
  assertSameArchitecture(ref, model, ['reference', label]);
  assertFinite(ref, 'reference');
  assertFinite(model, label);
}

/** Sign symmetry exists for odd activations only: sin(−z) = −sin z, tanh(−z) = −tanh z. */
export function isOddActivation(activation: Activation): boolean {
  return activation === 'sine' || activation === 'tanh';
}

/** Resolves 'auto' | 'on' | 'off' for an activation. */
export function resolveSigned(mode: SignMode | undefined, activation: Activation): boolean {
  if (mode === 'on') return true;
  if (mode === 'off') return false;
  return isOddActivation(activation);
}

/** The spec to use: the caller's, or the MLP spec of the reference. */
export function specFor(ref: Model, opts: AlignOptions): PermutationSpec {
  return opts.spec ?? mlpPermutationSpec(ref.arch);
}

/** `count` seeded points uniform in [−1, 1]^inputs, flat [count, inputs]. */
export function uniformBatch(inputs: number, count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(count * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  return x;
}

/**
 * Relative tolerance of the proof: float32 forward passes of a permuted network differ by
 * rounding only (summation order), far below this; a wrong permutation differs by O(1).
 */
export const PROOF_TOLERANCE = 1e-5;

/** The verdict of an alignment's proof (see `proveSameFunction`). */
export interface AlignProof {
  /** max |f(B)(x) − f(π(B))(x)| over the probe batch. */
  maxOutputDiff: number;
  /** max |f(B)(x)| over the probe batch. */
  outputScale: number;
  /** The bound the difference is held to: PROOF_TOLERANCE · max(1, outputScale). */
  tolerance: number;
  /** The difference is finite and within `tolerance`: π(B) computes B's function. */
  proved: boolean;
}

/** Judges a measured difference against PROOF_TOLERANCE, relative to the output scale. */
export function proofVerdict(maxOutputDiff: number, outputScale: number): AlignProof {
  const tolerance = PROOF_TOLERANCE * Math.max(1, outputScale);
  return {
    maxOutputDiff,
    outputScale,
    tolerance,
    proved: Number.isFinite(maxOutputDiff) && maxOutputDiff <= tolerance,
  };
}

/**
 * The proof that an alignment is a symmetry: max |f(B)(x) − f(π(B))(x)| on a seeded probe
 * batch in [−1, 1]^inputs, judged against max |f(B)(x)| (see `proofVerdict`).
 */
export function proveSameFunction(b: Model, aligned: Model, seed: number, points?: number): AlignProof {
  const inputs = b.arch.widths[0]!;
  points ??= defaultProbePoints(b);
  // A seed offset keeps the probe independent of any batch drawn from `seed` for matching.
  const x = uniformBatch(inputs, points, seed + 0x5eed);
  const yb = forward(b, x, points);
  const ya = forward(aligned, x, points);
  let maxOutputDiff = 0;
  let outputScale = 0;
  for (let i = 0; i < yb.length; i++) {
    maxOutputDiff = Math.max(maxOutputDiff, Math.abs(yb[i]! - ya[i]!));
    outputScale = Math.max(outputScale, Math.abs(yb[i]!));
  }
  return proofVerdict(maxOutputDiff, outputScale);
}

/**
 * 256 probe points, fewer (down to 32) for large models so that the proof's two forward passes
 * stay around 6·10⁷ multiply–adds each, a small fraction of the matching itself. A permutation
 * bug changes the output at almost every point, so 32 points prove as much as 256.
 */
export function defaultProbePoints(m: Model): number {
  let macs = 0;
  for (const { shape } of paramShapes(m.arch)) if (shape.length === 2) macs += shape[0]! * shape[1]!;
  return Math.max(32, Math.min(256, Math.floor(6e7 / Math.max(1, macs))));
}

/**
 * Weight-matching objective Σ_t ⟨A_t, π(B)_t⟩ over the trainable tensors, accumulated in
 * float64 (Git Re-Basin, Eq. 1 written as a maximisation). `perms`/`signs` are per spec index.
 */
export function weightObjective(
  ref: Model,
  model: Model,
  spec: PermutationSpec,
  perms?: Int32Array[],
  signs?: (Float32Array | undefined)[],
): number {
  const ps = perms ?? spec.perms.map((p) => identityPerm(p.size));
  let total = 0;
  for (const { name } of paramShapes(ref.arch)) {
    const a = ref.params[name]!.data;
    const b = permutedTensor64(spec, name, model.params[name]!, ps, signs);
    for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  }
  return total;
}
