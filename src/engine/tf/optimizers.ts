/**
 * The optimisers of the classifier trainer behind one small interface, so that the trainer does
 * not care which one runs (and the Adam can be swapped for the codebase's shared one). Both follow
 * PyTorch's formulations, so a run can be compared with torch.optim step for step:
 * - SGD with momentum μ (torch.optim.SGD, dampening 0, no Nesterov): v ← μv + g; θ ← θ − lr·v.
 * - Adam (Kingma & Ba 2015, Alg. 1, as torch.optim.Adam): m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 *   θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
 * Weight decay λ is L2 added to the gradient (g ← g + λθ), as both torch optimisers do.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../classifier/settings';

/** Updates variables from their gradients; owns its state tensors. */
export interface StackOptimizer {
  /** One update of every variable at learning rate `lr`. Call inside tf.tidy. */
  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void;
  dispose(): void;
}

export interface OptimizerOptions {
  name: OptimizerName;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

const zerosFor = (vars: readonly tf.Variable[]): tf.Variable[] =>
  vars.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));

function withDecay(g: tf.Tensor, p: tf.Tensor, wd: number): tf.Tensor {
  return wd > 0 ? tf.add(g, tf.mul(p, wd)) : g;
}

class Sgd implements StackOptimizer {
  private velocity: tf.Variable[] | null = null;
  private started = false;
  constructor(
    private readonly momentum: number,
    private readonly wd: number,
  ) {}

  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void {
    if (this.momentum > 0 && !this.velocity) this.velocity = zerosFor(vars);
    vars.forEach((p, i) => {
      let d = withDecay(grads[i]!, p, this.wd);
      if (this.velocity) {
        // torch: the first step sets v = g (the buffer starts as the gradient, not as zeros).
        const v = this.velocity[i]!;
        d = this.started ? tf.add(tf.mul(v, this.momentum), d) : d;
        v.assign(d);
      }
      p.assign(tf.sub(p, tf.mul(d, lr)));
    });
    this.started = true;
  }

  dispose(): void {
    if (this.velocity) tf.dispose(this.velocity);
    this.velocity = null;
  }
}

class Adam implements StackOptimizer {
  private m: tf.Variable[] | null = null;
  private v: tf.Variable[] | null = null;
  private t = 0;
  constructor(
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly eps: number,
    private readonly wd: number,
  ) {}

  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void {
    this.m ??= zerosFor(vars);
    this.v ??= zerosFor(vars);
    this.t += 1;
    const { beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    vars.forEach((p, i) => {
      const g = withDecay(grads[i]!, p, this.wd);
      const m = tf.add(tf.mul(this.m![i]!, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.v![i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
      this.m![i]!.assign(m);
      this.v![i]!.assign(v);
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
      p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1)));
    });
  }

  dispose(): void {
    tf.dispose([...(this.m ?? []), ...(this.v ?? [])]);
    this.m = this.v = null;
  }
}

/** The optimiser named by `opts.name`, with torch's defaults for what is not given. */
export function createOptimizer(opts: OptimizerOptions): StackOptimizer {
  const wd = opts.weightDecay ?? 0;
  if (opts.name === 'sgd') return new Sgd(opts.momentum ?? 0, wd);
  return new Adam(opts.beta1 ?? 0.9, opts.beta2 ?? 0.999, opts.eps ?? 1e-8, wd);
}
