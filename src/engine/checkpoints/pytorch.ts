import { decodeTensor } from './convert';
import { PDict, PTensor, unpickle, type PValue } from './pickle';
import {
  checkFileSize,
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

/** Picks the model weights out of common wrappers, else flattens nested dicts with dots. */
function collectTensors(root: PValue): [string, PTensor][] {
  if (!(root instanceof PDict))
    throw make('the checkpoint holds a pickled object that is not a dict; save model.state_dict() instead');
  for (const key of ['state_dict', 'model_state_dict', 'model']) {
    const inner = root.entries.get(key);
    if (inner instanceof PDict) return collectTensors(inner);
  }
  const out: [string, PTensor][] = [];
  const walk = (d: PDict, prefix: string, depth: number): void => {
    if (depth > 8) return;
    for (const [k, v] of d.entries) {
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      const name = prefix + String(k);
      if (v instanceof PTensor) out.push([name, v]);
      else if (v instanceof PDict) walk(v, `${name}.`, depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}

function materialise(name: string, t: PTensor, storage: Uint8Array, littleEndian: boolean): RawTensor {
  const { dtype, numel } = t.storage;
  const size = DTYPE_SIZE[dtype];
  if (storage.length < numel * size)
    throw make(
      `tensor ${name}: storage ${t.storage.key} holds ${storage.length} bytes, needs ${numel * size}`,
    );
  const n = t.shape.reduce((a, b) => a * b, 1);
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  if (n > 0 && last >= numel)
    throw make(`tensor ${name}: shape [${t.shape.join(', ')}] with its strides reads past its storage`);
  let contiguous = true;
  for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
    if (t.shape[i]! !== 1 && t.stride[i] !== s) contiguous = false;
    s *= t.shape[i]!;
  }
  if (n > numel)
    throw make(
      `tensor ${name}: a view that repeats storage elements (stride 0) is not supported; save tensor.contiguous()`,
    );
  if (contiguous || n === 0)
    return decodeTensor(name, dtype, t.shape, storage, t.offset * size, littleEndian);
  // A strided view (e.g. a saved transpose): decode the storage, then gather row-major.
  const whole = decodeTensor(name, dtype, [numel], storage, 0, littleEndian);
  const src = whole.data ?? whole.intData;
  if (!src) return { name, dtype, shape: t.shape, data: null };
  const out = isFloatDType(dtype) ? new Float32Array(n) : new Int32Array(n);
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
export function readPytorch(file: CheckpointFile): CheckpointContents {
  checkFileSize(file, make);
  const zip = new ZipArchive(file.bytes);
  const pkl = pickleEntry(zip);
  if (!pkl) throw make(`${file.name} is a zip but has no <name>/data.pkl; it is not a torch.save checkpoint`);
  const dir = pkl.name.slice(0, pkl.name.indexOf('/'));
  const order = zip.get(`${dir}/byteorder`);
  const littleEndian = order ? new TextDecoder().decode(zip.read(order)).trim() !== 'big' : true;
  const root = unpickle(zip.read(pkl));
  const storages = new Map<string, Uint8Array>();
  const tensors: RawTensor[] = [];
  for (const [name, t] of collectTensors(root)) {
    let bytes = storages.get(t.storage.key);
    if (!bytes) {
      const entry = zip.get(`${dir}/data/${t.storage.key}`);
      if (!entry) throw make(`tensor ${name} refers to storage ${t.storage.key}, which the archive lacks`);
      bytes = zip.read(entry);
      storages.set(t.storage.key, bytes);
    }
    tensors.push(materialise(name, t, bytes, littleEndian));
  }
  if (tensors.length === 0) throw make(`${file.name} holds no tensors`);
  return { format: 'pytorch', tensors, metadata: {} };
}

export const pytorchReader: CheckpointReader = {
  id: 'pytorch',
  label: 'PyTorch state_dict (.pt/.pth, torch.save zip format)',
  match: (files) => files.length === 1 && looksLikeTorchZip(files[0]!.bytes),
  read: (files) => readPytorch(files[0]!),
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
