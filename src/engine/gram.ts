import { GRAM_WASM_BASE64 } from './wasm/gram-wasm';

/**
 * The engine's one dense CPU kernel: out[i, j] += Σ_k x[i, k] · y[j, k] for x of shape [n, k] and
 * y of shape [m, k] (both row-major; float32 weights are read exactly, sums are float64). Every
 * similarity matrix of alignment (weight matching's per-permutation Σ, activation matching's
 * cross-covariance), PCA's Gram matrix and the CPU forward pass (x·Wᵀ) are this product.
 *
 * 4×4 register blocking: each step of the inner loop loads 8 numbers and does 16 multiply–adds,
 * which is what lets plain JavaScript reach ~4 GFLOP/s here (scalar code; no SIMD).
 */
export function addGramNT(
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  n: number,
  m: number,
  k: number,
  out: Float64Array,
): void {
  const simd = 2 * n * m * k >= SIMD_MIN_FLOPS ? simdModule() : null;
  if (simd) gramSimd(simd, x, y, n, m, k, out, false);
  else gramKernel(x, y, n, m, k, out, false);
}

/**
 * The upper triangle (and diagonal) of out += x·xᵀ for x of shape [n, k]: the Gram matrix of n
 * points, for PCA, at half the cost of `addGramNT(x, x, …)`. The caller mirrors the upper
 * triangle at the end (entries below the diagonal are partly written and must not be read).
 */
export function addGramUpper(x: Float32Array | Float64Array, n: number, k: number, out: Float64Array): void {
  const simd = n * n * k >= SIMD_MIN_FLOPS ? simdModule() : null;
  if (simd) gramSimd(simd, x, x, n, n, k, out, true);
  else gramKernel(x, x, n, n, k, out, true);
}

/**
 * The same products in WebAssembly SIMD (wasm/gram.wat: f64x2, blocks of 2 × 4 rows, two t per
 * vector), about twice the scalar kernel's speed where the engine runs (V8 in Node and in
 * workers). Inputs are copied into the module's memory as float64, zero-padded to the block
 * sizes; the copies are O(nk + mk + nm) against the product's O(nmk), so only products of at least
 * SIMD_MIN_FLOPS take this path. Without WebAssembly SIMD the scalar kernel serves.
 */
interface SimdGram {
  memory: WebAssembly.Memory;
  gram(x: number, y: number, n: number, m: number, k: number, out: number, upper: number): void;
}

const SIMD_MIN_FLOPS = 2 ** 18;
let simdState: SimdGram | null | undefined;
let simdAllowed = true;

/** Turns the SIMD path off (or back on), for tests and benchmarks that compare the two kernels. */
export function useSimdGram(enabled: boolean): void {
  simdAllowed = enabled;
}

function simdModule(): SimdGram | null {
  if (!simdAllowed) return null;
  if (simdState === undefined) {
    try {
      const bytes = Uint8Array.from(atob(GRAM_WASM_BASE64), (c) => c.charCodeAt(0));
      simdState = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as SimdGram;
    } catch {
      simdState = null;
    }
  }
  return simdState;
}

function gramSimd(
  w: SimdGram,
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  n: number,
  m: number,
  k: number,
  out: Float64Array,
  upper: boolean,
): void {
  const k2 = (k + 1) & ~1;
  const m4 = (m + 3) & ~3;
  // With `upper`, y is x: its rows are read up to m4, so x is padded that far.
  const n2 = upper ? m4 : (n + 1) & ~1;
  const xLen = n2 * k2;
  const yLen = upper ? 0 : m4 * k2;
  const oLen = n2 * m4;
  const bytes = 8 * (xLen + yLen + oLen);
  const have = w.memory.buffer.byteLength;
  if (bytes > have) w.memory.grow(Math.ceil((bytes - have) / 65536));
  const heap = new Float64Array(w.memory.buffer, 0, xLen + yLen + oLen);
  heap.fill(0);
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) heap[i * k2 + t] = x[i * k + t]!;
  if (!upper) for (let j = 0; j < m; j++) for (let t = 0; t < k; t++) heap[xLen + j * k2 + t] = y[j * k + t]!;
  const o = xLen + yLen;
  w.gram(0, upper ? 0 : 8 * xLen, n2, m4, k2, 8 * o, upper ? 1 : 0);
  for (let i = 0; i < n; i++) {
    const src = o + i * m4;
    const dst = i * m;
    for (let j = upper ? i : 0; j < m; j++) out[dst + j] = out[dst + j]! + heap[src + j]!;
  }
}

