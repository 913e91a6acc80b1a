/**
 * Generates the WGSL population kernel for one plan (plan.ts): two compute shaders that make a
 * whole Adam (or SGD) step of K MLPs in two dispatches, whatever the depth, the widths and K.
 *
 * 1. `grads`, one workgroup of 64 threads per (tile, member). A tile is `chunks` runs of S = 32
 *    examples (pixels, or a minibatch's rows); for each chunk the workgroup walks the layers in
 *    order, every layer one cooperative tiled GEMM (gemm-wgsl.ts): Z = W·H_l as [out, S] blocks,
 *    the epilogue adding the bias and writing H_{l+1} = act(Z) and D_{l+1} = act′(Z) to the tile's
 *    slice of a global scratch buffer [K, tiles, Σ widths × S]; then the loss and dLoss/dOutput
 *    per example; then backward, last layer first: dW = G·H_lᵀ (a GEMM [out, in] of depth S) added
 *    into the tile's row of the partials [K, tiles, stride], db = ΣG, and for hidden inputs
 *    G_l = (Wᵀ·G)·D_l (a GEMM [in, S] of depth out) written over D_l. A workgroup only ever reads
 *    scratch it wrote itself, so storageBarrier() between layers is all the ordering it needs, and
 *    the whole pass stays one dispatch. Mode 1 (the uniform) runs forward only (evaluation,
 *    scoring): per-tile loss sums and the predictions.
 * 2. `adam`, one thread per (parameter, member): sums the tiles' partials in a fixed order and
 *    applies Adam in place, in the operation order of src/engine/tf/adam.ts (PyTorch's Adam,
 *    Kingma & Ba 2015, Alg. 1), or SGD with momentum as torch.optim.SGD.
 *
 * Why this shape on a GPU (it replaced a thread-per-pixel kernel that kept each pixel's
 * activations in private arrays and read every weight from storage in its inner loops): private
 * arrays indexed by a loop variable live in local memory once they outgrow the registers (spills
 * at every access), and their size capped a network at 2048 activations and 256-wide layers, so
 * MNIST's 784 inputs never ran. Here each weight and activation a GEMM needs is loaded once per
 * 32 × 32 output block into workgroup memory with coalesced loads and reused 32 times from there;
 * each thread keeps a 4 × 4 register block (four vec4 accumulators: 16 FMAs per 8 shared-memory
 * reads); nothing is indexed dynamically in private memory; workgroup memory is 4 KiB (of the 16
 * KiB every device has) whatever the widths, so no layer is too wide. The cost is a 32-row block
 * of work for layers narrower than 32 (a 13-wide layer wastes most of its block); those nets are
 * small enough that the two dispatches' fixed cost dominates. Measured only on SwiftShader so far
 * (the CPU, CPU time on a shared 2-core VM; no GPU was at hand): SIREN 2→64→64→64→1 on 256 pixels 78 ms a step against the old
 * kernel's 108 (K = 8: 530 against 774), ReLU 2→32→32→1 at K = 8 154 against 210, a 2→13→11→1
 * SIREN 13 against 9 — the old kernel was retired rather than kept for narrow nets: one kernel,
 * one plan, and the narrow case is the one that matters least on a GPU.
 *
 * Maths as the tfjs reference (src/engine/tf/stack.ts): SIREN h = sin(w0·(Wx + b)) (Sitzmann et
 * al. 2020), ReLU with random Fourier features γ(x) = [sin 2πBx, cos 2πBx] (Tancik et al. 2020),
 * a linear last layer plus outputOffset. sin and cos are Cephes' single-precision routines (as the
 * wasm kernel's simd-math.ts), not the GPU's built-ins, whose error WGSL leaves unbounded outside
 * [−π, π] while w0·z reaches tens.
 */
import { COS, PIO2, SIN } from '../simd-math';
import { GEMM_SHARED, GEMM_SHARED_BYTES, gemm } from './gemm-wgsl';
import { GRID, WORKGROUP_BYTES, type WgslPlan } from './plan';

/** A WGSL f32 literal. */
const f = (x: number): string => {
  const s = Math.fround(x).toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
};
const u = (x: number): string => `${x}u`;

/**
 * The uniform both shaders read: the mode, the optimiser's per-step scalars, and for minibatches
 * the examples this dispatch takes.
 */
const UNIFORM = `
struct Step {
  mode: u32,
  lrbc: f32,
  b1: f32,
  c1: f32,
  b2: f32,
  c2: f32,
  sbc2: f32,
  eps: f32,
  count: u32,
  gscale: f32,
  wd: f32,
  mom: f32,
  started: u32,
  reset: u32,
  lr: f32,
  pad: u32,
}
@group(0) @binding(0) var<uniform> st: Step;
`;

