/**
 * One shard's share of a curve-training step (src/engine/kernels/curve.ts): a kernel of as many
 * members as the shard's t samples, the endpoints resident, and per step the control point θ and
 * each member's curve coefficients in, each member's gradient ∂L/∂φ(t_k) and loss out. The chain
 * to θ and its reduction over members stay with the coordinator, in member order, so the result
 * does not depend on how the samples were split (Garipov et al. 2018, Sec. 3).
 */
import type { EvalData } from '../data/eval-data';
import { ENCODING_NAME, flattenModel, type MlpArch, type Model } from '../model';
import { fullBatchKernel } from './evaluate';
import type { KernelFlavour, MlpKernel } from './mlp-kernel';
import { dataIsShared } from './shared-data';
import type { WireModel } from './shard';

/** What a curve shard is built with: the endpoints, the control point's start and the data. */
export interface CurveShardInit {
  arch: MlpArch;
  a: WireModel;
  b: WireModel;
  /** The control point's start (its Fourier matrix, not trained, is used as it is). */
  start: WireModel;
  data: EvalData;
  /** t samples this shard evaluates per step. */
  members: number;
  flavour?: KernelFlavour;
}

/** One step's gradients: per member ∂L/∂φ(t_k) in flattenModel's order, and its loss. */
export interface CurveShardGrads {
  grads: Float32Array[];
  loss: Float32Array;
}

/**
 * φ = (a·c_a + θ·c_θ) + b·c_b elementwise, each product and sum rounded to float32: the tfjs
 * trainer's order (src/engine/tf/curve.ts), so both paths build the same point.
 */
export function combine3(
  [ca, ct, cb]: readonly number[],
  a: Float32Array,
  t: Float32Array,
  b: Float32Array,
  out: Float32Array,
): Float32Array {
  const f = Math.fround;
  const [fa, ft, fb] = [f(ca!), f(ct!), f(cb!)];
  for (let i = 0; i < out.length; i++) out[i] = f(f(f(a[i]! * fa) + f(t[i]! * ft)) + f(b[i]! * fb));
  return out;
}

/** A shard's members of a curve step on one kernel (gradients-only entry). */
export class CurveShard {
  private readonly kernel: MlpKernel;
  private readonly a: Float32Array;
  private readonly b: Float32Array;
  private readonly enc: [Float32Array, Float32Array, Float32Array] | null;
  private readonly point: Float32Array;
  private readonly encPoint: Float32Array | undefined;
  /** Whether the data arrived on shared memory (not copied into this worker). */
  readonly sharedData: boolean;

  constructor(init: CurveShardInit) {
    const { arch, data, members } = init;
    const [a, b, start]: Model[] = [init.a, init.b, init.start].map((m) => ({ arch, params: m.params }));
    this.a = flattenModel(a!);
    this.b = flattenModel(b!);
    const enc = (m: Model) => m.params[ENCODING_NAME]!.data;
    this.enc = arch.encoding ? [enc(a!), enc(start!), enc(b!)] : null;
    this.point = new Float32Array(this.a.length);
    this.encPoint = this.enc ? new Float32Array(this.enc[0].length) : undefined;
    this.kernel = fullBatchKernel(
      Array.from({ length: members }, () => start!),
      data,
      { lr: 0, gradients: true, ...(init.flavour ? { flavour: init.flavour } : {}) },
    );
    this.sharedData = dataIsShared(data);
  }

  get flavour(): KernelFlavour {
    return this.kernel.flavour;
  }

  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  /** Gradients at φ_θ(t_k) for each member's coefficients (one triple per member). */
  gradients(theta: Float32Array, coeffs: readonly (readonly number[])[]): CurveShardGrads {
    if (coeffs.length !== this.kernel.k)
      throw new RangeError(`curve shard holds ${this.kernel.k} t samples, got ${coeffs.length}`);
    if (theta.length !== this.a.length) throw new RangeError('curve shard: θ has the wrong size');
    coeffs.forEach((c, k) => {
      const e = this.enc;
      this.kernel.setFlat(
        k,
        combine3(c, this.a, theta, this.b, this.point),
        e ? combine3(c, e[0], e[1], e[2], this.encPoint!) : undefined,
      );
    });
    const grads = this.kernel.gradients();
    return { grads, loss: this.kernel.lastLoss() };
  }
}
