/**
 * Elementwise functions in f32x4, emitted inline into the kernel's epilogues: sin and cos
 * together (SIREN needs sin(w0·z) forward and w0·cos(w0·z) backward), exp (softmax, tanh,
 * GELU) and tanh. Both follow Cephes' single-precision routines (Moshier, "Methods and Programs
 * for Mathematical Functions", 1989): Cody–Waite range reduction with a three-part constant,
 * then minimax polynomials on the reduced range.
 */
import { get, iconst, set, vconst, type WatFn } from './wat';

/** π/2 split in three so that k·P1 and k·P2 are exact for |k| < 2¹⁵ (Cephes sinf, doubled). */
export const PIO2 = [1.5703125, 4.837512969970703125e-4, 7.549789954891882e-8];
/** sin r ≈ r + r³(S1 + r²(S2 + r²·S3)) and cos r ≈ 1 − r²/2 + r⁴(C1 + r²(C2 + r²·C3)) on |r| ≤ π/4. */
export const SIN = [-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4];
export const COS = [4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5];

const fmul = (a: string, b: string): string => `(f32x4.mul ${a} ${b})`;
const fadd = (a: string, b: string): string => `(f32x4.add ${a} ${b})`;
const fsub = (a: string, b: string): string => `(f32x4.sub ${a} ${b})`;

/**
 * sOut = sin(x), cOut = cos(x) for the vector in local x. x = k·π/2 + r with k the nearest
 * integer; the quadrant k mod 4 swaps sin and cos and sets the signs. Absolute error ~1e-7 for
 * |x| up to ~10⁴ (tested against Math.sin/cos in tests/kernels-math.test.ts).
 */
export function sincos(f: WatFn, x: string, sOut: string, cOut: string): string {
  const k = f.v('sc_k');
  const q = f.v('sc_q');
  const r = f.v('sc_r');
  const r2 = f.v('sc_r2');
  const s = f.v('sc_s');
  const c = f.v('sc_c');
  const swap = f.v('sc_swap');
  const poly = (z: string, cs: number[]): string =>
    cs
      .slice(0, -1)
      .reverse()
      .reduce((acc, ci) => fadd(vconst(ci), fmul(z, acc)), vconst(cs[cs.length - 1]!));
  return (
    set(k, `(f32x4.nearest ${fmul(get(x), vconst(2 / Math.PI))})`) +
    set(q, `(i32x4.trunc_sat_f32x4_s ${get(k)})`) +
    set(r, fsub(get(x), fmul(get(k), vconst(PIO2[0]!)))) +
    set(r, fsub(get(r), fmul(get(k), vconst(PIO2[1]!)))) +
    set(r, fsub(get(r), fmul(get(k), vconst(PIO2[2]!)))) +
    set(r2, fmul(get(r), get(r))) +
    set(s, fadd(get(r), fmul(fmul(get(r), get(r2)), poly(get(r2), SIN)))) +
    set(
      c,
      fadd(fsub(vconst(1), fmul(get(r2), vconst(0.5))), fmul(fmul(get(r2), get(r2)), poly(get(r2), COS))),
    ) +
    set(swap, `(i32x4.eq (v128.and ${get(q)} ${iconst(1)}) ${iconst(1)})`) +
    // Quadrant q: sin x = (s, c, −s, −c)[q], cos x = (c, −s, −c, s)[q]; bit 1 of q (of q + 1 for
    // cos) shifted to bit 31 is the sign to flip.
    set(
      sOut,
      `(v128.xor (v128.bitselect ${get(c)} ${get(s)} ${get(swap)}) (i32x4.shl (v128.and ${get(q)} ${iconst(2)}) (i32.const 30)))`,
    ) +
    set(
      cOut,
      `(v128.xor (v128.bitselect ${get(s)} ${get(c)} ${get(swap)}) (i32x4.shl (v128.and (i32x4.add ${get(q)} ${iconst(1)}) ${iconst(2)}) (i32.const 30)))`,
    )
  );
}

