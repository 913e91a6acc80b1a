/**
 * The fused MLP population kernel's driver: lays out one WebAssembly memory per population (inputs,
 * targets, every member's weights and Adam moments, the tile buffers), writes the configuration
 * block, and runs a whole Adam step of every member in one call. Nothing is allocated per step:
 * the memory is sized once, here, and never grows (tests/kernels.test.ts checks 1,000 steps).
 *
 * Covered: the INR losses (MSE on the coordinate grid, full batch or each member on its own
 * seeded random pixel subset per step, as PopulationTrainer draws them) with sine (SIREN) or
 * ReLU/tanh/GELU with or without random Fourier features, and classifiers with softmax
 * cross-entropy on mini-batches the caller writes with setBatch / setBatchRows (one shared batch,
 * or one per member); Adam, or SGD with momentum, with L2 weight decay, at a learning rate given
 * per step (one for every member, or one each). Anything else is refused by `kernelCoverage`, so
 * the caller falls back to tfjs with the reason.
 */
import {
  ENCODING_NAME,
  firstLayerInputs,
  flattenModel,
  layerCount,
  paramCount,
  paramShapes,
  sirenW0,
  structuredCloneArch,
  type MlpArch,
  type Model,
} from '../model';
import type { RegressionData } from '../data/eval-data';
import { createRng, type Rng } from '../rng';
import { ACT, CFG, CFG_BYTES, LOSS, MAX_LAYERS, OPT } from './layout';
import { MLP_RELAXED_WASM_BASE64, MLP_SIMD_WASM_BASE64 } from './mlp-wasm';

/** Which build of the kernel runs: relaxed SIMD (fused multiply–add) or plain SIMD. */
export type KernelFlavour = 'relaxed' | 'simd';

/** A regression target shared by every member (an INR's image on its coordinate grid). */
export type KernelRegression = RegressionData;

/** Classification on mini-batches of `batch` examples, written before each step with setBatch. */
export interface KernelClassification {
  kind: 'classification';
  inputs: number;
  classes: number;
  /** Most examples a batch holds (a smaller one, e.g. an epoch's last, masks the rest). */
  batch: number;
  /** Every member gets a batch of its own (setBatchRows with a member); default: one shared batch. */
  perMember?: boolean;
}

/** Rows of a labelled set that batches are gathered from: x [n, inputs], labels [n]. */
export interface BatchSource {
  x: Float32Array;
  labels: Int32Array;
  inputs: number;
}

/**
 * Random pixel subsets (PopulationTrainer's batchFraction < 1): each step every member of the
 * population trains on the pixels whose uniform draw falls below `fraction`, from one seeded
 * stream of K·n draws a step, member-major, and its loss is the mean over its own pixels (Frankle
 * et al. 2020's SGD noise for members trained from one init). A kernel holding members
 * [first, first + k) of the population draws the same stream and keeps its own members' draws.
 */
export interface PixelSubsets {
  /** Probability that a pixel is in a member's subset at a step, in (0, 1). */
  fraction: number;
  /** Seed of the stream (the job's noiseSeed). */
  seed: number;
  /** Members of the whole population (default: this kernel's). */
  population?: number;
  /** The population index of this kernel's first member (default 0). */
  first?: number;
}

