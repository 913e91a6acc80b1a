/**
 * Permutation specs as in Git Re-Basin (Ainsworth et al. 2023, Sec. 3 and their
 * `permutation_spec_from_axes_to_perm`): each permutation names every (tensor, axis) it acts on.
 * Alignment code walks the spec only, so other architectures need only a new spec.
 *
 * Convention: a permutation `perm` with signs `sign` maps B to π(B) by
 *   π(B)[…, i, …] = sign[i] · B[…, perm[i], …]   on every axis the permutation acts on,
 * i.e. unit i of the aligned model is unit perm[i] of B. Signs are the odd-activation symmetry
 * (sine, tanh): negating a unit's incoming row, bias and outgoing column leaves f unchanged.
 */
import { biasName, cloneModel, layerCount, weightName, type MlpArch, type Model } from '../model';
import type { Tensor } from '../tensor';

/** One axis of one tensor that a permutation acts on. */
export interface AxisRef {
  tensor: string;
  axis: number;
}

/** A hidden-unit permutation: its name, size and every (tensor, axis) it reorders. */
export interface PermDef {
  name: string;
  size: number;
  axes: AxisRef[];
  /**
   * Index into `forwardWithHidden(...).hidden` of the feature map whose units this permutation
   * reorders; used by activation matching only (weight matching needs nothing but `axes`).
   */
  hidden?: number;
}

/** A whole spec: the permutations plus, per tensor, which permutation acts on each axis. */
export interface PermutationSpec {
  perms: PermDef[];
  /** tensor name → per axis, the index into `perms` acting on it, or -1. */
  axesToPerm: Record<string, number[]>;
}

/** Builds `axesToPerm` from the permutations; tensors untouched by any permutation are absent. */
export function makeSpec(perms: PermDef[], shapes: Record<string, readonly number[]>): PermutationSpec {
  const axesToPerm: Record<string, number[]> = {};
  perms.forEach((p, pi) => {
    for (const { tensor, axis } of p.axes) {
      const shape = shapes[tensor];
      if (!shape) throw new RangeError(`permutation ${p.name} names unknown tensor ${tensor}`);
      if (shape[axis] !== p.size) {
        throw new RangeError(
          `permutation ${p.name} (size ${p.size}) acts on ${tensor} axis ${axis} of size ${shape[axis]}`,
        );
      }
      const row = (axesToPerm[tensor] ??= new Array<number>(shape.length).fill(-1));
      if (row[axis] !== -1) throw new RangeError(`${tensor} axis ${axis} is claimed by two permutations`);
      row[axis] = pi;
    }
  });
  return { perms, axesToPerm };
}

/**
 * The MLP spec: hidden layer l (0-based) has permutation `P_l` acting on
 * (layers.l.weight, 0), (layers.l.bias, 0) and (layers.{l+1}.weight, 1). Inputs, outputs and the
 * Fourier matrix are never permuted.
 */
export function mlpPermutationSpec(arch: MlpArch): PermutationSpec {
  const perms: PermDef[] = [];
  const shapes: Record<string, number[]> = {};
  const L = layerCount(arch);
  const fanIn0 = arch.encoding ? 2 * arch.encoding.features : arch.widths[0]!;
  for (let l = 0; l < L; l++) {
    shapes[weightName(l)] = [arch.widths[l + 1]!, l === 0 ? fanIn0 : arch.widths[l]!];
    shapes[biasName(l)] = [arch.widths[l + 1]!];
  }
  for (let l = 0; l + 1 < L; l++) {
    perms.push({
      name: `P_${l}`,
      size: arch.widths[l + 1]!,
      axes: [
        { tensor: weightName(l), axis: 0 },
        { tensor: biasName(l), axis: 0 },
        { tensor: weightName(l + 1), axis: 1 },
      ],
      hidden: l,
    });
  }
  return makeSpec(perms, shapes);
}

/** Identity permutation of size n. */
export function identityPerm(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** Inverse permutation: inv[perm[i]] = i. */
export function invertPerm(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]!] = i;
  return inv;
}