/** exp(x) = 2ⁿ·e^r with n = round(x·log₂e), |r| ≤ ln2/2 (Cephes expf); x clamped to ±87. */
const EXP = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];

/** out = exp(x) for the vector in local x; relative error ~2e-7 (tested). */
export function exp(f: WatFn, x: string, out: string): string {
  const t = f.v('ex_t');
  const n = f.v('ex_n');
  const r = f.v('ex_r');
  const p = f.v('ex_p');
  let poly = vconst(EXP[0]!);
  for (const ci of EXP.slice(1)) poly = fadd(fmul(poly, get(r)), vconst(ci));
  return (
    set(t, `(f32x4.max (f32x4.min ${get(x)} ${vconst(87.3)}) ${vconst(-87.3)})`) +
    set(n, `(f32x4.nearest ${fmul(get(t), vconst(Math.LOG2E))})`) +
    set(r, fsub(get(t), fmul(get(n), vconst(0.693359375)))) +
    set(r, fadd(get(r), fmul(get(n), vconst(2.1219444e-4)))) +
    set(p, fadd(fadd(fmul(fmul(poly, get(r)), get(r)), get(r)), vconst(1))) +
    set(
      out,
      fmul(
        get(p),
        `(i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${get(n)}) ${iconst(127)}) (i32.const 23))`,
      ),
    )
  );
}

/** out = tanh(x) = sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|); absolute error ~1e-7. */
export function tanh(f: WatFn, x: string, out: string): string {
  const a = f.v('th_a');
  const e = f.v('th_e');
  return (
    set(a, fmul(`(f32x4.abs ${get(x)})`, vconst(-2))) +
    exp(f, a, e) +
    set(
      out,
      `(v128.or (f32x4.div ${fsub(vconst(1), get(e))} ${fadd(vconst(1), get(e))}) (v128.and ${get(x)} ${iconst(-0x80000000)}))`,
    )
  );
}

/**
 * out = ln(x) for positive normal x (the softmax's sum of exponentials, in [1, C]): x = 2ᵉ·m with
 * m in [√½, √2), ln m = 2·atanh(s) = 2s(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9) with s = (m − 1)/(m + 1),
 * |s| ≤ 0.172 (the series' next term is below 1e-9). Used for the cross-entropy the kernel
 * reports, never for a gradient.
 */
export function log(f: WatFn, x: string, out: string): string {
  const e = f.v('lg_e');
  const m = f.v('lg_m');
  const big = f.v('lg_big');
  const s = f.v('lg_s');
  const s2 = f.v('lg_s2');
  let poly = vconst(1 / 9);
  for (const d of [7, 5, 3]) poly = fadd(vconst(1 / d), fmul(get(s2), poly));
  poly = fadd(vconst(1), fmul(get(s2), poly));
  return (
    set(e, `(i32x4.sub (i32x4.shr_u ${get(x)} (i32.const 23)) ${iconst(127)})`) +
    set(m, `(v128.or (v128.and ${get(x)} ${iconst(0x007fffff)}) ${iconst(0x3f800000)})`) +
    set(big, `(f32x4.gt ${get(m)} ${vconst(Math.SQRT2)})`) +
    set(m, `(v128.bitselect ${fmul(get(m), vconst(0.5))} ${get(m)} ${get(big)})`) +
    set(e, `(i32x4.sub ${get(e)} ${get(big)})`) +
    set(s, `(f32x4.div ${fsub(get(m), vconst(1))} ${fadd(get(m), vconst(1))})`) +
    set(s2, fmul(get(s), get(s))) +
    set(
      out,
      fadd(fmul(`(f32x4.convert_i32x4_s ${get(e)})`, vconst(Math.LN2)), fmul(fmul(get(s), vconst(2)), poly)),
    )
  );
}