export interface KernelOptions {
  /** Learning rate of step() when it is given none. */
  lr: number;
  /** Default Adam; SGD keeps its momentum buffer where Adam keeps m. */
  optimizer?: 'adam' | 'sgd';
  /** SGD momentum μ (default 0). */
  momentum?: number;
  /** L2 weight decay λ added to the gradient (default 0). */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Pixels per tile, a multiple of 8 (default 64: a 64-wide layer's tile is 16 KiB). */
  tile?: number;
  /** Force a build (tests); default: relaxed where the runtime validates it, else plain SIMD. */
  flavour?: KernelFlavour;
  /**
   * Each member fits its own target of the data's size (regression): `data.y` then holds K targets
   * [K, n, C] (or one, copied to every member), and setTarget replaces one. Default: one shared.
   */
  perMemberTargets?: boolean;
  /** Reserve the gradient output block, for gradients() (forward + backward without Adam). */
  gradients?: boolean;
  /** Each member trains on its own random pixel subset per step (regression; see PixelSubsets). */
  pixelSubsets?: PixelSubsets;
  /**
   * Regression: the pixels the loss is a mean over (default the data's n). A kernel holding one
   * chunk of a member's pixels (the pixel split, src/engine/kernels/split-shard.ts) sets the
   * member's whole count, so its gradient is the chunk's share of the whole mean's.
   */
  meanOver?: number;
}

/**
 * The options of the kernel that holds members [k0, k1) of a population of `population` trained
 * with `opts` (a pool's shard): the pixel-subset stream is the population's, read at k0.
 */
export function memberRangeOptions(opts: KernelOptions, k0: number, population: number): KernelOptions {
  const ps = opts.pixelSubsets;
  if (!ps) return opts;
  return {
    ...opts,
    pixelSubsets: { ...ps, population: ps.population ?? population, first: (ps.first ?? 0) + k0 },
  };
}

/** Where the random pixel subsets of a kernel live, and the draws of the last step. */
interface SubsetState {
  fraction: number;
  seed: number;
  population: number;
  first: number;
  rng: Rng;
  /** Population steps whose subsets have been drawn (the stream's position, in steps). */
  drawn: number;
  /** Member k's chosen pixels at [k·n, k·n + counts[k]). */
  picked: Int32Array;
  counts: Int32Array;
  /** Tiles of the drawn batches (the most pixels any member drew, in whole tiles). */
  tiles: number;
  /** Addresses of the batch blocks (per-member inputs, targets, masks, loss scales). */
  at: { x: number; y: number; mask: number; scales: number };
  /**
   * Views made once: the full inputs [inputs, NP] and targets [C, NP] gathered from, and the
   * batch blocks written, x [K, inputs, tiles·P], y [K, C, tiles·P], mask [K, tiles·P], scales [K].
   */
  views: Record<'fullX' | 'fullY' | 'x' | 'y' | 'mask' | 'scales', Float32Array>;
}

interface KernelExports {
  step(k0: number, k1: number, ...adam: number[]): void;
  gradients(k0: number, k1: number): void;
  evaluate(k0: number, k1: number, mode: number): void;
  sincos_test(src: number, dst: number, n: number): void;
}

const modules = new Map<KernelFlavour, WebAssembly.Module | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The compiled kernel of a flavour, or null where the runtime cannot run it. */
export function kernelModule(flavour: KernelFlavour): WebAssembly.Module | null {
  if (!modules.has(flavour)) {
    const bytes = decode(flavour === 'relaxed' ? MLP_RELAXED_WASM_BASE64 : MLP_SIMD_WASM_BASE64);
    let mod: WebAssembly.Module | null = null;
    try {
      if (WebAssembly.validate(bytes)) mod = new WebAssembly.Module(bytes);
    } catch {
      mod = null;
    }
    modules.set(flavour, mod);
  }
  return modules.get(flavour)!;
}

/**
 * The best build this runtime runs, feature-detected with WebAssembly.validate (Node 20 has no
 * relaxed SIMD without a flag; Chromium has it), or null when WebAssembly SIMD itself is missing.
 */
export function bestFlavour(): KernelFlavour | null {
  if (kernelModule('relaxed')) return 'relaxed';
  if (kernelModule('simd')) return 'simd';
  return null;
}

/** Why the kernel cannot train this architecture (null: it can). */
export function kernelCoverage(arch: MlpArch): string | null {
  if (layerCount(arch) < 1) return 'the model has no layers';
  if (layerCount(arch) > MAX_LAYERS) return `more than ${MAX_LAYERS} layers`;
  if (!(arch.activation in ACT)) return `activation ${arch.activation} is not in the kernel`;
  if (arch.encoding && arch.activation === 'sine') return 'Fourier features with sine are not in the kernel';
  if (bestFlavour() === null) return 'this runtime has no WebAssembly SIMD';
  return null;
}

const align16 = (x: number): number => (x + 15) & ~15;

/** K models of one architecture training together in one WebAssembly memory. */
export class MlpKernel {
  readonly arch: MlpArch;
  readonly k: number;
  readonly flavour: KernelFlavour;
  /** Bytes of the kernel's memory (fixed for its lifetime). */
  readonly memoryBytes: number;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: KernelExports;
  private readonly like: Model;
  private readonly opts: Required<
    Omit<KernelOptions, 'flavour' | 'tile' | 'perMemberTargets' | 'gradients' | 'pixelSubsets' | 'meanOver'>
  >;
  /** Examples of the current batch (classification): the mask and the 1/N scale follow it. */
  private rows: number;
  private readonly perMember: boolean;
  private readonly data: KernelRegression | KernelClassification;
  private readonly n: number;
  private readonly tile: number;
  private readonly np: number;
  private readonly stride: number;
  private readonly at: Record<
    'x' | 'y' | 'mask' | 'params' | 'm' | 'v' | 'encoding' | 'lossOut' | 'pred' | 'gradOut',
    number
  >;
  /** Adam steps per member (a member reset with resetMember starts again at 0). */
  private readonly tk: Int32Array;
  /** Random pixel subsets, or null (full batch). */
  private readonly subsets: SubsetState | null;
  /** Pixels each member's last loss was summed over, times the channels (regression). */
  private readonly lossCount: Float64Array;
  private readonly perMemberTargets: boolean;
  /** Views of the memory's blocks, made once (the memory never grows, so they stay valid). */
  private readonly views: {
    xs: Float32Array;
    ys: Int32Array;
    cfgI32: Int32Array;
    cfgF32: Float32Array;
    mask: Float32Array;
    lossOut: Float64Array;
  };

