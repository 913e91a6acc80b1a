/**
 * Adam as PyTorch computes it (Kingma & Ba 2015, Alg. 1, with PyTorch's placement of ε):
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
 *   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 * Hand-written rather than tf.train.adam so that every trainer here (the INR population, curve
 * training, classifiers) updates identically to PyTorch and keeps its moments as plain variables
 * that are disposed with the trainer. Elementwise, so a stacked population [K, …] updates exactly
 * as K separate runs.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
}

/** One value per member of stacked variables [K, …], as a [K, 1, 1] tensor that broadcasts over each slice. */
export function perMember(values: readonly number[]): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(values), [values.length, 1, 1]);
}

/** Adam state (first and second moments) for a fixed list of variables. */
export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private t = 0;

  constructor(
    private readonly vars: readonly tf.Variable[],
    opts: AdamOptions,
  ) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    // Variables share their initial tensor's data, so the zeros are made inside tidy.
    this.m = vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** Updates taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One update from `grads` (by variable name, as tf.variableGrads returns them); grads are not
   * disposed. `lr` overrides the constructor's rate for this step (a learning-rate schedule); an
   * array gives each member of stacked variables [K, …] its own (lr[k] scales slice k).
   */
  update(grads: tf.NamedTensorMap, lr: number | readonly number[] = this.lr): void {
    this.t += 1;
    const { beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      // Each rate over bc₁ in float64, then float32: what the scalar form multiplies by.
      const step = typeof lr === 'number' ? lr / bc1 : perMember(lr.map((r) => r / bc1));
      this.vars.forEach((p, i) => {
        const g = grads[p.name];
        if (!g) throw new Error(`Adam: no gradient for ${p.name}`);
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), step)));
      });
    });
  }

  /** The first and second moments, in the order of the variables (live: read, never dispose). */
  get moments(): { m: readonly tf.Variable[]; v: readonly tf.Variable[] } {
    return { m: this.m, v: this.v };
  }

  /**
   * Continues from another optimiser's state: `steps` updates taken and the moments of every
   * variable (shapes as the variables'). Tensors are copied, not kept.
   */
  restore(steps: number, m: readonly tf.Tensor[], v: readonly tf.Tensor[]): void {
    if (m.length !== this.m.length || v.length !== this.v.length)
      throw new RangeError(`Adam.restore: ${m.length} moments for ${this.m.length} variables`);
    this.m.forEach((x, i) => x.assign(m[i]!));
    this.v.forEach((x, i) => x.assign(v[i]!));
    this.t = steps;
  }

  /** Frees the moments (not the variables, which belong to the caller). */
  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
