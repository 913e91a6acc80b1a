/**
 * Weight matching: Ainsworth, Hayase & Srinivasa (2023), "Git Re-Basin: Merging Models modulo
 * Permutation Symmetries", Alg. 1 — coordinate ascent on Σ_t ⟨A_t, π(B)_t⟩, one permutation at a
 * time, each step an exact linear assignment.
 *
 * Signed variant for odd activations: unit j of B may also flip sign (with every tensor slice the
 * permutation touches), which flips the sign of its column of S_p; the best choice for a pair
 * (i, j) is therefore |S_p[i, j]|, so the assignment is solved on |S_p| and the signs are read
 * from S_p.
 */
import type { Model } from '../model';
import { createRng, randomPermutation } from '../rng';
import { resolveSigned, proveSameFunction, specFor, validatePair, weightObjective } from './common';
import { solveAssignment } from './lap';
import { applyPermutations, identityPerm } from './permspec';
import { SimilarityBuilder } from './similarity';
import type { AlignOptions, AlignResult } from './types';

/**
 * Aligns `model` (B) to `ref` (A) by weight matching. Validates both models first
 * (ArchitectureMismatchError, NonFiniteWeightsError).
 */
export function weightMatching(ref: Model, model: Model, opts: AlignOptions = {}): AlignResult {
  validatePair(ref, model);
  const t0 = performance.now();
  const spec = specFor(ref, opts);
  const signed = resolveSigned(opts.signed, ref.arch.activation);
  const seed = opts.seed ?? 0;
  const maxSweeps = opts.maxSweeps ?? 100;
  const rng = createRng(seed);

  const P = spec.perms.length;
  const perms = spec.perms.map((p) => identityPerm(p.size));
  const signs = signed ? spec.perms.map((p) => new Float32Array(p.size).fill(1)) : undefined;
  const builder = new SimilarityBuilder(spec, ref, model);

  const objectiveBefore = weightObjective(ref, model, spec, perms, signs);
  // "Improves nothing" is judged relative to the size of the objective, so that float64
  // rounding in a large sum cannot pass for progress and the loop cannot cycle.
  const tol = 1e-12 * Math.max(1, Math.abs(objectiveBefore), weightObjective(ref, ref, spec));
  // S_p depends only on the permutations on the other axes of the tensors p touches; when none
  // of them changed since p was last solved, the assignment would come out the same: skip it.
  const deps = spec.perms.map((perm, pi) => {
    const d = new Set<number>();
    for (const { tensor, axis } of perm.axes)
      spec.axesToPerm[tensor]!.forEach((q, ax) => ax !== axis && q >= 0 && d.add(q));
    d.delete(pi);
    const selfDependent = perm.axes.some(({ tensor, axis }) =>
      spec.axesToPerm[tensor]!.some((q, ax) => ax !== axis && q === pi),
    );
    return { others: [...d], selfDependent };
  });
  const version = new Int32Array(P);
  const seenAt: (Int32Array | null)[] = spec.perms.map(() => null);
  const objectivePerSweep: number[] = [];
  let objective = objectiveBefore;
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    let improved = false;
    for (const p of randomPermutation(P, rng)) {
      const n = spec.perms[p]!.size;
      const dep = deps[p]!;
      const seen = seenAt[p];
      if (seen && !dep.selfDependent && dep.others.every((q) => seen[q] === version[q])) continue;
      seenAt[p] = Int32Array.from(version);
      const s = builder.similarity(p, perms, signs);
      const cur = perms[p]!;
      const curSign = signs?.[p];
      let oldL = 0;
      for (let i = 0; i < n; i++) oldL += (curSign ? curSign[i]! : 1) * s[i * n + cur[i]!]!;
      let target = s;
      if (signed) {
        target = new Float64Array(s.length);
        for (let k = 0; k < s.length; k++) target[k] = Math.abs(s[k]!);
      }
      const { rowToCol, total: newL } = solveAssignment(target, n, true);
      if (newL > oldL + tol) {
        improved = true;
        version[p] = version[p]! + 1;
        perms[p] = rowToCol;
        if (signs) {
          const sg = new Float32Array(n);
          for (let i = 0; i < n; i++) sg[i] = s[i * n + rowToCol[i]!]! < 0 ? -1 : 1;
          signs[p] = sg;
        }
      }
    }
    objective = improved ? weightObjective(ref, model, spec, perms, signs) : objective;
    objectivePerSweep.push(objective);
    if (!improved) break;
  }

  const permRecord: Record<string, Int32Array> = {};
  const signRecord: Record<string, Float32Array> = {};
  spec.perms.forEach((p, i) => {
    permRecord[p.name] = perms[i]!;
    if (signs) signRecord[p.name] = signs[i]!;
  });
  const aligned = applyPermutations(model, spec, permRecord, signs ? signRecord : undefined);
  const objectiveAfter = weightObjective(ref, aligned, spec);
  // The time is the matching itself; the proof below is a separate forward pass.
  const timeMs = performance.now() - t0;
  const proof = proveSameFunction(model, aligned, seed, opts.probePoints);
  return {
    model: aligned,
    method: 'weight',
    signed,
    perms: permRecord,
    ...(signs ? { signs: signRecord } : {}),
    objectiveBefore,
    objectiveAfter,
    objectivePerSweep,
    sweeps,
    timeMs,
    ...proof,
  };
}
