/**
 * The optimisers of the classifier trainer behind one small interface, so that the trainer does
 * not care which one runs. Both follow
 * PyTorch's formulations, so a run can be compared with torch.optim step for step:
 * - SGD with momentum μ (torch.optim.SGD, dampening 0, no Nesterov): v ← μv + g; θ ← θ − lr·v.
 * - Adam: the codebase's one Adam (./adam.ts, torch.optim.Adam's formulation), with the step's lr.
 * Weight decay λ is L2 added to the gradient (g ← g + λθ), as both torch optimisers do.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../classifier/settings';
import { Adam, perMember } from './adam';

/** Updates variables from their gradients; owns its state tensors. */
export interface StackOptimizer {
  /**
   * One update of every variable at learning rate `lr`, or with stacked variables [K, …] member
   * k's at lr[k]. Call inside tf.tidy.
   */
  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number | readonly number[]): void;
  /**
   * Continues another engine's state for `vars`: `steps` taken, Adam's moments m and v, or SGD's
   * momentum buffer in m (v unused). Tensors are copied, not kept.
   */
  restore(
    vars: readonly tf.Variable[],
    steps: number,
    m: readonly tf.Tensor[],
    v: readonly tf.Tensor[],
  ): void;
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

  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number | readonly number[]): void {
    if (this.momentum > 0 && !this.velocity) this.velocity = zerosFor(vars);
    const rate = typeof lr === 'number' ? lr : perMember(lr);
    vars.forEach((p, i) => {
      let d = withDecay(grads[i]!, p, this.wd);
      if (this.velocity) {
        // torch: the first step sets v = g (the buffer starts as the gradient, not as zeros).
        const v = this.velocity[i]!;
        d = this.started ? tf.add(tf.mul(v, this.momentum), d) : d;
        v.assign(d);
      }
      p.assign(tf.sub(p, tf.mul(d, rate)));
    });
    this.started = true;
  }

  restore(vars: readonly tf.Variable[], steps: number, m: readonly tf.Tensor[]): void {
    this.started = steps > 0;
    if (this.momentum <= 0) return;
    this.velocity ??= zerosFor(vars);
    this.velocity.forEach((x, i) => x.assign(m[i]!));
  }

  dispose(): void {
    if (this.velocity) tf.dispose(this.velocity);
    this.velocity = null;
  }
}

/** The codebase's one Adam (./adam.ts), behind the interface, with L2 decay added to the gradient. */
class AdamStep implements StackOptimizer {
  private adam: Adam | null = null;
  constructor(
    private readonly opts: { beta1: number; beta2: number; eps: number },
    private readonly wd: number,
  ) {}

  apply(vars: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number | readonly number[]): void {
    this.adam ??= new Adam(vars, { lr: 0, ...this.opts });
    const named: tf.NamedTensorMap = {};
    vars.forEach((p, i) => (named[p.name] = withDecay(grads[i]!, p, this.wd)));
    this.adam.update(named, lr);
  }

  restore(
    vars: readonly tf.Variable[],
    steps: number,
    m: readonly tf.Tensor[],
    v: readonly tf.Tensor[],
  ): void {
    this.adam ??= new Adam(vars, { lr: 0, ...this.opts });
    this.adam.restore(steps, m, v);
  }

  dispose(): void {
    this.adam?.dispose();
    this.adam = null;
  }
}

/** The optimiser named by `opts.name`, with torch's defaults for what is not given. */
export function createOptimizer(opts: OptimizerOptions): StackOptimizer {
  const wd = opts.weightDecay ?? 0;
  if (opts.name === 'sgd') return new Sgd(opts.momentum ?? 0, wd);
  return new AdamStep({ beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: opts.eps ?? 1e-8 }, wd);
}
