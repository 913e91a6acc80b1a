/**
 * Activation matching: Ainsworth et al. (2023), "Git Re-Basin", Sec. 3.1 — for each hidden
 * layer, the Pearson correlation between every unit of A and every unit of B over a data batch,
 * then one linear assignment per layer. Layers are independent: a unit's activations do not
 * depend on how earlier layers are ordered.
 *
 * Signed variant for odd activations: negating unit j of B negates its activations and hence
 * its correlations, so the assignment is solved on |C| and the signs are read from C.
 */
import { forwardWithHidden } from '../forward';
import type { Model } from '../model';
import { proveSameFunction, resolveSigned, specFor, uniformBatch, validatePair } from './common';
import { addGramNT } from '../gram';
import { solveAssignment } from './lap';
import { applyPermutations, type PermutationSpec } from './permspec';
import { SimilarityBuilder } from './similarity';
import type { AlignOptions, AlignResult } from './types';

/**
 * Pearson correlation C[i, j] = corr(a[:, i], b[:, j]) of two feature maps [rows, w] (float32),
 * accumulated in float64. A unit constant over the batch correlates 0 with everything.
 */
export function correlationMatrix(a: Float32Array, b: Float32Array, rows: number, w: number): Float64Array {
  return correlate(a, b, rows, w).c;
}

function correlate(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  w: number,
): { c: Float64Array; constA: boolean[]; constB: boolean[] } {
  const ca = centredUnits(a, rows, w);
  const cb = centredUnits(b, rows, w);
  const c = new Float64Array(w * w);
  addGramNT(ca.units, cb.units, w, w, rows, c);
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < w; j++) {
      const d = ca.norms[i]! * cb.norms[j]!;
      c[i * w + j] = d > 0 ? c[i * w + j]! / d : 0;
    }
  }
  return { c, constA: Array.from(ca.norms, (x) => x === 0), constB: Array.from(cb.norms, (x) => x === 0) };
}

/** Transposes to units-first, subtracts each unit's mean and returns the centred norms. */
function centredUnits(
  h: Float32Array,
  rows: number,
  w: number,
): { units: Float64Array; norms: Float64Array } {
  const units = new Float64Array(w * rows);
  const norms = new Float64Array(w);
  for (let j = 0; j < w; j++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += h[r * w + j]!;
    mean /= rows;
    let ss = 0;
    const o = j * rows;
    for (let r = 0; r < rows; r++) {
      const v = h[r * w + j]! - mean;
      units[o + r] = v;
      ss += v * v;
    }
    // Relative cut-off: a unit whose spread is float noise around its mean counts as constant.
    norms[j] = ss > 1e-24 * rows * (mean * mean + 1) ? Math.sqrt(ss) : 0;
  }
  return { units, norms };
}

/**
 * Aligns `model` (B) to `ref` (A) by activation matching on the batch `opts.x` ([n, inputs];
 * default: `opts.dataPoints` seeded points in [−1, 1]^inputs). Every permutation of the spec
 * must name the hidden feature map it reorders (`PermDef.hidden`).
 */
