/// <reference types="@webgpu/types" />
/**
 * The WGSL population kernel's driver: K MLPs of one architecture training together on one
 * GPUDevice, a whole full-batch Adam step in two dispatches (mlp-wgsl.ts), whatever the depth
 * and K. Weights, Adam moments, inputs, targets, gradient partials and the activation scratch live
 * in GPU buffers made once, here; a step only writes the 64-byte uniform (and a classifier's batch
 * rows) and records two dispatches, so nothing is allocated per step (`buffersCreated` counts every
 * buffer this driver ever made). A population whose largest buffer exceeds what the device binds is
 * refused with that buffer named (plan.ts, wgslBuffersFit), so the caller falls back to tfjs.
 *
 * Covered: the INR loss (MSE on the coordinate grid, full batch) with sine (SIREN) or ReLU/tanh/
 * GELU with or without random Fourier features, and classifiers (softmax cross-entropy on
 * minibatches: the data sets resident, each member's batch rows written before each step, Adam or
 * SGD with momentum, L2 decay; wgsl-classifier.ts runs them), at any layer width;
 * `wgslCoverage` (plan.ts) gives the reason for anything else.
 */
import type { ClassificationData, RegressionData } from '../../data/eval-data';
import { ENCODING_NAME, flattenModel, paramCount, unflattenModel, type Model } from '../../model';
import { ADAM_WORKGROUP, adamShader, gradsShader, U, UNIFORM_FLOATS } from './mlp-wgsl';
import { planWgsl, wgslBuffersFit, wgslCoverage, type WgslPlan } from './plan';

export interface WgslOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Tiles per member (tests); default: plan.ts decides. */
  tiles?: number;
  /** Default Adam; SGD with `momentum` as torch.optim.SGD. */
  optimizer?: 'adam' | 'sgd';
  momentum?: number;
  /** L2 weight decay λ added to the gradient (g + λθ). */
  weightDecay?: number;
}

/**
 * Minibatch classification: the data sets (training first, then any scored), resident on the GPU,
 * and the most examples a step or a scoring dispatch takes.
 */
export interface WgslBatches {
  kind: 'classification';
  sets: readonly ClassificationData[];
  batch: number;
}

type KernelData = Omit<RegressionData, 'kind'> | WgslBatches;
const isBatches = (d: KernelData): d is WgslBatches => 'kind' in d && d.kind === 'classification';

/** The device is gone (lost or destroyed): the caller falls back, from the last weights it has. */
export class WgslDeviceLostError extends Error {
  override name = 'WgslDeviceLostError';
}

/** A shader or pipeline failed to compile or validate on this device. */
export class WgslCompileError extends Error {
  override name = 'WgslCompileError';
}

const STORAGE = 0x80; // GPUBufferUsage.STORAGE, spelled out so this module loads without WebGPU globals.
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const UNIFORM = 0x40;