  constructor(models: readonly Model[], data: KernelRegression | KernelClassification, opts: KernelOptions) {
    const arch = models[0]!.arch;
    const why = kernelCoverage(arch);
    if (why) throw new Error(`fused kernel cannot train this model: ${why}`);
    this.flavour = opts.flavour ?? bestFlavour()!;
    const mod = kernelModule(this.flavour);
    if (!mod) throw new Error(`fused kernel: the ${this.flavour} build does not run here`);
    this.arch = arch;
    this.k = models.length;
    this.like = models[0]!;
    this.data = data;
    const {
      beta1 = 0.9,
      beta2 = 0.999,
      eps = 1e-8,
      lr,
      optimizer = 'adam',
      momentum = 0,
      weightDecay = 0,
    } = opts;
    this.opts = { lr, beta1, beta2, eps, optimizer, momentum, weightDecay };
    this.tk = new Int32Array(models.length);
    this.perMemberTargets = opts.perMemberTargets === true;
    if (this.perMemberTargets && data.kind !== 'regression')
      throw new Error('per-member targets are for regression kernels');
    const ps = opts.pixelSubsets;
    if (ps) {
      if (data.kind !== 'regression') throw new Error('pixel subsets are for regression kernels');
      if (this.perMemberTargets)
        throw new Error('pixel subsets with per-member targets are not in the kernel');
      if (!(ps.fraction > 0 && ps.fraction < 1))
        throw new RangeError(`pixel subsets: fraction ${ps.fraction} is not in (0, 1)`);
      const population = ps.population ?? models.length;
      const first = ps.first ?? 0;
      if (!(Number.isInteger(first) && first >= 0 && first + models.length <= population))
        throw new RangeError(`pixel subsets: members ${first}…${first + models.length - 1} of ${population}`);
    }
    this.perMember = data.kind === 'classification' && data.perMember === true;
    const L = layerCount(arch);
    const widths = [firstLayerInputs(arch), ...arch.widths.slice(1)];
    const channels = widths[L]!;
    this.n = data.kind === 'regression' ? data.n : data.batch;
    this.rows = this.n;
    const meanOver = opts.meanOver ?? this.n;
    if (!(Number.isInteger(meanOver) && meanOver >= this.n) || (opts.meanOver && data.kind !== 'regression'))
      throw new RangeError(`meanOver ${opts.meanOver}: a regression kernel's loss is a mean over ≥ n pixels`);
    const tile = opts.tile ?? 64;
    if (tile % 8 !== 0 || tile <= 0) throw new RangeError(`tile ${tile} is not a positive multiple of 8`);
    this.tile = tile;
    const tiles = Math.max(1, Math.ceil(this.n / tile));
    this.np = tiles * tile;
    this.stride = (paramCount(arch) + 3) & ~3;
    const features = arch.encoding?.features ?? 0;
    const inputs = arch.widths[0]!;

    // The memory map (CFG in layout.ts); every block 16-byte aligned.
    let top = CFG_BYTES;
    const take = (bytes: number): number => {
      const p = top;
      top = align16(top + bytes);
      return p;
    };
    const K = this.k;
    const batches = this.perMember ? K : 1;
    const sub = ps
      ? {
          x: take(4 * inputs * this.np * K),
          y: take(4 * channels * this.np * K),
          mask: take(4 * this.np * K),
          scales: take(4 * K),
        }
      : null;
    const at = {
      x: take(4 * inputs * this.np * batches),
      y: take(
        4 * (data.kind === 'regression' ? channels : batches) * this.np * (this.perMemberTargets ? K : 1),
      ),
      mask: take(4 * this.np),
      params: take(4 * K * this.stride),
      grad: take(4 * this.stride),
      m: take(4 * K * this.stride),
      v: take(4 * K * this.stride),
      encoding: take(4 * K * features * inputs),
      lossOut: take(8 * K),
      pred: take(4 * K * channels * this.np),
      g0: take(4 * Math.max(...widths) * tile),
      g1: take(4 * Math.max(...widths) * tile),
      gradOut: opts.gradients ? take(4 * K * this.stride) : 0,
    };
    const hPtr = widths.slice(0, L).map((w) => take(4 * w * tile));
    const dPtr = widths.slice(0, L).map((w, l) => (l === 0 ? 0 : take(4 * w * tile)));
    this.memoryBytes = Math.ceil(top / 65536) * 65536;
    this.memory = new WebAssembly.Memory({ initial: this.memoryBytes / 65536 });
    this.exports = new WebAssembly.Instance(mod, { env: { memory: this.memory } })
      .exports as unknown as KernelExports;
    this.at = at;

    const buf = this.memory.buffer;
    const i32 = new Int32Array(buf, 0, CFG_BYTES / 4);
    const f32 = new Float32Array(buf, 0, CFG_BYTES / 4);
    const put = (off: number, v: number): void => void (i32[off / 4] = v);
    put(CFG.layers, L);
    put(CFG.models, K);
    put(CFG.n, this.n);
    put(CFG.tiles, tiles);
    put(CFG.tile, tile);
    put(CFG.act, ACT[arch.activation as keyof typeof ACT]);
    f32[CFG.w0 / 4] = sirenW0(arch);
    put(CFG.loss, data.kind === 'regression' ? LOSS.mse : LOSS.crossEntropy);
    put(CFG.features, features);
    put(CFG.inputs, inputs);
    put(CFG.stride, this.stride);
    f32[CFG.outputOffset / 4] = arch.outputOffset ?? 0;
    for (const [name, p] of Object.entries(at)) put(CFG[name as keyof typeof at], p);
    // tfjs's mean divides by N·C and squaredDifference's gradient is 2(a − b): 2/(N·C).
    f32[CFG.gradScale / 4] = data.kind === 'regression' ? 2 / (meanOver * channels) : 1 / this.n;
    put(CFG.scales, CFG.gradScale);
    put(CFG.targetStride, this.perMemberTargets ? 4 * channels * this.np : 0);
    put(CFG.optimizer, OPT[this.opts.optimizer]);
    f32[CFG.weightDecay / 4] = this.opts.weightDecay;
    put(CFG.batchPerMember, this.perMember ? 1 : 0);
    widths.forEach((w, l) => put(CFG.widths + 4 * l, w));
    hPtr.forEach((p, l) => put(CFG.hPtr + 4 * l, p));
    dPtr.forEach((p, l) => put(CFG.dPtr + 4 * l, p));
    let off = 0;
    for (const [j, { shape }] of paramShapes(arch).entries()) {
      put((j % 2 === 0 ? CFG.wOff : CFG.bOff) + 4 * (j >> 1), off);
      off += shape.reduce((a, b) => a * b, 1);
    }

    this.views = {
      xs: new Float32Array(buf, at.x, inputs * this.np * batches),
      ys: new Int32Array(buf, at.y, this.np * batches),
      cfgI32: i32,
      cfgF32: f32,
      mask: new Float32Array(buf, at.mask, this.np),
      lossOut: new Float64Array(buf, at.lossOut, K),
    };
    this.lossCount = new Float64Array(K).fill(meanOver * channels);
    this.subsets =
      ps && sub
        ? {
            fraction: ps.fraction,
            seed: ps.seed,
            population: ps.population ?? K,
            first: ps.first ?? 0,
            rng: createRng(ps.seed),
            drawn: 0,
            picked: new Int32Array(K * this.n),
            counts: new Int32Array(K),
            tiles,
            at: sub,
            views: {
              fullX: new Float32Array(buf, at.x, inputs * this.np),
              fullY: new Float32Array(buf, at.y, channels * this.np),
              x: new Float32Array(buf, sub.x, K * inputs * this.np),
              y: new Float32Array(buf, sub.y, K * channels * this.np),
              mask: new Float32Array(buf, sub.mask, K * this.np),
              scales: new Float32Array(buf, sub.scales, K),
            },
          }
        : null;
    const params = new Float32Array(buf, at.params, K * this.stride);
    models.forEach((m, k) => params.set(flattenModel(m), k * this.stride));
    if (features > 0) {
      const enc = new Float32Array(buf, at.encoding, K * features * inputs);
      models.forEach((m, k) => enc.set(m.params[ENCODING_NAME]!.data, k * features * inputs));
    }
    if (data.kind === 'regression') {
      // Feature-major copies, zero padded to whole tiles; the mask zeroes the padding's loss.
      const x = new Float32Array(buf, at.x, inputs * this.np);
      for (let p = 0; p < data.n; p++)
        for (let j = 0; j < inputs; j++) x[j * this.np + p] = data.x[p * inputs + j]!;
      const one = data.n * channels;
      if (this.perMemberTargets) {
        if (data.y.length !== one && data.y.length !== K * one)
          throw new RangeError(
            `per-member targets: expected ${one} or ${K}×${one} values, got ${data.y.length}`,
          );
        for (let k = 0; k < K; k++)
          this.setTarget(k, data.y.length === one ? data.y : data.y.subarray(k * one, (k + 1) * one));
      } else {
        this.setTarget(0, data.y);
      }
      new Float32Array(buf, at.mask, this.np).fill(1, 0, data.n);
    } else {
      new Float32Array(buf, at.mask, this.np).fill(1, 0, data.batch);
    }
  }