export function activationMatching(ref: Model, model: Model, opts: AlignOptions = {}): AlignResult {
  validatePair(ref, model);
  const t0 = performance.now();
  const spec = specFor(ref, opts);
  const signed = resolveSigned(opts.signed, ref.arch.activation);
  const seed = opts.seed ?? 0;
  const inputs = ref.arch.widths[0]!;
  const x = opts.x ?? uniformBatch(inputs, opts.dataPoints ?? 1024, seed);
  if (x.length === 0 || x.length % inputs !== 0) {
    throw new RangeError(
      `activation batch has ${x.length} values, not a whole number of ${inputs}-input rows`,
    );
  }
  const rows = x.length / inputs;
  const ha = forwardWithHidden(ref, x, rows).hidden;
  const hb = forwardWithHidden(model, x, rows).hidden;

  const perms: Record<string, Int32Array> = {};
  const signs: Record<string, Float32Array> = {};
  const blind: number[][] = [];
  let objectiveBefore = 0;
  let objectiveAfter = 0;
  for (const p of spec.perms) {
    const fa = p.hidden === undefined ? undefined : ha[p.hidden];
    const fb = p.hidden === undefined ? undefined : hb[p.hidden];
    if (!fa || !fb)
      throw new RangeError(
        `permutation ${p.name} names no hidden feature map, so activation matching cannot align it`,
      );
    const w = p.size;
    const { c, constA, constB } = correlate(fa, fb, rows, w);
    for (let i = 0; i < w; i++) objectiveBefore += c[i * w + i]!;
    let target = c;
    if (signed) target = c.map(Math.abs);
    const { rowToCol, total } = solveAssignment(target, w, true);
    objectiveAfter += total;
    perms[p.name] = rowToCol;
    if (signed) {
      const sg = new Float32Array(w);
      for (let i = 0; i < w; i++) sg[i] = c[i * w + rowToCol[i]!]! < 0 ? -1 : 1;
      signs[p.name] = sg;
    }
    blind.push(Array.from({ length: w }, (_, i) => i).filter((i) => constA[i] || constB[rowToCol[i]!]));
  }
  breakBlindTies(ref, model, spec, perms, signed ? signs : undefined, blind);
  const aligned = applyPermutations(model, spec, perms, signed ? signs : undefined);
  const timeMs = performance.now() - t0;
  return {
    model: aligned,
    method: 'activation',
    signed,
    perms,
    ...(signed ? { signs } : {}),
    objectiveBefore,
    objectiveAfter,
    objectivePerSweep: [objectiveAfter],
    sweeps: 1,
    timeMs,
    ...proveSameFunction(model, aligned, seed, opts.probePoints),
  };
}

/**
 * Units constant over the batch (dead ReLUs, saturated tanh) correlate 0 with everything, so
 * activations cannot tell them apart and the assignment among them is arbitrary. Such units are
 * re-matched among themselves by weight matching's similarity (Git Re-Basin Alg. 1's S_p, with
 * every other permutation as found), one permutation at a time in spec order. The matched
 * correlations do not change: every pair involved has correlation 0.
 */
function breakBlindTies(
  ref: Model,
  model: Model,
  spec: PermutationSpec,
  perms: Record<string, Int32Array>,
  signs: Record<string, Float32Array> | undefined,
  blind: number[][],
): void {
  if (blind.every((b) => b.length < 2 && !signs)) return;
  const builder = new SimilarityBuilder(spec, ref, model);
  const permList = spec.perms.map((p) => perms[p.name]!);
  const signList = signs ? spec.perms.map((p) => signs[p.name]!) : undefined;
  spec.perms.forEach((p, pi) => {
    const rows = blind[pi]!;
    if (rows.length === 0 || (rows.length < 2 && !signList)) return;
    const n = p.size;
    const s = builder.similarity(pi, permList, signList);
    const cols = rows.map((i) => permList[pi]![i]!);
    const d = rows.length;
    const sub = new Float64Array(d * d);
    for (let r = 0; r < d; r++) for (let q = 0; q < d; q++) sub[r * d + q] = s[rows[r]! * n + cols[q]!]!;
    const { rowToCol } = solveAssignment(signList ? sub.map(Math.abs) : sub, d, true);
    const next = Int32Array.from(permList[pi]!);
    const nextSign = signList ? Float32Array.from(signList[pi]!) : undefined;
    rows.forEach((i, r) => {
      const j = cols[rowToCol[r]!]!;
      next[i] = j;
      if (nextSign) nextSign[i] = s[i * n + j]! < 0 ? -1 : 1;
    });
    permList[pi] = next;
    perms[p.name] = next;
    if (nextSign && signList && signs) {
      signList[pi] = nextSign;
      signs[p.name] = nextSign;
    }
  });
}
