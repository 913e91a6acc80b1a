import { DTYPE_SIZE, isFloatDType, type DType, type RawTensor } from './types';

/** IEEE 754 half → float32, exactly (every half is representable in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Copies `len` bytes into a fresh, aligned buffer so typed-array views are always legal. */
function aligned(bytes: Uint8Array, offset: number, len: number): ArrayBuffer {
  return bytes.slice(offset, offset + len).buffer;
}

/**
 * Decodes `n` elements of `dtype` starting at `bytes[offset]` into a RawTensor body. Floats
 * become a fresh Float32Array (never a view on the file, so callers may mutate it); integers
 * become `intData` when every value fits in int32. `littleEndian = false` serves NumPy's '>'.
 * The caller has already checked that `n · size(dtype)` bytes exist. `owned` says `bytes` is a
 * fresh buffer nobody else holds (an inflated zip entry): little-endian float32 at an aligned
 * offset is then viewed in place instead of copied.
 */
export function decodeTensor(
  name: string,
  dtype: DType,
  shape: number[],
  bytes: Uint8Array,
  offset: number,
  littleEndian = true,
  owned = false,
): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const len = n * DTYPE_SIZE[dtype];
  if (owned && dtype === 'F32' && littleEndian && (bytes.byteOffset + offset) % 4 === 0)
    return { name, dtype, shape, data: new Float32Array(bytes.buffer, bytes.byteOffset + offset, n) };
  const buf = aligned(bytes, offset, len);
  if (!littleEndian && DTYPE_SIZE[dtype] > 1) {
    const u = new Uint8Array(buf);
    const s = DTYPE_SIZE[dtype];
    for (let i = 0; i < len; i += s) u.subarray(i, i + s).reverse();
  }
  const base = { name, dtype, shape };
  if (isFloatDType(dtype)) {
    let data: Float32Array;
    switch (dtype) {
      case 'F32':
        data = new Float32Array(buf);
        break;
      case 'F64':
        data = Float32Array.from(new Float64Array(buf));
        break;
      case 'F16': {
        const h = new Uint16Array(buf);
        data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = halfToFloat(h[i]!);
        break;
      }
      default: {
        // bfloat16 is the top half of a float32.
        const h = new Uint16Array(buf);
        const w = new Uint32Array(n);
        for (let i = 0; i < n; i++) w[i] = h[i]! << 16;
        data = new Float32Array(w.buffer);
      }
    }
    return { ...base, data };
  }
  let ints: ArrayLike<number | bigint>;
  switch (dtype) {
    case 'I64':
      ints = new BigInt64Array(buf);
      break;
    case 'I32':
      ints = new Int32Array(buf);
      break;
    case 'I16':
      ints = new Int16Array(buf);
      break;
    case 'I8':
      ints = new Int8Array(buf);
      break;
    default:
      ints = new Uint8Array(buf);
  }
  const intData = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = ints[i]!;
    if (typeof v === 'bigint') {
      if (v > 2147483647n || v < -2147483648n) return { ...base, data: null };
      intData[i] = Number(v);
    } else intData[i] = v;
  }
  return { ...base, data: null, intData };
}

/** Float32 little-endian bytes of a Float32Array (a copy), for writers. */
export function float32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}
