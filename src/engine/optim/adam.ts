/**
 * Adam on a flat float32 vector, as PyTorch computes it (Kingma & Ba 2015, Alg. 1, with PyTorch's
 * placement of ε), in the operation order of src/engine/tf/adam.ts and the fused kernel's Adam:
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
 *   θ ← θ − (m / (√v / √(1 − β₂ᵗ) + ε)) · (lr / (1 − β₁ᵗ)).
 * Every operation rounds to float32 (Math.fround), so it updates as those float32 paths do. Used
 * where the parameters live in plain arrays: a curve's control point trained on the kernel's
 * gradients (src/engine/kernels/curve.ts).
 */

export interface FlatAdamOptions {
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
}

const f = Math.fround;

/** Adam state (first and second moments) for one flat parameter vector of fixed length. */
export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private t = 0;

  constructor(n: number, opts: FlatAdamOptions) {
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  /** Updates taken so far. */
  get steps(): number {
    return this.t;
  }

  /** One update of `p` in place from the gradient `g` (same length). */
  update(p: Float32Array, g: Float32Array): void {
    if (p.length !== this.m.length || g.length !== this.m.length)
      throw new RangeError(`FlatAdam: expected ${this.m.length} values`);
    this.t += 1;
    const { lr, beta1, beta2, eps } = this;
    adamUpdate(p, g, this.m, this.v, this.t, { lr, beta1, beta2, eps }, 0, p.length);
  }
}

/**
 * Step `t` (1, 2, …) of Adam on elements [i0, i1) of p with gradient g and moments m, v, in
 * place: FlatAdam's arithmetic, for callers that keep the moments themselves (the pixel split's
 * shards each update their own slice of shared θ, m and v: src/engine/kernels/split-shard.ts).
 * Each element's update reads only that element, so any partition of the range gives the same bits.
 */
export function adamUpdate(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  t: number,
  opts: Required<Omit<FlatAdamOptions, 'lr'>> & { lr: number },
  i0: number,
  i1: number,
): void {
  const { beta1, beta2, eps } = opts;
  const omb1 = f(1 - beta1);
  const omb2 = f(1 - beta2);
  const lrbc1 = f(opts.lr / (1 - beta1 ** t));
  const sqrtbc2 = f(Math.sqrt(1 - beta2 ** t));
  for (let i = i0; i < i1; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * beta1) + f(gi * omb1));
    const vi = f(f(v[i]! * beta2) + f(f(gi * gi) * omb2));
    m[i] = mi;
    v[i] = vi;
    const denom = f(f(f(Math.sqrt(vi)) / sqrtbc2) + eps);
    p[i] = f(p[i]! - f(f(mi / denom) * lrbc1));
  }
}