/**
 * Floats of the uniform (16 × 4 bytes): mode (0 train, 1 forward only); Adam's lr/(1 − β₁ᵗ), β₁,
 * 1 − β₁, β₂, 1 − β₂, √(1 − β₂ᵗ), ε; the examples of this dispatch and 1/count (CE); L2 decay λ;
 * SGD's momentum μ, whether its buffer exists yet, and lr; whether the epoch's loss sum restarts.
 */
export const UNIFORM_FLOATS = 16;

/** Where each scalar sits in the uniform (float index). */
export const U = {
  mode: 0,
  lrbc: 1,
  b1: 2,
  c1: 3,
  b2: 4,
  c2: 5,
  sbc2: 6,
  eps: 7,
  count: 8,
  gscale: 9,
  wd: 10,
  mom: 11,
  started: 12,
  reset: 13,
  lr: 14,
} as const;

const GELU_C = 0.7978845608028654; // √(2/π), the tanh approximation (Hendrycks & Gimpel 2016)
const GELU_A = 0.044715;

/**
 * tanh as the wasm kernel computes it (simd-math.ts): sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|),
 * absolute error ~1e-7; WGSL's built-in tanh has no error bound near 0 on every device.
 */
const TANH = `
fn tanh_(x: f32) -> f32 {
  let e = exp(-2.0f * abs(x));
  let t = (1.0f - e) / (1.0f + e);
  return select(t, -t, x < 0.0f);
}
`;

/** sin and cos together: Cody–Waite reduction by π/2 in three parts, minimax polynomials (Cephes). */
const SINCOS = `
fn sincos(x: f32) -> vec2<f32> {
  let k = round(x * ${f(2 / Math.PI)});
  let q = i32(k) & 3;
  var r = x - k * ${f(PIO2[0]!)};
  r = r - k * ${f(PIO2[1]!)};
  r = r - k * ${f(PIO2[2]!)};
  let r2 = r * r;
  let s = r + r * r2 * (${f(SIN[0]!)} + r2 * (${f(SIN[1]!)} + r2 * ${f(SIN[2]!)}));
  let c = 1.0f - r2 * 0.5f + r2 * r2 * (${f(COS[0]!)} + r2 * (${f(COS[1]!)} + r2 * ${f(COS[2]!)}));
  // Quadrant q: sin x = (s, c, −s, −c)[q], cos x = (c, −s, −c, s)[q].
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
`;

/** Where dLoss/dH_l sits in the scratch: the outputs' slot for l = L, else D_l's. */
const gradOff = (p: WgslPlan, l: number): number => (l === p.widths.length - 1 ? p.hOff[l]! : p.dOff[l]!);

/** H_l[i, n] (the layer's input i of chunk example n) as a WGSL expression. */
function hAt(p: WgslPlan, l: number, i: string, n: string): string {
  if (p.hOff[l]! < 0) return `xs[src(cx.base + ${n}, cx.k) * ${u(p.inputs)} + ${i}]`;
  return `scratch[cx.sb + ${u(p.hOff[l]!)} + ${i} * ${u(p.s)} + ${n}]`;
}

/** The first layer's input when it is Fourier features: γ(x) of every example of the chunk into H_0. */
function inputCode(p: WgslPlan): string {
  if (p.features === 0) return '';
  // The projection summed in tfjs's matmul order (x₀B₀ + x₁B₁ + …), then scaled by 2π.
  const terms = Array.from(
    { length: p.inputs },
    (_, j) => `xs[pc * ${u(p.inputs)} + ${u(j)}] * enc[eb + fi * ${u(p.inputs)} + ${u(j)}]`,
  ).join(' + ');
  const h0 = `cx.sb + ${u(p.hOff[0]!)}`;
  return `let eb = k * ${u(p.features * p.inputs)};
    for (var e = tid; e < ${u(p.features * p.s)}; e += ${u(p.threads)}) {
      let fi = e / ${u(p.s)};
      let n = e % ${u(p.s)};
      let pc = src(cx.base + n, k);
      let sc = sincos((${terms}) * ${f(2 * Math.PI)});
      scratch[${h0} + fi * ${u(p.s)} + n] = sc.x;
      scratch[${h0} + (${u(p.features)} + fi) * ${u(p.s)} + n] = sc.y;
    }
    storageBarrier();`;
}

