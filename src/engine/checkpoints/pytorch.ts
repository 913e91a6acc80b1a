import { DECODED_BYTES, ImportBudget } from './budget';
import { decodeTensor } from './convert';
import { PDict, PStorage, PTensor, unpickle, walkTensors, type PValue } from './pickle';
import {
  checkShape,
  DTYPE_SIZE,
  isFloatDType,
  PytorchError,
  type CheckpointContents,
  type CheckpointFile,
  type CheckpointReader,
  type RawTensor,
} from './types';
import { isZip, ZipArchive, type ZipEntry } from './zip';

/**
 * PyTorch's zip checkpoint (torch.save since 1.6, `torch/serialization.py`): an archive
 * `<name>/data.pkl` (the pickled object, storages replaced by persistent ids), `<name>/data/<key>`
 * (raw storage bytes), `<name>/version` and optionally `<name>/byteorder`.
 *
 * Only the pickle, the byteorder record and the storages the pickle names are read. Each storage
 * is decoded once, whatever number of tensors view it (its bytes are charged to the import budget
 * once), and a contiguous tensor is a view on that decoded storage, never a copy.
 */

const make = (m: string): PytorchError => new PytorchError(m);

function pickleEntry(zip: ZipArchive): ZipEntry | undefined {
  return zip.entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
}

/** Magic: a zip holding `<dir>/data.pkl` (torch.save writes it first, so usually one look). */
function looksLikeTorchZip(b: Uint8Array): boolean {
  if (!isZip(b) || b.length < 30) return false;
  const nameLen = b[26]! | (b[27]! << 8);
  const name = new TextDecoder().decode(b.subarray(30, Math.min(b.length, 30 + nameLen)));
  if (/^[^/]+\/data\.pkl$/.test(name)) return true;
  // Writers other than torch.save may order records differently: consult the directory.
  try {
    return pickleEntry(new ZipArchive(b)) !== undefined;
  } catch {
    return false;
  }
}

/** Picks the model weights out of common wrappers (never following a cycle), else the whole dict. */
function stateDict(root: PValue): PDict {
  if (!(root instanceof PDict))
    throw make('the checkpoint holds a pickled object that is not a dict; save model.state_dict() instead');
  const seen = new Set<PDict>();
  let d = root;
  for (;;) {
    seen.add(d);
    const inner = ['state_dict', 'model_state_dict', 'model']
      .map((k) => d.entries.get(k))
      .find((v): v is PDict => v instanceof PDict);
    if (!inner) return d;
    if (seen.has(inner)) throw make('the pickle holds a dict that contains itself; a state_dict never does');
    d = inner;
  }
}

/** A storage decoded once: float32 or int32 values (null for int64 values outside int32). */
type Decoded = Float32Array | Int32Array | null;

class Storages {
  private readonly decoded = new Map<string, { storage: PStorage; values: Decoded }>();
  constructor(
    private readonly zip: ZipArchive,
    private readonly dir: string,
    private readonly littleEndian: boolean,
    private readonly budget: ImportBudget,
  ) {}

  /** The storage's values, decoded on first use and charged to the budget once. */
  get(s: PStorage, tensor: string): Decoded {
    const id = `${s.key}:${s.dtype}`;
    const hit = this.decoded.get(id);
    if (hit) {
      if (hit.storage.numel !== s.numel)
        throw make(`storage ${s.key} is declared with two sizes (${hit.storage.numel} and ${s.numel})`);
      return hit.values;
    }
    const entry = this.zip.get(`${this.dir}/data/${s.key}`);
    if (!entry) throw make(`tensor ${tensor} refers to storage ${s.key}, which the archive lacks`);
    const need = s.numel * DTYPE_SIZE[s.dtype];
    if (entry.size < need)
      throw make(`tensor ${tensor}: storage ${s.key} holds ${entry.size} bytes, needs ${need}`);
    this.budget.charge(
      'tensor',
      s.numel * DECODED_BYTES,
      `storage ${s.key} (${s.numel} ${s.dtype} values)`,
      make,
    );
    const bytes = this.zip.read(entry);
    // A deflated entry was inflated into a fresh buffer of ours: decode it in place when it can be.
    const t = decodeTensor(s.key, s.dtype, [s.numel], bytes, 0, this.littleEndian, entry.method !== 0);
    const values = t.data ?? t.intData ?? null;
    this.decoded.set(id, { storage: s, values });
    return values;
  }
}

