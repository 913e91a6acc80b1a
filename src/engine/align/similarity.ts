/**
 * Weight matching's per-permutation similarity (Git Re-Basin, Alg. 1, the matrix inside the
 * linear assignment):
 *   S_p[i, j] = Σ_{(t, axis) ∈ p} Σ_{other indices} A_t[…i…] · B'_t[…j…],
 * where B' is B with every OTHER permutation (and sign) applied. Only the spec is consulted.
 *
 * Each (tensor, axis) term is cached: a term whose other axes are never permuted (biases, the
 * first layer's rows, the last layer's columns) is computed once; a 2-D term with one other
 * permuted axis is updated by the columns whose permutation or sign changed since its last
 * evaluation, as one product with the differences (late sweeps change few units, so they cost a
 * fraction of a full product); anything else is recomputed. The result is the same matrix up to
 * float64 rounding.
 */
import type { Model } from '../model';
import { addGramNT, axisToFront } from '../gram';
import { permutedTensor64, type PermutationSpec } from './permspec';

interface Term {
  tensor: string;
  axis: number;
  /** Length of one unit's row: the product of the other axes. */
  rowLen: number;
  /** A with `axis` moved to the front: [n, rowLen]. */
  aUnits: Float32Array;
  kind: 'const' | 'pair' | 'general';
  /** 'pair': the permutation on the other axis, B with `axis` in front, and the state last used. */
  other?: number;
  bUnits?: Float32Array;
  snapPerm?: Int32Array;
  snapSign?: Float32Array;
  contrib?: Float64Array;
}

/** Builds S_p for any permutation p of a spec, for a fixed pair (A, B). */
export class SimilarityBuilder {
  private readonly terms: Term[][];

  constructor(
    private readonly spec: PermutationSpec,
    private readonly ref: Model,
    private readonly model: Model,
  ) {
    this.terms = spec.perms.map((p, pi) =>
      p.axes.map(({ tensor, axis }) => {
        const ta = ref.params[tensor]!;
        const row = spec.axesToPerm[tensor]!;
        const others = row.map((q, ax) => (ax === axis ? -1 : q)).filter((q) => q >= 0);
        const kind: Term['kind'] =
          others.length === 0
            ? 'const'
            : ta.shape.length === 2 && others.length === 1 && others[0] !== pi
              ? 'pair'
              : 'general';
        const term: Term = {
          tensor,
          axis,
          rowLen: ta.data.length / p.size,
          aUnits: axisToFront(ta.data, ta.shape, axis),
          kind,
        };
        if (kind === 'pair') {
          term.other = others[0]!;
          term.bUnits = axisToFront(model.params[tensor]!.data, ta.shape, axis);
        }
        return term;
      }),
    );
  }

  /** S_p (row-major n×n, float64) for the current permutations and signs (per spec index). */
  similarity(p: number, perms: Int32Array[], signs?: (Float32Array | undefined)[]): Float64Array {
    const n = this.spec.perms[p]!.size;
    const s = new Float64Array(n * n);
    for (const term of this.terms[p]!) {
      const c = this.contribution(term, n, perms, signs);
      for (let k = 0; k < s.length; k++) s[k] = s[k]! + c[k]!;
    }
    return s;
  }

  private contribution(
    term: Term,
    n: number,
    perms: Int32Array[],
    signs?: (Float32Array | undefined)[],
  ): Float64Array {
    if (term.kind === 'const') {
      if (!term.contrib) {
        term.contrib = new Float64Array(n * n);
        const t = this.model.params[term.tensor]!;
        addGramNT(term.aUnits, axisToFront(t.data, t.shape, term.axis), n, n, term.rowLen, term.contrib);
      }
      return term.contrib;
    }
    if (term.kind === 'pair')
      return this.pairContribution(term, n, perms[term.other!]!, signs?.[term.other!]);
    const t = this.model.params[term.tensor]!;
    const b = axisToFront(
      permutedTensor64(this.spec, term.tensor, t, perms, signs, term.axis),
      t.shape,
      term.axis,
    );
    const out = new Float64Array(n * n);
    addGramNT(term.aUnits, b, n, n, term.rowLen, out);
    return out;
  }

  /** 2-D term: B'[j, k] = sign[k] · B_u[j, perm[k]], k over the other axis (length m). */
  private pairContribution(
    term: Term,
    n: number,
    perm: Int32Array,
    sign: Float32Array | undefined,
  ): Float64Array {
    const m = term.rowLen;
    const bu = term.bUnits!;
    const changed: number[] = [];
    if (term.contrib) {
      for (let k = 0; k < m; k++) {
        if (perm[k] !== term.snapPerm![k] || (sign ? sign[k]! : 1) !== term.snapSign![k]) changed.push(k);
      }
      if (changed.length === 0) return term.contrib;
    }
    // A rank-c update costs c/m of a full product; past ~3/4 the full product is as cheap and
    // starts the rounding afresh.
    if (!term.contrib || 4 * changed.length >= 3 * m) {
      // Full product.
      const bp = new Float32Array(n * m);
      for (let j = 0; j < n; j++) {
        const o = j * m;
        for (let k = 0; k < m; k++) bp[o + k] = (sign ? sign[k]! : 1) * bu[o + perm[k]!]!;
      }
      term.contrib = new Float64Array(n * n);
      addGramNT(term.aUnits, bp, n, n, m, term.contrib);
    } else {
      // Rank-c update: + A[:, K]·(B_new[:, K] − B_old[:, K])ᵀ, one product of width c. The
      // difference of two float32 weights is exact in float64.
      const c = changed.length;
      const xa = new Float32Array(n * c);
      const yb = new Float64Array(n * c);
      const au = term.aUnits;
      for (let r = 0; r < n; r++) {
        const o = r * m;
        const w = r * c;
        for (let q = 0; q < c; q++) {
          const k = changed[q]!;
          xa[w + q] = au[o + k]!;
          yb[w + q] =
            (sign ? sign[k]! : 1) * bu[o + perm[k]!]! - term.snapSign![k]! * bu[o + term.snapPerm![k]!]!;
        }
      }
      addGramNT(xa, yb, n, n, c, term.contrib);
    }
    term.snapPerm = Int32Array.from(perm);
    term.snapSign = sign ? Float32Array.from(sign) : new Float32Array(m).fill(1);
    return term.contrib;
  }
}
