/**
 * Float32 → the float dtypes a source checkpoint may have used, little-endian, so that an export
 * keeps the dtype of the file it came from. Conversions round to nearest, ties to even, as
 * PyTorch's `tensor.half()` / `tensor.bfloat16()` and NumPy's `astype(float16)` do.
 */

/** The float dtypes a checkpoint may store weights in. */
export type FloatDType = 'F32' | 'F64' | 'F16' | 'BF16';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float32, round to nearest even (overflow → ±Inf, NaN kept). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  // Unbiased exponent; half normals span 2^-14 … 2^15.
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal half: keep 10 mantissa bits, round the 13 dropped ones to nearest even.
    let h = ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is correct
    return sign | h;
  }
  if (e < -25) return sign; // below half the smallest subnormal: ±0
  // Subnormal half: value = m · 2^-24 with m < 1024; the implicit 1 joins the mantissa.
  const full = mant | 0x800000;
  const shift = -e - 1; // 14 + 13 - (e + 14) … drop (shift) bits of the 24-bit significand
  let h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && h & 1)) h++;
  return sign | h;
}

/** bfloat16 bits of a float32 (its top 16 bits, rounded to nearest even; NaN stays NaN). */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Bytes per element of each float dtype. */
export const FLOAT_SIZE: Readonly<Record<FloatDType, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Little-endian bytes of `data` in `dtype` (a fresh buffer). */
export function encodeFloats(data: Float32Array, dtype: FloatDType): Uint8Array {
  const out = new Uint8Array(data.length * FLOAT_SIZE[dtype]);
  const dv = new DataView(out.buffer);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i]!, true);
      break;
    case 'F64':
      for (let i = 0; i < data.length; i++) dv.setFloat64(8 * i, data[i]!, true);
      break;
    case 'F16':
      for (let i = 0; i < data.length; i++) dv.setUint16(2 * i, floatToHalf(data[i]!), true);
      break;
    default:
      for (let i = 0; i < data.length; i++) dv.setUint16(2 * i, floatToBfloat16(data[i]!), true);
  }
  return out;
}