  /**
   * Replaces member k's weights (and Fourier matrix) with `model`'s, e.g. to evaluate many models
   * through one kernel. Its Adam moments are left as they are.
   */
  setMember(k: number, model: Model): void {
    if (!(k >= 0 && k < this.k)) throw new RangeError(`member ${k} is outside 0…${this.k - 1}`);
    const flat = flattenModel(model);
    if (flat.length !== paramCount(this.arch)) throw new RangeError('setMember: the architecture differs');
    new Float32Array(this.memory.buffer, this.at.params + 4 * k * this.stride, flat.length).set(flat);
    if (this.arch.encoding) {
      const size = this.arch.encoding.features * this.arch.widths[0]!;
      new Float32Array(this.memory.buffer, this.at.encoding + 4 * k * size, size).set(
        model.params[ENCODING_NAME]!.data,
      );
    }
  }

  /**
   * Member k's target [n, C] (pixel-major, as RegressionData.y); with a shared target (the
   * default) only member 0's slot exists and it is every member's target.
   */
  setTarget(k: number, y: Float32Array): void {
    if (this.data.kind !== 'regression') throw new Error('setTarget is for regression kernels');
    const C = this.channels();
    if (!(k >= 0 && k < (this.perMemberTargets ? this.k : 1)))
      throw new RangeError(
        `target ${k} is outside the kernel's ${this.perMemberTargets ? this.k : 1} target(s)`,
      );
    if (y.length !== this.n * C)
      throw new RangeError(`setTarget: expected ${this.n * C} values, got ${y.length}`);
    const dst = new Float32Array(this.memory.buffer, this.at.y + 4 * k * C * this.np, C * this.np);
    for (let p = 0; p < this.n; p++) for (let c = 0; c < C; c++) dst[c * this.np + p] = y[p * C + c]!;
  }