/** Layer l's forward epilogue: bias, then the activation and its derivative (or the output). */
function forwardOut(p: WgslPlan, l: number): string {
  const L = p.widths.length - 1;
  const at = (off: number): string => `scratch[cx.sb + ${u(off)} + m * ${u(p.s)} + n]`;
  const hidden: Record<WgslPlan['activation'], string> = {
    sine: `let sc = sincos(z * ${f(p.w0)});
  ${at(p.hOff[l + 1]!)} = sc.x;
  ${at(p.dOff[l + 1]!)} = sc.y * ${f(p.w0)};`,
    relu: `${at(p.hOff[l + 1]!)} = max(z, 0.0f);
  ${at(p.dOff[l + 1]!)} = select(0.0f, 1.0f, z > 0.0f);`,
    tanh: `let t = tanh_(z);
  ${at(p.hOff[l + 1]!)} = t;
  ${at(p.dOff[l + 1]!)} = 1.0f - t * t;`,
    // 0.5·z·(1 + tanh(c(z + a z³))) and the derivative tfjs takes of stack.ts's expression,
    // 0.5(1 + t) + 0.5·z·(1 − t²)·c(1 + 3a z²), as gemm-wat.ts's epilogue.
    gelu: `let z2 = z * z;
  let t = tanh_((z + z2 * z * ${f(GELU_A)}) * ${f(GELU_C)});
  ${at(p.hOff[l + 1]!)} = z * 0.5f * (t + 1.0f);
  ${at(p.dOff[l + 1]!)} = 0.5f * (1.0f + t) + (0.5f * z * (1.0f - t * t)) * (${f(GELU_C)} * (1.0f + ${f(3 * GELU_A)} * z2));`,
  };
  const store = l === L - 1 ? `${at(p.hOff[L]!)} = z + ${f(p.outputOffset)};` : hidden[p.activation];
  return `fn fwd${l}(m: u32, n: u32, acc: f32, cx: Ctx) {
  let z = acc + params[cx.pb + ${u(p.bOff[l]!)} + m];
  ${store}
}`;
}

/** Layer l's backward epilogues: dW into the tile's partials, dLoss/dH_l = (Wᵀ·G)·D_l in place of D_l. */
function backwardOut(p: WgslPlan, l: number): string {
  const dw = `fn dw${l}(m: u32, n: u32, acc: f32, cx: Ctx) {
  let at = cx.gb + ${u(p.wOff[l]!)} + m * ${u(p.widths[l]!)} + n;
  if (cx.first) { partials[at] = acc; } else { partials[at] = partials[at] + acc; }
}`;
  if (l === 0) return dw;
  return `${dw}
fn dh${l}(m: u32, n: u32, acc: f32, cx: Ctx) {
  let at = cx.sb + ${u(p.dOff[l]!)} + m * ${u(p.s)} + n;
  scratch[at] = acc * scratch[at];
}`;
}

/** Layer l forward for the chunk: Z = W·H_l, one cooperative GEMM [out, S]. */
function forwardCode(p: WgslPlan, l: number): string {
  const win = p.widths[l]!;
  const w = `params[cx.pb + ${u(p.wOff[l]!)} + `;
  return `${gemm(
    {
      m: p.widths[l + 1]!,
      n: p.s,
      k: win,
      a: (m, k) => `${w}${m} * ${u(win)} + ${k}]`,
      aAlongK: true,
      b: (k, n) => hAt(p, l, k, n),
      bAlongK: p.hOff[l]! < 0,
      out: `fwd${l}`,
    },
    `fwd${l}`,
  )}
    storageBarrier();`;
}

/**
 * Layer l backward: dW = G·H_lᵀ over the chunk (GEMM [out, in], depth S), db = ΣG, then for l > 0
 * the input's gradient Wᵀ·G (GEMM [in, S], depth out) times the activation's derivative.
 */