/** K models of one architecture training together in the buffers of one GPUDevice. */
export class WgslKernel {
  readonly plan: WgslPlan;
  readonly k: number;
  /** Buffers this kernel created (all in the constructor; tests check it stays so). */
  buffersCreated = 0;
  /** Dispatches recorded by the last step (2). */
  dispatchesPerStep = 0;
  private readonly like: Model;
  /** Each member's Fourier matrix (fixed: not trained). */
  private readonly encodings: (Float32Array | null)[];
  private readonly opts: Required<Omit<WgslOptions, 'tiles'>>;
  /** Each member's batch rows [K, batch] (CE): filled by the caller before each step. */
  readonly rows: Uint32Array<ArrayBuffer>;
  private readonly buffers: GPUBuffer[] = [];
  private readonly b: Record<
    'uniform' | 'params' | 'm' | 'v' | 'partials' | 'scratch' | 'loss' | 'pred' | 'read' | 'rows' | 'epoch',
    GPUBuffer
  >;
  private readonly uniform = new Float32Array(UNIFORM_FLOATS);
  /** One forward/backward bind group per data set (regression: the one target). */
  private readonly gradsGroups: GPUBindGroup[];
  private readonly adamGroup: GPUBindGroup;
  private t = 0;
  private lost: string | null = null;
  /** Read-backs share one staging buffer, one at a time. */
  private reading: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly device: GPUDevice,
    models: readonly Model[],
    data: KernelData,
    opts: WgslOptions,
    private readonly grads: GPUComputePipeline,
    private readonly adam: GPUComputePipeline,
    plan: WgslPlan,
  ) {
    this.plan = plan;
    this.k = models.length;
    this.like = models[0]!;
    this.encodings = models.map((m) =>
      m.params[ENCODING_NAME] ? m.params[ENCODING_NAME].data.slice() : null,
    );
    this.opts = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      optimizer: 'adam',
      momentum: 0,
      weightDecay: 0,
      ...opts,
    };
    void device.lost.then((info) => {
      this.lost = info.message || info.reason || 'device lost';
    });
    const { k, stride, tiles, n, channels, inputs, features } = plan;
    const params = new Float32Array(k * stride);
    models.forEach((m, j) => params.set(flattenModel(m), j * stride));
    const predFloats = k * n * (plan.loss === 'ce' ? 2 : channels);
    this.rows = new Uint32Array(plan.loss === 'ce' ? k * n : 0);
    this.b = {
      uniform: this.buffer(4 * UNIFORM_FLOATS, UNIFORM | COPY_DST),
      params: this.buffer(4 * params.length, STORAGE | COPY_SRC | COPY_DST, params),
      m: this.buffer(4 * params.length, STORAGE | COPY_SRC | COPY_DST),
      v: this.buffer(4 * params.length, STORAGE | COPY_SRC | COPY_DST),
      partials: this.buffer(4 * k * tiles * stride, STORAGE),
      scratch: this.buffer(4 * k * tiles * plan.scratch, STORAGE),
      loss: this.buffer(4 * k * tiles, STORAGE | COPY_SRC),
      pred: this.buffer(4 * predFloats, STORAGE | COPY_SRC),
      read: this.buffer(4 * Math.max(params.length, predFloats, k * tiles), MAP_READ | COPY_DST),
      rows: this.buffer(4 * this.rows.length, STORAGE | COPY_DST),
      epoch: this.buffer(4 * k, STORAGE | COPY_SRC),
    };
    // Every data set's inputs and targets (labels as u32), uploaded once.
    const sets = isBatches(data)
      ? data.sets.map((d) => ({ x: d.x, y: Uint32Array.from(d.labels) as Float32Array | Uint32Array }))
      : [{ x: data.x.subarray(0, n * inputs), y: data.y.subarray(0, n * channels) }];
    const shared: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.b.uniform } },
      { binding: 1, resource: { buffer: this.b.params } },
      { binding: 4, resource: { buffer: this.b.partials } },
      { binding: 5, resource: { buffer: this.b.loss } },
      { binding: 6, resource: { buffer: this.b.pred } },
      { binding: 9, resource: { buffer: this.b.scratch } },
    ];
    if (features > 0) {
      const enc = new Float32Array(k * features * inputs);
      models.forEach((m, j) => enc.set(m.params[ENCODING_NAME]!.data, j * features * inputs));
      shared.push({ binding: 7, resource: { buffer: this.buffer(4 * enc.length, STORAGE, enc) } });
    }
    if (plan.loss === 'ce') shared.push({ binding: 8, resource: { buffer: this.b.rows } });
    this.gradsGroups = sets.map(({ x, y }) =>
      device.createBindGroup({
        layout: grads.getBindGroupLayout(0),
        entries: [
          ...shared,
          { binding: 2, resource: { buffer: this.buffer(4 * x.length, STORAGE, x) } },
          { binding: 3, resource: { buffer: this.buffer(4 * y.length, STORAGE, y) } },
        ],
      }),
    );
    const update: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.b.uniform } },
      { binding: 1, resource: { buffer: this.b.params } },
      { binding: 2, resource: { buffer: this.b.partials } },
      { binding: 3, resource: { buffer: this.b.m } },
    ];
    if (plan.optimizer === 'adam') update.push({ binding: 4, resource: { buffer: this.b.v } });
    if (plan.loss === 'ce')
      update.push(
        { binding: 5, resource: { buffer: this.b.loss } },
        { binding: 6, resource: { buffer: this.b.epoch } },
      );
    this.adamGroup = device.createBindGroup({ layout: adam.getBindGroupLayout(0), entries: update });
  }

  /**
   * Compiles the kernel for this population on `device` (asynchronously: a pipeline that fails to
   * compile rejects with WgslCompileError, so the caller can fall back and say why).
   */
  static async create(
    device: GPUDevice,
    models: readonly Model[],
    data: KernelData,
    opts: WgslOptions,
  ): Promise<WgslKernel> {
    const arch = models[0]!.arch;
    const why = wgslCoverage(arch);
    if (why) throw new Error(`WGSL kernel cannot train this model: ${why}`);
    if (models.length > 65535) throw new RangeError('the WGSL kernel takes at most 65,535 members');
    const batches = isBatches(data);
    const plan = batches
      ? planWgsl(arch, models.length, data.batch, data.sets[0]!.inputs, data.sets[0]!.classes, opts.tiles, {
          loss: 'ce',
          optimizer: opts.optimizer ?? 'adam',
        })
      : planWgsl(arch, models.length, data.n, data.inputs, data.channels, opts.tiles, {
          optimizer: opts.optimizer ?? 'adam',
        });
    const setRows = batches ? Math.max(...data.sets.map((d) => d.n)) : plan.n;
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const tooBig = wgslBuffersFit(plan, setRows, limit);
    if (tooBig) throw new RangeError(tooBig);
    // One shader at a time: error scopes are a stack, and two interleaved pops would swap them.
    const pipeline = async (code: string, entryPoint: string): Promise<GPUComputePipeline> => {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code });
      let made: GPUComputePipeline | null = null;
      let failure = '';
      try {
        made = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
      } catch (e) {
        const info = await module.getCompilationInfo();
        const msgs = info.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
        failure = `${e instanceof Error ? e.message : String(e)} ${msgs}`;
      }
      const err = await device.popErrorScope();
      if (err) failure = `${failure} ${err.message}`.trim();
      if (!made || failure) throw new WgslCompileError(`${entryPoint} shader failed: ${failure}`);
      return made;
    };
    const grads = await pipeline(gradsShader(plan), 'grads');
    const adam = await pipeline(adamShader(plan), 'adam');
    device.pushErrorScope('validation');
    const kernel = new WgslKernel(device, models, data, opts, grads, adam, plan);
    const err = await device.popErrorScope();
    if (err) {
      kernel.dispose();
      throw new WgslCompileError(`WGSL kernel buffers failed to validate: ${err.message}`);
    }
    return kernel;
  }

  private buffer(bytes: number, usage: number, init?: Float32Array | Uint32Array): GPUBuffer {
    const size = Math.max(16, (bytes + 3) & ~3);
    const buf = this.device.createBuffer({ size, usage, mappedAtCreation: Boolean(init) });
    if (init) {
      if (init instanceof Uint32Array) new Uint32Array(buf.getMappedRange()).set(init);
      else new Float32Array(buf.getMappedRange()).set(init);
      buf.unmap();
    }
    this.buffersCreated += 1;
    this.buffers.push(buf);
    return buf;
  }

  private check(): void {
    if (this.lost !== null) throw new WgslDeviceLostError(`GPU device lost: ${this.lost}`);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * Writes the uniform: mode 0 (train: the optimiser's scalars for step t at rate `lr`) or 1
   * (forward only); `count` examples this dispatch (CE), `reset` restarts the epoch's loss sum.
   */
  private writeUniform(mode: 0 | 1, lr = this.opts.lr, count = this.plan.n, reset = false): void {
    const { beta1, beta2, eps, momentum, weightDecay } = this.opts;
    const u = this.uniform;
    const w = new Uint32Array(u.buffer);
    w[U.mode] = mode;
    u[U.lrbc] = lr / (1 - beta1 ** Math.max(1, this.t));
    u[U.b1] = beta1;
    u[U.c1] = 1 - beta1;
    u[U.b2] = beta2;
    u[U.c2] = 1 - beta2;
    u[U.sbc2] = Math.sqrt(1 - beta2 ** Math.max(1, this.t));
    u[U.eps] = eps;
    w[U.count] = count;
    u[U.gscale] = 1 / count;
    u[U.wd] = weightDecay;
    u[U.mom] = momentum;
    w[U.started] = this.t > 1 ? 1 : 0;
    w[U.reset] = reset ? 1 : 0;
    u[U.lr] = lr;
    this.device.queue.writeBuffer(this.b.uniform, 0, u);
  }

  /** Records the forward(+backward) dispatch on data set `set`; returns the dispatches recorded (1). */
  private recordGrads(pass: GPUComputePassEncoder, set = 0): number {
    pass.setPipeline(this.grads);
    pass.setBindGroup(0, this.gradsGroups[set]!);
    // Every tile, even past a short batch's end: the update sums every tile's partials.
    pass.dispatchWorkgroups(this.plan.tiles, this.k);
    return 1;
  }

  /**
   * One step of every member: two dispatches in one submission; nothing waits for the GPU.
   * Classifiers pass the step's rate (a schedule), the examples in each member's batch (its rows
   * in `rows` [K, batch]) and whether it starts an epoch (the epoch's loss sum restarts).
   */
  step(batch?: { lr: number; count: number; reset: boolean }): void {
    this.check();
    this.t += 1;
    if (this.plan.loss === 'ce') {
      if (!batch || batch.count < 1 || batch.count > this.plan.n)
        throw new RangeError(`a classifier step takes 1 to ${this.plan.n} examples`);
      this.device.queue.writeBuffer(this.b.rows, 0, this.rows);
      this.writeUniform(0, batch.lr, batch.count, batch.reset);
    } else this.writeUniform(0);
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    let dispatches = this.recordGrads(pass);
    pass.setPipeline(this.adam);
    pass.setBindGroup(0, this.adamGroup);
    pass.dispatchWorkgroups(Math.ceil(this.plan.stride / ADAM_WORKGROUP), this.k);
    dispatches += 1;
    pass.end();
    this.device.queue.submit([enc.finish()]);
    this.dispatchesPerStep = dispatches;
  }

  /** Copies `floats` from `src` to the staging buffer and reads them back (one read at a time). */
  private read(
    src: GPUBuffer,
    floats: number,
    forward: boolean | { set: number; start: number; count: number },
  ): Promise<Float32Array> {
    const run = async (): Promise<Float32Array> => {
      this.check();
      const enc = this.device.createCommandEncoder();
      if (forward) {
        const chunk = forward === true ? { set: 0, start: 0, count: this.plan.n } : forward;
        if (forward !== true) {
          // Every member reads the same rows start…start+count of the set.
          for (let i = 0; i < chunk.count; i++) this.rows[i] = chunk.start + i;
          for (let k = 1; k < this.k; k++) this.rows.copyWithin(k * this.plan.n, 0, chunk.count);
          this.device.queue.writeBuffer(this.b.rows, 0, this.rows);
        }
        this.writeUniform(1, this.opts.lr, chunk.count);
        const pass = enc.beginComputePass();
        this.recordGrads(pass, chunk.set);
        pass.end();
      }
      enc.copyBufferToBuffer(src, 0, this.b.read, 0, 4 * floats);
      this.device.queue.submit([enc.finish()]);
      try {
        await this.b.read.mapAsync(1 /* GPUMapMode.READ */, 0, 4 * floats);
      } catch (e) {
        this.check();
        throw e;
      }
      const out = new Float32Array(this.b.read.getMappedRange(0, 4 * floats).slice(0));
      this.b.read.unmap();
      return out;
    };
    const next = this.reading.then(run, run);
    this.reading = next.catch(() => undefined);
    return next;
  }

  /** Per-member MSE of the current weights on the full target. */
  async evaluate(): Promise<Float32Array> {
    const { k, tiles, n, channels } = this.plan;
    const se = await this.read(this.b.loss, k * tiles, true);
    const out = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < tiles; t++) s += se[j * tiles + t]!;
      out[j] = s / (n * channels);
    }
    return out;
  }

  /**
   * Classifiers: each member's cross-entropy and correctness [K, batch, 2] (the first `count`
   * examples of each member's row) on rows start…start+count of data set `set`, forward only.
   */
  scoreChunk(set: number, start: number, count: number): Promise<Float32Array> {
    if (this.plan.loss !== 'ce') throw new Error('scoreChunk scores classifiers');
    if (count < 1 || count > this.plan.n) throw new RangeError(`a chunk holds 1 to ${this.plan.n} examples`);
    return this.read(this.b.pred, this.k * this.plan.n * 2, { set, start, count });
  }

  /** Classifiers: each member's cross-entropy summed over the steps since the last reset. */
  epochLossSums(): Promise<Float32Array> {
    return this.read(this.b.epoch, this.k, false);
  }

  /** Every member's reconstruction [K, n, channels] from the current weights. */
  predictions(): Promise<Float32Array> {
    const { k, n, channels } = this.plan;
    return this.read(this.b.pred, k * n * channels, true);
  }

  /** The current weights as K models in PyTorch layout (each keeps its own Fourier matrix). */
  async models(): Promise<Model[]> {
    const { k, stride } = this.plan;
    const flat = await this.read(this.b.params, k * stride, false);
    const n = paramCount(this.like.arch);
    return Array.from({ length: k }, (_, j) => {
      const m = unflattenModel(this.like, flat.subarray(j * stride, j * stride + n));
      const e = this.encodings[j];
      if (e) m.params[ENCODING_NAME] = { data: e.slice(), shape: [this.plan.features, this.plan.inputs] };
      return m;
    });
  }

  /**
   * Every member's optimiser state, flat in `flattenModel` order: Adam's moments, or SGD's
   * momentum buffer in `m` (`v` then zeros), for another engine to continue from (a device
   * that is lost later loses them: callers keep what they read).
   */
  async optimizerState(): Promise<{ steps: number; m: Float32Array[]; v: Float32Array[] }> {
    const { k, stride } = this.plan;
    const steps = this.t;
    const n = paramCount(this.like.arch);
    const split = (flat: Float32Array) =>
      Array.from({ length: k }, (_, j) => flat.slice(j * stride, j * stride + n));
    const m = split(await this.read(this.b.m, k * stride, false));
    const v = split(await this.read(this.b.v, k * stride, false));
    return { steps, m, v };
  }

  dispose(): void {
    for (const b of this.buffers.splice(0)) b.destroy();
  }
}