  /** Member k starts afresh from `model`: its weights replaced, Adam moments and step count zeroed. */
  resetMember(k: number, model: Model): void {
    if (this.subsets) throw new Error('resetMember: members on pixel subsets step together');
    this.setMember(k, model);
    new Float32Array(this.memory.buffer, this.at.m + 4 * k * this.stride, this.stride).fill(0);
    new Float32Array(this.memory.buffer, this.at.v + 4 * k * this.stride, this.stride).fill(0);
    this.tk[k] = 0;
  }

  /**
   * Member k's weights from a flat vector in flattenModel's order, and its Fourier matrix
   * [features, inputs] when given (else unchanged).
   */
  setFlat(k: number, flat: Float32Array, encoding?: Float32Array): void {
    if (!(k >= 0 && k < this.k)) throw new RangeError(`member ${k} is outside 0…${this.k - 1}`);
    if (flat.length !== paramCount(this.arch)) throw new RangeError('setFlat: the architecture differs');
    new Float32Array(this.memory.buffer, this.at.params + 4 * k * this.stride, flat.length).set(flat);
    if (encoding && this.arch.encoding) {
      const size = this.arch.encoding.features * this.arch.widths[0]!;
      if (encoding.length !== size) throw new RangeError(`setFlat: the Fourier matrix has ${size} values`);
      new Float32Array(this.memory.buffer, this.at.encoding + 4 * k * size, size).set(encoding);
    }
  }

  /** Steps taken so far (the most any member has taken). */
  get steps(): number {
    return this.tk.reduce((a, b) => Math.max(a, b), 0);
  }

  /** Adam steps member k has taken. */
  memberSteps(k: number): number {
    return this.tk[k]!;
  }

  /**
   * Forward and backward of members [k0, k1) without an Adam step (kernel built with
   * `gradients: true`): each member's gradient of its loss, [k1 − k0][paramCount] (copies), in
   * flattenModel's order. The loss of the weights used is in lastLoss().
   */
  gradients(k0 = 0, k1 = this.k): Float32Array[] {
    const all = this.gradientsView(k0, k1);
    const n = paramCount(this.arch);
    return Array.from({ length: k1 - k0 }, (_, i) =>
      all.slice((k0 + i) * this.stride, (k0 + i) * this.stride + n),
    );
  }

  /**
   * gradients() without the copies: a view of the whole gradient block, member k's gradient at
   * [k·gradientStride, k·gradientStride + paramCount), valid until the kernel's next call.
   */
  gradientsView(k0 = 0, k1 = this.k): Float32Array {
    if (!this.at.gradOut) throw new Error('gradients(): build the kernel with { gradients: true }');
    if (this.subsets) throw new Error('gradients(): not on pixel subsets');
    this.exports.gradients(k0, k1);
    return new Float32Array(this.memory.buffer, this.at.gradOut, this.k * this.stride);
  }

  /** Floats between members' parameter (and gradient) vectors: paramCount rounded up to 4. */
  get gradientStride(): number {
    return this.stride;
  }

  /** Every member's Adam moments, flat in `flattenModel` order (copies). */
  moments(): { m: Float32Array[]; v: Float32Array[] } {
    const n = paramCount(this.arch);
    const read = (at: number) =>
      Array.from({ length: this.k }, (_, k) =>
        new Float32Array(this.memory.buffer, at + 4 * k * this.stride, n).slice(),
      );
    return { m: read(this.at.m), v: read(this.at.v) };
  }