function backwardCode(p: WgslPlan, l: number): string {
  const win = p.widths[l]!;
  const wout = p.widths[l + 1]!;
  const S = p.s;
  const g = (o: string, n: string): string =>
    `scratch[cx.sb + ${u(gradOff(p, l + 1))} + ${o} * ${u(S)} + ${n}]`;
  const dW = gemm(
    {
      m: wout,
      n: win,
      k: S,
      a: (m, k) => g(m, k),
      aAlongK: true,
      b: (k, n) => hAt(p, l, n, k),
      bAlongK: p.hOff[l]! >= 0,
      out: `dw${l}`,
    },
    `dw${l}`,
  );
  const down =
    l === 0
      ? ''
      : gemm(
          {
            m: win,
            n: S,
            k: wout,
            a: (m, k) => `params[cx.pb + ${u(p.wOff[l]!)} + ${k} * ${u(win)} + ${m}]`,
            aAlongK: false,
            b: (k, n) => g(k, n),
            bAlongK: false,
            out: `dh${l}`,
          },
          `dh${l}`,
        );
  return `${dW}
    for (var o = tid; o < ${u(wout)}; o += ${u(p.threads)}) {
      var acc = 0.0f;
      for (var q = 0u; q < ${u(S)}; q++) { acc += ${g('o', 'q')}; }
      let at = cx.gb + ${u(p.bOff[l]!)} + o;
      if (cx.first) { partials[at] = acc; } else { partials[at] = partials[at] + acc; }
    }${down}
    storageBarrier();`;
}

/**
 * The loss of example n and dLoss/dOutput in place of its outputs. MSE: squared error against the
 * target, scaled by 2/(N·C). CE: logsumexp − the label's logit (the tfjs trainer's crossEntropy),
 * gradient (softmax − one-hot)/count, so that the step is that of the batch's mean; forward only,
 * each example's cross-entropy and whether its argmax (the first largest, as tf.argMax) is right.
 */
function lossCode(p: WgslPlan): string {
  const C = p.channels;
  const y = (j: string): string =>
    `scratch[cx.sb + ${u(p.hOff[p.widths.length - 1]!)} + ${j} * ${u(p.s)} + n]`;
  const head = `let px = cx.base + n;
      let pc = src(px, k);
      let real = px < ${p.loss === 'mse' ? u(p.n) : 'st.count'};`;
  if (p.loss === 'mse')
    return `${head}
      for (var j = 0u; j < ${u(C)}; j++) {
        let yo = ${y('j')};
        let err = select(0.0f, yo - ys[pc * ${u(C)} + j], real);
        total += err * err;
        ${y('j')} = err * ${f(p.gradScale)};
        if (real) { pred[(k * ${u(p.n)} + px) * ${u(C)} + j] = yo; }
      }`;
  return `${head}
      var mx = ${y('0u')};
      var arg = 0u;
      for (var j = 1u; j < ${u(C)}; j++) { if (${y('j')} > mx) { mx = ${y('j')}; arg = j; } }
      var sum = 0.0f;
      for (var j = 0u; j < ${u(C)}; j++) { sum += exp(${y('j')} - mx); }
      let lab = ys[pc];
      let se = select(0.0f, mx + log(sum) - ${y('lab')}, real);
      total += se;
      for (var j = 0u; j < ${u(C)}; j++) {
        let hot = select(0.0f, 1.0f, j == lab);
        ${y('j')} = select(0.0f, (exp(${y('j')} - mx) / sum - hot) * st.gscale, real);
      }
      if (real && st.mode == 1u) {
        pred[(k * ${u(p.n)} + px) * 2u] = se;
        pred[(k * ${u(p.n)} + px) * 2u + 1u] = select(0.0f, 1.0f, arg == lab);
      }`;
}

/** The data row of chunk example `px`: a pixel of the grid, or row `rows[k, px]` of the data set. */
function srcCode(p: WgslPlan): string {
  if (p.loss === 'mse') return `fn src(px: u32, k: u32) -> u32 { return min(px, ${u(p.n - 1)}); }`;
  return `fn src(px: u32, k: u32) -> u32 {
  return select(0u, rows[k * ${u(p.n)} + min(px, ${u(p.n - 1)})], px < st.count);
}`;
}