function materialise(name: string, t: PTensor, storages: Storages, budget: ImportBudget): RawTensor {
  const { dtype, numel } = t.storage;
  // Each dimension on its own, zeros included: [0, 2²⁸] must not pass because its product is 0.
  checkShape(
    t.shape,
    budget.limits.maxTensorBytes / DECODED_BYTES,
    `tensor ${name}`,
    make,
    budget.limits.maxRank,
    'the tensor budget allows (limit maxTensorBytes)',
  );
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n > numel)
    throw make(
      `tensor ${name}: shape [${t.shape.join(', ')}] has more elements than its storage; a view that repeats storage elements (stride 0) is not supported; save tensor.contiguous()`,
    );
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  if (n > 0 && last >= numel)
    throw make(`tensor ${name}: shape [${t.shape.join(', ')}] with its strides reads past its storage`);
  let contiguous = true;
  for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
    if (t.shape[i]! !== 1 && t.stride[i] !== s) contiguous = false;
    s *= t.shape[i]!;
  }
  const src = storages.get(t.storage, name);
  if (!src) return { name, dtype, shape: t.shape, data: null };
  const float = isFloatDType(dtype);
  if (contiguous || n === 0) {
    // A view on the decoded storage: tensors that share a storage share its memory.
    const view = src.subarray(t.offset, t.offset + n);
    return float
      ? { name, dtype, shape: t.shape, data: view as Float32Array }
      : { name, dtype, shape: t.shape, data: null, intData: view as Int32Array };
  }
  // A strided view (e.g. a saved transpose): gather row-major into a new buffer.
  budget.charge('tensor', n * DECODED_BYTES, `tensor ${name} (a strided view, gathered)`, make);
  const out = float ? new Float32Array(n) : new Int32Array(n);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let o = t.offset;
    for (let d = 0; d < idx.length; d++) o += idx[d]! * t.stride[d]!;
    out[i] = src[o]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out instanceof Float32Array
    ? { name, dtype, shape: t.shape, data: out }
    : { name, dtype, shape: t.shape, data: null, intData: out };
}

/** Reads a torch.save zip checkpoint holding a state_dict. */
export function readPytorch(file: CheckpointFile, budget = new ImportBudget()): CheckpointContents {
  budget.checkFiles([file], make);
  const zip = new ZipArchive(file.bytes, budget);
  const pkl = pickleEntry(zip);
  if (!pkl) throw make(`${file.name} is a zip but has no <name>/data.pkl; it is not a torch.save checkpoint`);
  const dir = pkl.name.slice(0, pkl.name.indexOf('/'));
  const order = zip.get(`${dir}/byteorder`);
  if (order && order.size > 16)
    throw make(`${file.name}: the byteorder record is ${order.size} bytes, not "little" or "big"`);
  const littleEndian = order ? new TextDecoder().decode(zip.read(order)).trim() !== 'big' : true;
  budget.charge('header', pkl.size, `${pkl.name} (the pickle)`, make);
  const root = unpickle(zip.read(pkl), budget.limits);
  const storages = new Storages(zip, dir, littleEndian, budget);
  const found = walkTensors(stateDict(root), budget.limits);
  // The storages' declared sizes together, before the first one is inflated.
  const keys = new Set(found.map((t) => t.tensor.storage.key));
  zip.reserve([...keys].flatMap((k) => zip.get(`${dir}/data/${k}`) ?? []));
  const tensors: RawTensor[] = [];
  for (const { name, tensor } of found) {
    budget.countTensor(name, make);
    tensors.push(materialise(name, tensor, storages, budget));
  }
  if (tensors.length === 0) throw make(`${file.name} holds no tensors`);
  return { format: 'pytorch', tensors, metadata: {} };
}

export const pytorchReader: CheckpointReader = {
  id: 'pytorch',
  label: 'PyTorch state_dict (.pt/.pth, torch.save zip format)',
  match: (files) => files.length === 1 && looksLikeTorchZip(files[0]!.bytes),
  read: (files, budget) => readPytorch(files[0]!, budget),
};

/** Legacy (pre-1.6 or `_use_new_zipfile_serialization=False`) files start with a pickle. */
export const legacyPytorchReader: CheckpointReader = {
  id: 'pytorch-legacy',
  label: 'legacy PyTorch (refused with advice)',
  match: (files) => files.length === 1 && files[0]!.bytes[0] === 0x80 && (files[0]!.bytes[1] ?? 0) <= 5,
  read: (files) => {
    throw make(
      `${files[0]!.name} is a raw pickle (legacy torch.save format). Weightscope reads the zip format that ` +
        'torch.save writes by default since PyTorch 1.6; re-save it with torch.save(state_dict, path).',
    );
  },
};