  /**
   * Continues another trainer's Adam state: `steps` taken (the bias correction) and every member's
   * moments, flat in `flattenModel` order. The weights are set with the constructor or setMember.
   */
  setMoments(steps: number, m: readonly Float32Array[], v: readonly Float32Array[]): void {
    const n = paramCount(this.arch);
    if (m.length !== this.k || v.length !== this.k)
      throw new RangeError(`setMoments: ${m.length} members for ${this.k}`);
    const write = (at: number, xs: readonly Float32Array[]) =>
      xs.forEach((x, k) => {
        if (x.length !== n) throw new RangeError(`setMoments: member ${k} has ${x.length} values, not ${n}`);
        new Float32Array(this.memory.buffer, at + 4 * k * this.stride, n).set(x);
      });
    write(this.at.m, m);
    write(this.at.v, v);
    this.tk.fill(steps);
    const sub = this.subsets;
    if (sub) {
      // The subset stream goes on from step `steps`, as PopulationTrainer.resume advances its own.
      sub.rng = createRng(sub.seed);
      for (let i = steps * sub.population * this.n; i > 0; i--) sub.rng.next();
      sub.drawn = steps;
    }
  }

  /**
   * Writes the next mini-batch (classification): x [batch, inputs] and labels [batch], the same
   * for every member.
   */
  setBatch(x: Float32Array, labels: Int32Array): void {
    if (this.data.kind !== 'classification') throw new Error('setBatch is for classification kernels');
    const { inputs, batch } = this.data;
    if (x.length !== batch * inputs || labels.length !== batch)
      throw new RangeError(`setBatch: expected ${batch} examples of ${inputs} inputs`);
    this.batchRows({ x, labels, inputs }, null, 0, batch, -1);
  }

  /**
   * Gathers examples rows[from…to) of `src` (at most `batch` of them) as member k's batch, or as
   * every member's when k is 'all'. The mask and the 1/N gradient scale follow the count, so a
   * short last batch of an epoch is the mean over its own examples, as in tfjs. Nothing is
   * allocated: the memory's views are made once.
   */
  setBatchRows(
    src: BatchSource,
    rows: Int32Array,
    k: number | 'all' = 'all',
    from = 0,
    to = rows.length,
  ): void {
    if (this.data.kind !== 'classification') throw new Error('setBatchRows is for classification kernels');
    if (src.inputs !== this.data.inputs) throw new RangeError('setBatchRows: the inputs differ');
    if (!(from >= 0 && to <= rows.length && to - from >= 1 && to - from <= this.data.batch))
      throw new RangeError(`setBatchRows: rows ${from}…${to}, the batch holds 1…${this.data.batch}`);
    if (k !== 'all' && !(this.perMember && k >= 0 && k < this.k))
      throw new RangeError(`setBatchRows: member ${k} has no batch of its own`);
    this.batchRows(src, rows, from, to - from, k === 'all' ? -1 : k);
  }

  private batchRows(src: BatchSource, rows: Int32Array | null, from: number, count: number, k: number): void {
    const { inputs, classes } = this.data as KernelClassification;
    const { xs, ys, cfgI32, cfgF32, mask } = this.views;
    const xBase = Math.max(0, k) * inputs * this.np;
    const yBase = Math.max(0, k) * this.np;
    for (let p = 0; p < count; p++) {
      const r = rows ? rows[from + p]! : p;
      for (let j = 0; j < inputs; j++) xs[xBase + j * this.np + p] = src.x[r * inputs + j]!;
      const lab = src.labels[r]!;
      if (!(lab >= 0 && lab < classes)) throw new RangeError(`label ${lab} is outside 0…${classes - 1}`);
      ys[yBase + p] = lab;
    }
    cfgI32[CFG.batchPerMember / 4] = k >= 0 ? 1 : 0;
    if (count !== this.rows) {
      this.rows = count;
      mask.fill(1, 0, count).fill(0, count);
      cfgF32[CFG.gradScale / 4] = 1 / count;
    }
  }

  /** Examples in the current batch (classification) or pixels (regression). */
  get batchSize(): number {
    return this.rows;
  }