/** The forward + backward shader (entry point `grads`). */
export function gradsShader(p: WgslPlan): string {
  const L = p.widths.length - 1;
  const ce = p.loss === 'ce';
  if (GEMM_SHARED_BYTES + 4 * p.threads > WORKGROUP_BYTES)
    throw new Error('GEMM tiles exceed workgroup memory');
  const layers = Array.from({ length: L }, (_, l) => forwardCode(p, l)).join('');
  const back = Array.from({ length: L }, (_, l) => backwardCode(p, L - 1 - l)).join('');
  const epilogues = Array.from({ length: L }, (_, l) => `${forwardOut(p, l)}\n${backwardOut(p, l)}`).join(
    '\n',
  );
  return `${UNIFORM}
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> ys: array<${ce ? 'u32' : 'f32'}>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> pred: array<f32>;
${p.features > 0 ? '@group(0) @binding(7) var<storage, read> enc: array<f32>;' : ''}
${ce ? '@group(0) @binding(8) var<storage, read> rows: array<u32>;' : ''}
@group(0) @binding(9) var<storage, read_write> scratch: array<f32>;
${GEMM_SHARED}
var<workgroup> red: array<f32, ${p.threads}>;
${p.features > 0 || p.activation === 'sine' ? SINCOS : ''}
${p.activation === 'tanh' || p.activation === 'gelu' ? TANH : ''}
/** This workgroup's member and tile: its parameters, partials and scratch, the chunk's first example. */
struct Ctx { k: u32, pb: u32, gb: u32, sb: u32, base: u32, first: bool }
${srcCode(p)}
${epilogues}
@compute @workgroup_size(${p.threads})
fn grads(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let t = wg.x;
  let k = wg.y;
  let tx = tid % ${u(GRID)};
  let ty = tid / ${u(GRID)};
  var cx: Ctx;
  cx.k = k;
  cx.pb = k * ${u(p.stride)};
  cx.gb = (k * ${u(p.tiles)} + t) * ${u(p.stride)};
  cx.sb = (k * ${u(p.tiles)} + t) * ${u(p.scratch)};
  var total = 0.0f;
  for (var c = 0u; c < ${u(p.chunks)}; c++) {
    cx.base = (t * ${u(p.chunks)} + c) * ${u(p.s)};
    cx.first = c == 0u;
    ${inputCode(p)}
    ${layers}
    for (var n = tid; n < ${u(p.s)}; n += ${u(p.threads)}) {
      ${lossCode(p)}
    }
    storageBarrier();
    if (st.mode == 0u) {${back}
    }
  }
  red[tid] = total;
  workgroupBarrier();
  if (tid == 0u) {
    var sum = 0.0f;
    for (var q = 0u; q < ${u(p.threads)}; q++) { sum += red[q]; }
    loss[k * ${u(p.tiles)} + t] = sum;
  }
}
`;
}

/** The update of one parameter from its summed gradient: Adam, or SGD with momentum. */
function updateCode(p: WgslPlan): string {
  if (p.optimizer === 'sgd')
    // torch.optim.SGD (optimizers.ts): b = g on the first step, then b = μb + d; θ −= lr·b.
    return `var dir = grad;
  if (st.mom > 0.0f) {
    if (st.started != 0u) { dir = m1[i] * st.mom + dir; }
    m1[i] = dir;
  }
  params[i] = params[i] - dir * st.lr;`;
  return `let m = m1[i] * st.b1 + grad * st.c1;
  let v = m2[i] * st.b2 + (grad * grad) * st.c2;
  m1[i] = m;
  m2[i] = v;
  params[i] = params[i] - (m / (sqrt(v) / st.sbc2 + st.eps)) * st.lrbc;`;
}

/**
 * The reduce + update shader (entry point `adam`, whichever the optimiser), one thread per
 * (parameter, member): the tiles' partials summed in a fixed order, L2 decay added to the
 * gradient (g + λθ, as torch and optimizers.ts), then the update in place. For CE, thread 0 of
 * each member also adds the step's loss sum to the epoch's (no read-back per step).
 */
export function adamShader(p: WgslPlan): string {
  const ce = p.loss === 'ce';
  return `${UNIFORM}
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
${p.optimizer === 'adam' ? '@group(0) @binding(4) var<storage, read_write> m2: array<f32>;' : ''}
${ce ? '@group(0) @binding(5) var<storage, read> loss: array<f32>;\n@group(0) @binding(6) var<storage, read_write> epoch: array<f32>;' : ''}

@compute @workgroup_size(${ADAM_WORKGROUP})
fn adam(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let k = id.y;
  ${
    ce
      ? `if (j == 0u) {
    var s = 0.0f;
    for (var t = 0u; t < ${u(p.tiles)}; t++) { s += loss[k * ${u(p.tiles)} + t]; }
    epoch[k] = select(epoch[k], 0.0f, st.reset != 0u) + s;
  }`
      : ''
  }
  if (j >= ${u(p.stride)}) { return; }
  var grad = 0.0f;
  for (var t = 0u; t < ${u(p.tiles)}; t++) { grad += partials[(k * ${u(p.tiles)} + t) * ${u(p.stride)} + j]; }
  let i = k * ${u(p.stride)} + j;
  if (st.wd > 0.0f) { grad = grad + params[i] * st.wd; }
  ${updateCode(p)}
}
`;
}

/** Dispatches one step records: forward + backward, then reduce + update, at any depth and K. */
export const WGSL_DISPATCHES_PER_STEP = 2;

/** Threads per workgroup of the Adam shader. */
export const ADAM_WORKGROUP = 64;
