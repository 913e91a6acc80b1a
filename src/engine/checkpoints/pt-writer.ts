import type { Model } from '../model';
import { encodeFloats, FLOAT_SIZE, type FloatDType } from './encode';
import { exportTensors, type TensorLayout } from './layout';
import { writeStoredZip } from './zip';

/**
 * Writes a model as PyTorch's zip checkpoint, byte for byte the structure `torch.save(
 * model.state_dict(), f)` produces (torch 1.13, `torch/serialization.py` `_save`): records
 * `<archive>/data.pkl` (a protocol-2 pickle of an `OrderedDict` whose values are
 * `torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, requires_grad,
 * backward_hooks)`), one storage per tensor at `<archive>/data/<n>` (raw little-endian, aligned
 * to 64 bytes), `<archive>/byteorder` and `<archive>/version`. The pickle uses only opcodes and
 * globals that `torch.load(f, weights_only=True)` accepts, so it opens as a plain state_dict.
 */

/** torch storage class per dtype (`torch.FloatStorage`…), as the pickle names them. */
const STORAGE: Readonly<Record<FloatDType, string>> = {
  F32: 'FloatStorage',
  F64: 'DoubleStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
};

/** A minimal protocol-2 pickle emitter: just the opcodes a state_dict needs. */
class PickleWriter {
  private readonly bytes: number[] = [];
  private readonly enc = new TextEncoder();

  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  /** GLOBAL 'module\nname\n'. */
  global(module: string, name: string): this {
    return this.op(0x63, ...this.enc.encode(`${module}\n${name}\n`));
  }
  /** BINUNICODE: u32 length + UTF-8. */
  str(s: string): this {
    const b = this.enc.encode(s);
    return this.op(0x58, ...u32le(b.length), ...b);
  }
  /** BININT1 / BININT2 / BININT (signed 32-bit), the smallest that holds n. */
  int(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`cannot pickle ${n}`);
    if (n < 0x100) return this.op(0x4b, n);
    if (n < 0x10000) return this.op(0x4d, n & 0xff, n >> 8);
    return this.op(0x4a, ...u32le(n));
  }
  /** A tuple of ints: EMPTY_TUPLE, TUPLE1–3, or MARK … TUPLE. */
  ints(xs: readonly number[]): this {
    if (xs.length === 0) return this.op(0x29);
    if (xs.length > 3) this.op(0x28);
    for (const x of xs) this.int(x);
    return this.op([0, 0x85, 0x86, 0x87][xs.length] ?? 0x74);
  }
  /** `collections.OrderedDict()`: GLOBAL, EMPTY_TUPLE, REDUCE. */
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').op(0x29, 0x52);
  }
  done(): Uint8Array {
    return Uint8Array.from([...this.bytes, 0x2e]); // STOP
  }
}

const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Row-major strides of a shape, as PyTorch's contiguous tensors have. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/**
 * `.pt` bytes of a model: tensors named, oriented and typed as `layout` says (default
 * nn.Sequential names). `archive` is the record prefix (torch uses the file's stem).
 */
export function writePt(model: Model, layout?: TensorLayout, archive = 'archive'): Uint8Array {
  const tensors = exportTensors(model, layout);
  const p = new PickleWriter().op(0x80, 2).orderedDict().op(0x28); // PROTO 2, OrderedDict(), MARK
  const records: { name: string; data: Uint8Array }[] = [];
  tensors.forEach((t, key) => {
    const numel = t.data.length;
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').op(0x28); // MARK (args)
    // Persistent id ('storage', torch.<X>Storage, key, location, numel) → BINPERSID.
    p.op(0x28).str('storage').global('torch', STORAGE[t.dtype]).str(String(key)).str('cpu').int(numel);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(0).ints(t.shape).ints(strides(t.shape));
    p.op(0x89).orderedDict(); // requires_grad False, backward_hooks OrderedDict()
    p.op(0x74, 0x52); // TUPLE, REDUCE
    const bytes = encodeFloats(t.data, t.dtype);
    if (bytes.length !== numel * FLOAT_SIZE[t.dtype]) throw new RangeError(`tensor ${t.name}: bad size`);
    records.push({ name: `${archive}/data/${key}`, data: bytes });
  });
  p.op(0x75); // SETITEMS
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  return writeStoredZip(
    [
      { name: `${archive}/data.pkl`, data: p.done() },
      { name: `${archive}/byteorder`, data: text('little') },
      ...records,
      { name: `${archive}/version`, data: text('3\n') },
    ],
    64,
  );
}