  /**
   * One step of members [k0, k1) (default: all) at learning rate `lr`: one for every member, or
   * member k's at lr[k] (e.g. a soup's ingredients, each with its own rate and schedule). Splitting
   * a step into member ranges lets a worker answer messages between ranges; a step is complete
   * only when every member has taken it.
   */
  step(k0 = 0, k1 = this.k, lr: number | ArrayLike<number> = this.opts.lr): void {
    if (this.subsets) this.subsetsFor(k0, k1);
    const rate = typeof lr === 'number' ? (): number => lr : (k: number): number => lr[k]!;
    for (let k = k0; k < k1; k++) this.tk[k]! += 1;
    const { beta1, beta2, eps } = this.opts;
    // Members keep their own step count (Adam's bias correction) and rate: one call per run of equal ones.
    for (let s = k0; s < k1;) {
      const t = this.tk[s]!;
      const r = rate(s);
      let e = s + 1;
      while (e < k1 && this.tk[e] === t && rate(e) === r) e++;
      if (this.opts.optimizer === 'sgd') {
        this.exports.step(s, e, r, this.opts.momentum, 0, 0, 0, 1, 0);
      } else {
        const bc1 = 1 - beta1 ** t;
        const bc2 = 1 - beta2 ** t;
        this.exports.step(s, e, r / bc1, beta1, 1 - beta1, beta2, 1 - beta2, Math.sqrt(bc2), eps);
      }
      s = e;
    }
  }

  /**
   * Points the kernel at the subsets of the step members [k0, k1) are about to take, drawing the
   * next step's for every member when these are the first to take it (members step together).
   */
  private subsetsFor(k0: number, k1: number): void {
    const sub = this.subsets!;
    const t = this.tk[k0]!;
    for (let k = k0; k < k1; k++)
      if (this.tk[k] !== t) throw new Error('pixel subsets: members must take their steps together');
    if (t === sub.drawn) this.drawSubsets(sub);
    else if (t !== sub.drawn - 1) throw new Error(`pixel subsets: step ${t + 1} after ${sub.drawn} drawn`);
    this.pointAt(sub);
    const C = this.channels();
    for (let k = k0; k < k1; k++) this.lossCount[k] = Math.max(sub.counts[k]! * C, 1);
  }

  /**
   * Draws every member's pixels for the next step, exactly as PopulationTrainer's mask(): K·n
   * uniforms of the population's stream, member-major, a pixel in when its draw is below the
   * fraction; gathers them (in pixel order) into the per-member batch blocks, and each member's
   * loss scale 2/max(count·C, 1), the gradient of its mean over the pixels drawn.
   */
  private drawSubsets(sub: SubsetState): void {
    const { n, k: K, tile } = this;
    const C = this.channels();
    const inputs = this.arch.widths[0]!;
    const { rng, picked, counts, fraction } = sub;
    for (let i = sub.first * n; i > 0; i--) rng.next();
    let most = 0;
    for (let k = 0; k < K; k++) {
      let c = 0;
      for (let p = 0; p < n; p++) if (rng.next() < fraction) picked[k * n + c++] = p;
      counts[k] = c;
      most = Math.max(most, c);
    }
    for (let i = (sub.population - sub.first - K) * n; i > 0; i--) rng.next();
    sub.drawn += 1;
    sub.tiles = Math.max(1, Math.ceil(most / tile));
    const np = sub.tiles * tile;
    const v = sub.views;
    const gather = (dst: Float32Array, src: Float32Array, rows: number, k: number, c: number): void => {
      for (let j = 0; j < rows; j++) {
        const d = (k * rows + j) * np;
        const s = j * this.np;
        for (let i = 0; i < c; i++) dst[d + i] = src[s + picked[k * n + i]!]!;
        dst.fill(0, d + c, d + np);
      }
    };
    for (let k = 0; k < K; k++) {
      const c = counts[k]!;
      gather(v.x, v.fullX, inputs, k, c);
      gather(v.y, v.fullY, C, k, c);
      v.mask.fill(1, k * np, k * np + c).fill(0, k * np + c, (k + 1) * np);
      v.scales[k] = 2 / Math.max(c * C, 1);
    }
  }

  /**
   * Points the configuration block at the drawn subsets (each member its own inputs, targets,
   * mask and scale, the per-member batch and target mechanisms), or, with null, back at the full
   * target that evaluate() and predictions() read.
   */
  private pointAt(sub: SubsetState | null): void {
    const i32 = this.views.cfgI32;
    const np = sub ? sub.tiles * this.tile : this.np;
    const put = (off: number, v: number): void => void (i32[off / 4] = v);
    put(CFG.tiles, np / this.tile);
    put(CFG.x, sub ? sub.at.x : this.at.x);
    put(CFG.y, sub ? sub.at.y : this.at.y);
    put(CFG.mask, sub ? sub.at.mask : this.at.mask);
    put(CFG.scales, sub ? sub.at.scales : CFG.gradScale);
    put(CFG.batchPerMember, sub ? 1 : 0);
    put(CFG.targetStride, sub ? 4 * this.channels() * np : 0);
    put(CFG.maskStride, sub ? 4 * np : 0);
    put(CFG.scaleStride, sub ? 4 : 0);
  }

  private channels(): number {
    return this.arch.widths[this.arch.widths.length - 1]!;
  }

