import { IMPORT_LIMITS, type ImportLimits } from './budget';
import { PickleError, type DType } from './types';

/**
 * A restricted unpickler: it runs the pickle virtual machine (Python's `pickletools` documents
 * every opcode) over data only. The single place Python would import or call anything — GLOBAL,
 * STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ — is limited to the handful of names a PyTorch
 * `state_dict` needs; any other name is refused *by name* before anything else happens. Nothing
 * from the file is ever executed: "calling" a whitelisted name builds a plain descriptor.
 *
 * The machine runs within budgets (DESIGN.md, "Budgets at every boundary"): opcodes executed,
 * stack slots, memo entries and items in one container are counted as it runs, so 300 M `DUP`s
 * or 17 M `MEMOIZE`s stop at the limit instead of exhausting memory. Shared references stay
 * references (BINGET pushes the same object); the consumer walks the result as a graph
 * (`walkTensors`), visiting each container once and refusing cycles.
 */

/** `torch.XStorage` class names → element dtype. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

/** A whitelisted global, by dotted name. */
export class PGlobal {
  constructor(readonly name: string) {}
}
/** A dict or OrderedDict, keys in insertion order. */
export class PDict {
  readonly entries = new Map<PValue, PValue>();
}
/** A storage named by a persistent id: its zip record key, dtype and element count. */
export class PStorage {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}
/** A tensor view on a storage, as `_rebuild_tensor_v2` describes it. */
export class PTensor {
  constructor(
    readonly storage: PStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PValue =
  null | boolean | number | bigint | string | Uint8Array | PValue[] | PDict | PGlobal | PStorage | PTensor;

const MARK = Symbol('mark');
type Slot = PValue | typeof MARK;

const describeList = (): string =>
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch storage types (FloatStorage, HalfStorage, …)';

function refuse(name: string): never {
  throw new PickleError(
    `the checkpoint's pickle refers to ${name}, which a state_dict never needs; Weightscope never runs code from a file ` +
      `and understands only ${describeList()}. Save the model with torch.save(model.state_dict(), path).`,
  );
}

const asInt = (v: PValue, what: string): number => {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new PickleError(`${what} must be a non-negative integer`);
  return n;
};
const asIntList = (v: PValue, what: string): number[] => {
  if (!Array.isArray(v) || v.length > 16)
    throw new PickleError(`${what} must be a tuple of at most 16 integers`);
  return v.map((x) => asInt(x, what));
};

/** Applies a whitelisted "call", building a descriptor instead of running anything. */
function call(fn: PValue, args: PValue): PValue {
  if (!(fn instanceof PGlobal)) throw new PickleError('REDUCE on something that is not a whitelisted global');
  if (!Array.isArray(args)) throw new PickleError(`${fn.name}: arguments are not a tuple`);
  switch (fn.name) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw new PickleError('OrderedDict with constructor arguments is not supported');
      return new PDict();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof PStorage))
        throw new PickleError(`${fn.name}: first argument is not a storage`);
      const shape = asIntList(size ?? null, 'tensor size');
      const st = asIntList(stride ?? null, 'tensor stride');
      if (st.length !== shape.length) throw new PickleError('tensor size and stride differ in length');
      return new PTensor(storage, asInt(offset ?? null, 'storage offset'), shape, st);
    }
    case 'torch._utils._rebuild_parameter': {
      const [data] = args;
      if (!(data instanceof PTensor)) throw new PickleError('_rebuild_parameter: data is not a tensor');
      return data;
    }
    default:
      throw new PickleError(`${fn.name} cannot be called`);
  }
}

function persistentLoad(pid: PValue): PStorage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
    throw new PickleError('persistent id is not a torch storage record');
  const [, type, key, , numel] = pid;
  if (!(type instanceof PGlobal)) throw new PickleError('storage record without a storage type');
  const dtype = STORAGE_DTYPES[type.name.replace(/^torch\./, '')];
  if (!dtype) throw new PickleError(`unsupported storage type ${type.name}`);
  if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key))
    throw new PickleError('storage key must be a short name');
  return new PStorage(key, dtype, asInt(numel ?? null, 'storage size'));
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The limits the pickle machine runs under (a subset of the import budget). */
export type PickleLimits = Pick<
  ImportLimits,
  'maxPickleOps' | 'maxPickleStack' | 'maxPickleMemo' | 'maxContainerItems' | 'maxNesting' | 'maxTensors'