/** out[i, j] += x_i · y_j over 4×4 blocks; with `upper`, only blocks and entries with j ≥ i. */
function gramKernel(
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  n: number,
  m: number,
  k: number,
  out: Float64Array,
  upper: boolean,
): void {
  const n4 = n - (n % 4);
  const m4 = m - (m % 4);
  for (let i = 0; i < n4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = upper ? i : 0; j < m4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let t = 0; t < k; t++) {
        const x0 = x[a0 + t]!,
          x1 = x[a1 + t]!,
          x2 = x[a2 + t]!,
          x3 = x[a3 + t]!;
        const y0 = y[b0 + t]!,
          y1 = y[b1 + t]!,
          y2 = y[b2 + t]!,
          y3 = y[b3 + t]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      const o0 = i * m + j;
      const o1 = o0 + m;
      const o2 = o1 + m;
      const o3 = o2 + m;
      out[o0] = out[o0]! + c00;
      out[o0 + 1] = out[o0 + 1]! + c01;
      out[o0 + 2] = out[o0 + 2]! + c02;
      out[o0 + 3] = out[o0 + 3]! + c03;
      out[o1] = out[o1]! + c10;
      out[o1 + 1] = out[o1 + 1]! + c11;
      out[o1 + 2] = out[o1 + 2]! + c12;
      out[o1 + 3] = out[o1 + 3]! + c13;
      out[o2] = out[o2]! + c20;
      out[o2 + 1] = out[o2 + 1]! + c21;
      out[o2 + 2] = out[o2 + 2]! + c22;
      out[o2 + 3] = out[o2 + 3]! + c23;
      out[o3] = out[o3]! + c30;
      out[o3 + 1] = out[o3 + 1]! + c31;
      out[o3 + 2] = out[o3 + 2]! + c32;
      out[o3 + 3] = out[o3 + 3]! + c33;
    }
  }
  // Ragged edges: the last n % 4 rows against everything (from the diagonal on, with `upper`),
  // and the first n4 rows against the last m % 4 columns.
  for (let i = 0; i < n; i++) {
    const j0 = i < n4 ? m4 : upper ? i : 0;
    for (let j = j0; j < m; j++) {
      let s = 0;
      const a = i * k;
      const b = j * k;
      for (let t = 0; t < k; t++) s += x[a + t]! * y[b + t]!;
      out[i * m + j] = out[i * m + j]! + s;
    }
  }
}

/**
 * Moves `axis` to the front: src viewed as [outer, n, inner] → out [n, outer · inner]. With
 * axis 0 the layout already matches and `src` itself is returned.
 */
export function axisToFront<T extends Float32Array | Float64Array>(
  src: T,
  shape: readonly number[],
  axis: number,
): T {
  if (axis === 0) return src;
  let outer = 1;
  let inner = 1;
  for (let k = 0; k < axis; k++) outer *= shape[k]!;
  for (let k = axis + 1; k < shape.length; k++) inner *= shape[k]!;
  const n = shape[axis]!;
  const out = (
    src instanceof Float32Array ? new Float32Array(src.length) : new Float64Array(src.length)
  ) as T;
  const rowLen = outer * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const from = (o * n + i) * inner;
      const to = i * rowLen + o * inner;
      for (let r = 0; r < inner; r++) out[to + r] = src[from + r]!;
    }
  }
  return out;
}