  /**
   * Per-member loss of the weights as they were at the start of the last step or gradients()
   * call (computed during it at no extra cost): the MSE, or for classifiers the mean
   * cross-entropy over the batch's examples.
   */
  lastLoss(): Float32Array {
    if (this.data.kind !== 'regression') return Float32Array.from(this.lossSums(), (s) => s / this.rows);
    // On pixel subsets, a step's loss is each member's mean over its own pixels, as tfjs's.
    return Float32Array.from(this.lossSums(), (s, k) => s / this.lossCount[k]!);
  }

  /**
   * The last step's per-member loss summed over its examples, a view into the kernel's memory
   * (squared errors for MSE, cross-entropy in nats for classifiers): read it before the next call.
   */
  lossSums(): Float64Array {
    return this.views.lossOut;
  }

  /**
   * Every member's logits of the current batch, a view [K, classes, paddedRows] into the kernel's
   * memory (no copy): example p of member k, class c at (k·classes + c)·paddedRows + p.
   */
  logits(): Float32Array {
    this.exports.evaluate(0, this.k, 2);
    return new Float32Array(this.memory.buffer, this.at.pred, this.k * this.channels() * this.np);
  }

  /** The row stride of logits(): the batch padded to whole tiles. */
  get paddedRows(): number {
    return this.np;
  }

  /**
   * Per-member MSE of the current weights (regression) on the full target; members outside
   * [k0, k1) keep their last value.
   */
  evaluate(k0 = 0, k1 = this.k): Float32Array {
    if (this.data.kind !== 'regression') throw new Error('evaluate is for regression kernels; use logits');
    if (this.subsets) this.pointAt(null);
    this.exports.evaluate(k0, k1, 1);
    this.lossCount.fill(this.n * this.channels(), k0, k1);
    return this.lastLoss();
  }

  /** Every member's output [K, n, channels] (reconstructions, or logits of the current batch). */
  predictions(): Float32Array {
    if (this.subsets) this.pointAt(null);
    this.exports.evaluate(0, this.k, 2);
    if (this.data.kind === 'regression') this.lossCount.fill(this.n * this.channels());
    const C = this.channels();
    const pred = new Float32Array(this.memory.buffer, this.at.pred, this.k * C * this.np);
    const out = new Float32Array(this.k * this.n * C);
    for (let k = 0; k < this.k; k++)
      for (let c = 0; c < C; c++)
        for (let p = 0; p < this.n; p++) out[(k * this.n + p) * C + c] = pred[(k * C + c) * this.np + p]!;
    return out;
  }

  /** The current weights as K models in PyTorch layout (copies). */
  models(): Model[] {
    const params = new Float32Array(this.memory.buffer, this.at.params, this.k * this.stride);
    const n = paramCount(this.arch);
    const out: Model[] = [];
    const shapes = paramShapes(this.arch);
    for (let k = 0; k < this.k; k++) {
      // The parameter vector is flattenModel's order: each tensor in paramShapes order.
      const flat = params.subarray(k * this.stride, k * this.stride + n);
      const m: Model = { arch: structuredCloneArch(this.like.arch), params: {} };
      let off = 0;
      for (const { name, shape } of shapes) {
        const size = shape.reduce((a, b) => a * b, 1);
        m.params[name] = { data: flat.slice(off, off + size), shape: [...shape] };
        off += size;
      }
      out.push(m);
    }
    // Each member keeps its own Fourier matrix.
    if (this.arch.encoding) {
      const { features } = this.arch.encoding;
      const inputs = this.arch.widths[0]!;
      const enc = new Float32Array(this.memory.buffer, this.at.encoding, this.k * features * inputs);
      out.forEach((m, k) => {
        m.params[ENCODING_NAME] = {
          data: enc.slice(k * features * inputs, (k + 1) * features * inputs),
          shape: [features, inputs],
        };
      });
    }
    return out;
  }

  /** The memory's current size, for leak checks. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }
}

/** sin, cos and exp of xs (length a multiple of 4) by the kernel's own SIMD routines, for tests. */
export function probeKernelMath(
  xs: Float32Array,
  flavour: KernelFlavour,
): { sin: Float32Array; cos: Float32Array; exp: Float32Array } {
  const mod = kernelModule(flavour);
  if (!mod) throw new Error(`the ${flavour} build does not run here`);
  const n = xs.length;
  if (n % 4 !== 0) throw new RangeError('probeKernelMath: length must be a multiple of 4');
  const memory = new WebAssembly.Memory({ initial: Math.ceil((CFG_BYTES + 16 * n) / 65536) });
  const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as KernelExports;
  new Float32Array(memory.buffer, CFG_BYTES, n).set(xs);
  ex.sincos_test(CFG_BYTES, CFG_BYTES + 4 * n, n);
  const out = new Float32Array(memory.buffer, CFG_BYTES + 4 * n, 3 * n).slice();
  return { sin: out.subarray(0, n), cos: out.subarray(n, 2 * n), exp: out.subarray(2 * n, 3 * n) };
}