>;

const over = (what: string, limit: number, unit: string, key: string): PickleError =>
  new PickleError(
    `the pickle ${what} more than ${limit.toLocaleString('en-US')} ${unit} (limit ${key}); a state_dict never needs that many`,
  );

/** Runs the restricted unpickler over `bytes`; returns the top-level value. */
export function unpickle(bytes: Uint8Array, limits: PickleLimits = IMPORT_LIMITS): PValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const need = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0 || p + n > bytes.length)
      throw new PickleError('pickle data ends early (truncated or corrupt)');
    const at = p;
    p += n;
    return at;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0 || end - p > 256) throw new PickleError('pickle text argument is unterminated');
    const s = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const str = (n: number): string => {
    const at = need(n);
    try {
      return utf8.decode(bytes.subarray(at, at + n));
    } catch {
      throw new PickleError('pickle string is not valid UTF-8');
    }
  };
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PValue>();
  let ops = 0;
  const remember = (k: number, v: PValue): void => {
    memo.set(k, v);
    if (memo.size > limits.maxPickleMemo)
      throw over('memo holds', limits.maxPickleMemo, 'entries', 'maxPickleMemo');
  };
  const grown = (n: number): void => {
    if (n > limits.maxContainerItems)
      throw over('builds a list, tuple or dict of', limits.maxContainerItems, 'items', 'maxContainerItems');
  };
  const pop = (): PValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleError('pickle stack underflow');
    return v;
  };
  const top = (): PValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError('pickle stack underflow');
    return v;
  };
  const popMark = (): PValue[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError('pickle MARK missing');
    const items = stack.splice(m).slice(1);
    if (items.some((x) => x === MARK)) throw new PickleError('pickle MARK nesting is broken');
    return items as PValue[];
  };
  const global = (module: string, name: string): PGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED.has(full)) refuse(full);
    return new PGlobal(full);
  };
  const setItems = (d: PValue, kv: PValue[]): void => {
    if (!(d instanceof PDict)) throw new PickleError('SETITEM on something that is not a dict');
    if (kv.length % 2) throw new PickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) d.entries.set(kv[i]!, kv[i + 1]!);
    grown(d.entries.size);
  };
  const getMemo = (k: number): PValue => {
    if (!memo.has(k)) throw new PickleError(`pickle memo ${k} read before it was written`);
    return memo.get(k)!;
  };
  for (;;) {
    if (++ops > limits.maxPickleOps) throw over('runs', limits.maxPickleOps, 'opcodes', 'maxPickleOps');
    if (stack.length > limits.maxPickleStack)
      throw over('stack holds', limits.maxPickleStack, 'values', 'maxPickleStack');
    const op = bytes[need(1)]!;
    switch (op) {
      case 0x80:
        need(1);
        break; // PROTO
      case 0x95:
        need(8);
        break; // FRAME (framing is only a hint for buffered readers)
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        marks.push(stack.length);
        stack.push(MARK);
        break; // MARK
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(new PDict());
        break; // EMPTY_DICT
      case 0x74:
      case 0x6c: {
        const items = popMark();
        grown(items.length);
        stack.push(items);
        break; // TUPLE, LIST
      }
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x64: {
        const kv = popMark();
        const d = new PDict();
        setItems(d, kv);
        stack.push(d);
        break;
      } // DICT
      case 0x61: {
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError('APPEND to a non-list');
        l.push(v);
        grown(l.length);
        break;
      }
      case 0x65: {
        const vs = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError('APPENDS to a non-list');
        grown(l.length + vs.length);
        for (const v of vs) l.push(v);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(dv.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        stack.push(bytes[need(1)]!);
        break; // BININT1
      case 0x4d:
        stack.push(dv.getUint16(need(2), true));
        break; // BININT2
      case 0x8a:
      case 0x8b: {
        // LONG1 / LONG4: little-endian two's complement
        const n = op === 0x8a ? bytes[need(1)]! : dv.getUint32(need(4), true);
        if (n > 64) throw new PickleError('pickle integer wider than 512 bits');
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
        );
        break;
      }
      case 0x47:
        stack.push(dv.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(str(dv.getUint32(need(4), true)));
        break; // BINUNICODE
      case 0x8c:
        stack.push(str(bytes[need(1)]!));
        break; // SHORT_BINUNICODE
      case 0x8d: {
        const lo = dv.getUint32(need(8), true);
        if (dv.getUint32(p - 4, true)) throw new PickleError('pickle string too long');
        stack.push(str(lo));
        break;
      }
      case 0x55:
      case 0x54: {
        // SHORT_BINSTRING / BINSTRING: Python 2 str, read as latin-1
        const n = op === 0x55 ? bytes[need(1)]! : dv.getUint32(need(4), true);
        const at = need(n);
        stack.push(latin1.decode(bytes.subarray(at, at + n)));
        break;
      }
      case 0x43:
      case 0x42: {
        // SHORT_BINBYTES / BINBYTES
        const n = op === 0x43 ? bytes[need(1)]! : dv.getUint32(need(4), true);
        const at = need(n);
        stack.push(bytes.slice(at, at + n));
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('STACK_GLOBAL needs two strings');
        stack.push(global(module, name));
        break;
      }
      case 0x69:
        refuse(`${line()}.${line()}`);
        break; // INST: instantiates a class by name
      case 0x6f: {
        const args = popMark();
        refuse(args[0] instanceof PGlobal ? args[0].name : 'an object constructor (OBJ)');
        break;
      }
      case 0x71:
        remember(bytes[need(1)]!, top());
        break; // BINPUT
      case 0x72:
        remember(dv.getUint32(need(4), true), top());
        break; // LONG_BINPUT
      case 0x94:
        remember(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(getMemo(bytes[need(1)]!));
        break; // BINGET
      case 0x6a:
        stack.push(getMemo(dv.getUint32(need(4), true)));
        break; // LONG_BINGET
      case 0x70:
        remember(Number.parseInt(line(), 10), top());
        break; // PUT
      case 0x67:
        stack.push(getMemo(Number.parseInt(line(), 10)));
        break; // GET
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x52: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        stack.push(call(pop(), args));
        break;
      } // NEWOBJ
      case 0x62: {
        // BUILD: OrderedDict's state is `_metadata` (module versions) — not needed.
        pop();
        const obj = top();
        if (!(obj instanceof PDict) && !(obj instanceof PTensor))
          throw new PickleError('BUILD on an object Weightscope does not know');
        break;
      }
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x82:
      case 0x83:
      case 0x84:
        refuse('an extension-registry object (EXT1/EXT2/EXT4)');
        break;
      default:
        throw new PickleError(
          `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1} is not one a state_dict uses`,
        );
    }
  }
}

/** A tensor found by `walkTensors`, with its dotted name. */
export interface NamedTensor {
  name: string;
  tensor: PTensor;
}

/**
 * The tensors of a state_dict-like value, named by their dotted key paths. The value is walked
 * as a graph: a dict reached a second time (a DAG) is not expanded again — its tensors keep their
 * first names — so a pickle whose dicts share children 12 ways over 9 levels costs 12·9 steps, not
 * 12⁹; a dict that contains itself is refused; nesting past `maxNesting` is refused. A tensor
 * object reached under two keys (tied weights) is listed under both, sharing its storage.
 */
export function walkTensors(root: PDict, limits: PickleLimits = IMPORT_LIMITS): NamedTensor[] {
  const out: NamedTensor[] = [];
  const done = new Set<PDict>();
  const onPath = new Set<PDict>();
  const walk = (d: PDict, prefix: string, depth: number): void => {
    if (onPath.has(d))
      throw new PickleError('the pickle holds a dict that contains itself; a state_dict never does');
    if (done.has(d)) return;
    if (depth > limits.maxNesting)
      throw new PickleError(`the pickle nests dicts more than ${limits.maxNesting} deep (limit maxNesting)`);
    onPath.add(d);
    for (const [k, v] of d.entries) {
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      const name = prefix + String(k);
      if (v instanceof PTensor) {
        out.push({ name, tensor: v });
        if (out.length > limits.maxTensors)
          throw new PickleError(`the pickle holds more than ${limits.maxTensors} tensors (limit maxTensors)`);
      } else if (v instanceof PDict) walk(v, `${name}.`, depth + 1);
    }
    onPath.delete(d);
    done.add(d);
  };
  walk(root, '', 0);
  return out;
}
