/**
 * The cooperative tiled GEMM every layer of the WGSL kernel is made of (mlp-wgsl.ts): one
 * workgroup of THREADS threads computes C[M, N] = A[M, K] · B[K, N] block by block, BLOCK × BLOCK
 * outputs at a time. For each DEPTH-deep slice of K the workgroup stages an A tile [BLOCK, DEPTH]
 * and a B tile [DEPTH, BLOCK] in workgroup memory (the classic shared-memory tiling of Volkov &
 * Demmel 2008), then each thread of the GRID × GRID grid accumulates a REG × REG register block in
 * four vec4 accumulators; each thread then hands its finished entries to an epilogue function.
 *
 * Shaped for GPUs: tiles are loaded with consecutive threads on consecutive addresses of whichever
 * dimension is contiguous in memory (coalesced: `aAlongK` / `bAlongK` say which), a thread owns
 * rows ty + GRID·r and columns tx + GRID·c (interleaved, so the threads of a row read consecutive
 * words of the B tile: no bank conflicts), and nothing is kept in private arrays: the accumulators
 * are four named vec4s, read back by constant-bounded loops the compiler can unroll.
 *
 * Each output entry sums its K products in order 0…K−1, as the sequential loops of the tfjs
 * reference's matmul would; a slice past K (or a row/column past M/N) is zero-filled, which adds
 * exact zeros.
 */
import { BLOCK, DEPTH, GRID, REG, THREADS } from './plan';

const u = (x: number): string => `${x}u`;

export interface Gemm {
  m: number;
  n: number;
  k: number;
  /** A[m, k] as a WGSL expression of the u32 names given (clamped in range by the caller). */
  a: (m: string, k: string) => string;
  /** Whether consecutive k (true) or consecutive m (false) of A are adjacent in memory. */
  aAlongK: boolean;
  b: (k: string, n: string) => string;
  /** Whether consecutive k (true) or consecutive n (false) of B are adjacent in memory. */
  bAlongK: boolean;
  /** The epilogue: a WGSL function `(m: u32, n: u32, acc: f32, cx: Ctx)` called per output. */
  out: string;
}

/** Workgroup arrays the GEMMs stage their tiles in (declared once per shader). */
export const GEMM_SHARED = `var<workgroup> ta: array<f32, ${BLOCK * DEPTH}>;
var<workgroup> tb: array<f32, ${BLOCK * DEPTH}>;`;

/** Bytes of workgroup memory GEMM_SHARED takes. */
export const GEMM_SHARED_BYTES = 2 * 4 * BLOCK * DEPTH;

/**
 * Loads one tile [rows of `outer`, DEPTH of k] of an operand into `arr` as arr[kk·BLOCK + o]: the
 * flat index walks k fastest when k is contiguous, else the other dimension, so loads coalesce.
 */
function loadTile(
  arr: string,
  at: (o: string, k: string) => string,
  alongK: boolean,
  outerBase: string,
  outerSize: number,
  depth: number,
  kSize: number,
): string {
  const [oo, kk] = alongK ? [`e / ${u(depth)}`, `e % ${u(depth)}`] : [`e % ${u(BLOCK)}`, `e / ${u(BLOCK)}`];
  const conds: string[] = [];
  if (outerSize % BLOCK !== 0) conds.push(`o < ${u(outerSize)}`);
  if (kSize % depth !== 0) conds.push(`q < ${u(kSize)}`);
  const value = at(
    conds.length ? `min(o, ${u(outerSize - 1)})` : 'o',
    conds.length ? `min(q, ${u(kSize - 1)})` : 'q',
  );
  return `for (var e = tid; e < ${u(BLOCK * depth)}; e += ${u(THREADS)}) {
          let o = ${outerBase} + ${oo};
          let q = kb + ${kk};
          ${arr}[(${kk}) * ${u(BLOCK)} + ${oo}] = ${conds.length ? `select(0.0f, ${value}, ${conds.join(' && ')})` : value};
        }`;
}

/** The WGSL of one GEMM, for the body of a shader whose threads are `tid`, `tx`, `ty`. */
export function gemm(g: Gemm, name: string): string {
  const depth = Math.min(DEPTH, g.k);
  const rows = Array.from({ length: REG }, (_, r) => r);
  const conds: string[] = [];
  if (g.m % BLOCK !== 0) conds.push(`m < ${u(g.m)}`);
  if (g.n % BLOCK !== 0) conds.push(`n < ${u(g.n)}`);
  const call = `${name}(m, n, acc[c], cx);`;
  // One call site (a loop the compiler may unroll) rather than REG² inlined epilogues: the
  // shader's size, and so its compile time, stays small whatever the depth.
  const epilogue = `for (var r = 0u; r < ${u(REG)}; r++) {
        let acc = ${rows.slice(1).reduce((e, r) => `select(${e}, c${r}, r == ${u(r)})`, 'c0')};
        let m = mb + ty + r * ${u(GRID)};
        for (var c = 0u; c < ${u(REG)}; c++) {
          let n = nb + tx + c * ${u(GRID)};
          ${conds.length ? `if (${conds.join(' && ')}) { ${call} }` : call}
        }
      }`;
  return `
  for (var mb = 0u; mb < ${u(g.m)}; mb += ${u(BLOCK)}) {
    for (var nb = 0u; nb < ${u(g.n)}; nb += ${u(BLOCK)}) {
      ${rows.map((r) => `var c${r} = vec4<f32>(0.0f);`).join(' ')}
      for (var kb = 0u; kb < ${u(g.k)}; kb += ${u(depth)}) {
        ${loadTile('ta', (o, k) => g.a(o, k), g.aAlongK, 'mb', g.m, depth, g.k)}
        ${loadTile('tb', (o, k) => g.b(k, o), g.bAlongK, 'nb', g.n, depth, g.k)}
        workgroupBarrier();
        for (var kk = 0u; kk < ${u(depth)}; kk++) {
          let ko = kk * ${u(BLOCK)};
          let b = vec4<f32>(${rows.map((c) => `tb[ko + tx + ${u(GRID * c)}]`).join(', ')});
          ${rows.map((r) => `c${r} += ta[ko + ty + ${u(GRID * r)}] * b;`).join('\n          ')}
        }
        workgroupBarrier();
      }
      ${epilogue}
    }
  }`;
}