/**
 * Gathers along one axis: out[o, i, r] = sign[i] · src[o, perm[i], r] for src viewed as
 * [outer, n, inner]. `out` may be float32 or float64; it must not alias `src`.
 */
export function permuteAxis(
  src: ArrayLike<number>,
  out: Float32Array | Float64Array,
  shape: readonly number[],
  axis: number,
  perm: Int32Array,
  sign?: Float32Array,
): void {
  let outer = 1;
  let inner = 1;
  for (let k = 0; k < axis; k++) outer *= shape[k]!;
  for (let k = axis + 1; k < shape.length; k++) inner *= shape[k]!;
  const n = shape[axis]!;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < n; i++) {
      const s = sign ? sign[i]! : 1;
      const from = base + perm[i]! * inner;
      const to = base + i * inner;
      if (s === 1) for (let r = 0; r < inner; r++) out[to + r] = src[from + r]!;
      else for (let r = 0; r < inner; r++) out[to + r] = s * src[from + r]!;
    }
  }
}

/**
 * Applies the permutations (and signs) of `spec` to one tensor, on every axis except `skipAxis`
 * (-1 for none). Returns a new float64 buffer in the tensor's own layout.
 */
export function permutedTensor64(
  spec: PermutationSpec,
  name: string,
  t: Tensor,
  perms: Int32Array[],
  signs: (Float32Array | undefined)[] | undefined,
  skipAxis = -1,
): Float64Array {
  let cur = Float64Array.from(t.data);
  const row = spec.axesToPerm[name];
  if (!row) return cur;
  let tmp = new Float64Array(cur.length);
  for (let axis = 0; axis < row.length; axis++) {
    const p = row[axis]!;
    if (p < 0 || axis === skipAxis) continue;
    permuteAxis(cur, tmp, t.shape, axis, perms[p]!, signs?.[p]);
    [cur, tmp] = [tmp, cur];
  }
  return cur;
}

/**
 * Returns a new model: B with the permutations (and optional ±1 signs) of `spec` applied to
 * every tensor they touch. `perms` and `signs` are keyed by permutation name; a missing entry
 * means identity / all +1. Tensors no permutation touches are copied.
 */
export function applyPermutations(
  model: Model,
  spec: PermutationSpec,
  perms: Record<string, Int32Array>,
  signs?: Record<string, Float32Array>,
): Model {
  const out = cloneModel(model);
  const permList = spec.perms.map((p) => perms[p.name] ?? identityPerm(p.size));
  const signList = spec.perms.map((p) => signs?.[p.name]);
  for (const [name, row] of Object.entries(spec.axesToPerm)) {
    const t = model.params[name];
    if (!t) throw new RangeError(`model has no tensor ${name}`);
    let cur = new Float32Array(t.data);
    let tmp = new Float32Array(cur.length);
    for (let axis = 0; axis < row.length; axis++) {
      const p = row[axis]!;
      if (p < 0) continue;
      permuteAxis(cur, tmp, t.shape, axis, permList[p]!, signList[p]);
      [cur, tmp] = [tmp, cur];
    }
    out.params[name] = { data: cur, shape: [...t.shape] };
  }
  return out;
}

/**
 * Composes two alignments: first (p1, s1), then (p2, s2) applied to the result. The composite
 * maps unit i to p1[p2[i]] with sign s2[i]·s1[p2[i]].
 */
export function composePerms(
  p1: Int32Array,
  p2: Int32Array,
  s1?: Float32Array,
  s2?: Float32Array,
): { perm: Int32Array; sign: Float32Array } {
  const perm = new Int32Array(p2.length);
  const sign = new Float32Array(p2.length);
  for (let i = 0; i < p2.length; i++) {
    perm[i] = p1[p2[i]!]!;
    sign[i] = (s2 ? s2[i]! : 1) * (s1 ? s1[p2[i]!]! : 1);
  }
  return { perm, sign };
}
