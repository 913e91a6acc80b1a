/**
 * The hostile-file corpus (issue #15): every crafted input the red-team pass found, plus the
 * classic ones, each with the outcome the boundary must give. Small cases are written to
 * tests/fixtures/hostile/ with a manifest (committed; `npx tsx scripts/make-hostile-files.ts`
 * rewrites them byte for byte); cases too big to commit (a 17 MB header, 10,001 zip entries) are
 * built in memory by the same function when tests/hostile-corpus.test.ts runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  f32,
  gif,
  jpeg,
  nestedZip,
  npy,
  npyHeader,
  PickleWriter,
  pngHeader,
  safetensors,
  sof,
  torchZip,
  utf8,
  writeZip,
} from './hostile/bytes';

/** One hostile input and what the boundary must do with it. */
export interface HostileCase {
  name: string;
  /** How the app and CLI hand it over: as a checkpoint (read → infer → metadata → model), a dataset, an image. */
  via: 'checkpoint' | 'dataset' | 'image';
  files: { name: string; bytes: Uint8Array }[];
  expect: 'refuse' | 'accept';
  /** Error class name on refusal. */
  error?: string;
  /** Regular expression (source) the refusal message must match: the limit or rule it names. */
  message?: string;
  /** Shape of the first tensor when accepted (checks that it was read as the writer meant). */
  shape?: number[];
  /** Too big to commit: built when the tests run. */
  inMemory?: boolean;
  why: string;
}

const MiB = 2 ** 20;
const zeros = (n: number): Uint8Array => new Uint8Array(n);
const one = (name: string, bytes: Uint8Array) => [{ name, bytes }];

/** `{name: tensor}` dict pickles: SETITEMS of (key, tensor) pairs. */
function dictPickle(entries: [string, (w: PickleWriter) => void][]): Uint8Array {
  const w = new PickleWriter().op(0x7d).op(0x28);
  for (const [k, v] of entries) {
    w.str(k);
    v(w);
  }
  return w.op(0x75).stop();
}

function pickleCases(): HostileCase[] {
  const C: HostileCase[] = [];
  const add = (c: Omit<HostileCase, 'via'>) => C.push({ via: 'checkpoint', ...c });
  // 48 keys, one 16 MB storage: read once (16 MB, not 48 × 16 MB), then the 48-layer model is refused by size.
  const side = 2048;
  const shared = new PickleWriter().op(0x7d).op(0x28);
  shared
    .str('0.weight')
    .tensor('0', side * side, [side, side])
    .put(0);
  for (let i = 1; i < 48; i++) shared.str(`${i}.weight`).get(0);
  add({
    name: 'pt-48-keys-one-storage',
    files: one(
      'shared.pt',
      torchZip(shared.op(0x75).stop(), [{ name: '0', data: zeros(4 * side * side), deflate: true }]),
    ),
    expect: 'refuse',
    error: 'ArchitectureInferenceError',
    message: 'parameters.*limit maxTensorBytes',
    why: '#15.1: 48 keys referencing one compressed 64 MB storage reached 3.2 GB (16 MB here, same shape of attack)',
  });
  // Dicts sharing children 12 ways over 9 levels: a DAG walked once per node, not 12⁹ times.
  const dag = new PickleWriter().op(0x7d).put(0).op(0x28).str('w').tensor('0', 4, [2, 2]).op(0x75);
  for (let level = 1; level <= 9; level++) {
    dag.op(0x7d).put(level).op(0x28);
    for (let k = 0; k < 12; k++) dag.str(`c${k}`).get(level - 1);
    dag.op(0x75);
  }
  add({
    name: 'pt-dag-12-ways-9-levels',
    files: one('dag.pt', torchZip(dag.stop(), [{ name: '0', data: f32([1, 2, 3, 4]) }])),
    expect: 'accept',
    shape: [2, 2],
    why: '#15.1: dicts sharing children 12 ways over 9 levels took exponential time',
  });
  const dup = new PickleWriter().op(0x4e).raw(new Uint8Array(3_000_000).fill(0x32)).op(0x30);
  add({
    name: 'pt-3M-dup',
    files: one('dup.pt', torchZip(dup.stop(), [], true)),
    expect: 'refuse',
    error: 'PickleError',
    message: 'limit maxPickle(Stack|Ops)',
    why: '#15.1: 300 M DUP opcodes aborted V8',
  });
  const dupPop = new PickleWriter()
    .op(0x4e)
    .raw(new Uint8Array(4_000_000).fill(0x32).map((_, i) => (i % 2 ? 0x30 : 0x32)));
  add({
    name: 'pt-dup-pop-ops',
    files: one('duppop.pt', torchZip(dupPop.stop(), [], true)),
    expect: 'refuse',
    error: 'PickleError',
    message: 'limit maxPickleOps',
    why: '#15.1: opcodes are counted',
  });
  const memo = new PickleWriter().op(0x4e).raw(new Uint8Array(300_000).fill(0x94));
  add({
    name: 'pt-300k-memoize',
    files: one('memo.pt', torchZip(memo.stop(), [], true)),
    expect: 'refuse',
    error: 'PickleError',
    message: 'limit maxPickleMemo',
    why: '#15.1: 17 M MEMOIZE opcodes reached 1.6 GB',
  });
  add({
    name: 'pt-dict-contains-itself',
    files: one(
      'self.pt',
      torchZip(new PickleWriter().op(0x7d).put(0).str('state_dict').get(0).op(0x73).stop()),
    ),
    expect: 'refuse',
    error: 'PytorchError',
    message: 'contains itself',
    why: '#15.1: a dict that contains itself overflowed the stack',
  });
  add({
    name: 'pt-dict-contains-itself-deeper',
    files: one(
      'self2.pt',
      torchZip(
        new PickleWriter()
          .op(0x7d)
          .put(0)
          .str('a')
          .op(0x7d)
          .put(1)
          .op(0x73)
          .get(1)
          .str('b')
          .get(0)
          .op(0x73)
          .op(0x30)
          .stop(),
      ),
    ),
    expect: 'refuse',
    error: 'PickleError',
    message: 'contains itself',
    why: '#15.1: cycles through another dict',
  });
  const deep = new PickleWriter();
  for (let i = 0; i < 100; i++) deep.op(0x7d).str(`k${i}`);
  deep.tensor('0', 4, [2, 2]);
  for (let i = 0; i < 100; i++) deep.op(0x73);
  add({
    name: 'pt-nested-100',
    files: one('deep.pt', torchZip(deep.stop(), [{ name: '0', data: f32([1, 2, 3, 4]) }])),
    expect: 'refuse',
    error: 'PickleError',
    message: 'limit maxNesting',
    why: '#15.1: nesting is bounded',
  });
  const big = new PickleWriter().op(0x5d).op(0x28);
  for (let i = 0; i < 150_000; i++) big.op(0x4e);
  add({
    name: 'pt-list-150k',
    files: one('list.pt', torchZip(big.op(0x65).stop(), [], true)),
    expect: 'refuse',
    error: 'PickleError',
    message: 'limit max(ContainerItems|PickleStack)',
    why: '#15.1: container sizes are bounded',
  });
  add({
    name: 'pt-zero-dim',
    files: one(
      'zero.pt',
      torchZip(dictPickle([['0.weight', (w) => w.tensor('0', 0, [0, 2 ** 28])]]), [
        { name: '0', data: zeros(0) },
      ]),
    ),
    expect: 'refuse',
    error: 'PytorchError',
    message: 'dimension 268435456',
    why: '#15.2: a zero dimension skipped the shape check',
  });
  add({
    name: 'pt-1GB-declared',
    files: one(
      'gig.pt',
      torchZip(dictPickle([['0.weight', (w) => w.tensor('0', 2 ** 28, [2 ** 14, 2 ** 14])]]), [
        { name: '0', data: zeros(64), deflate: true, declaredSize: 2 ** 30 },
      ]),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'limit maxInflatedBytes',
    why: '#15.4: a 1 MB .pt with 1 GB of zeros reached 3.2 GB',
  });
  add({
    name: 'pt-storage-over-inflated-budget',
    files: one(
      'gig2.pt',
      torchZip(dictPickle([['0.weight', (w) => w.tensor('0', 4, [2, 2])]]), [
        { name: '0', data: zeros(64), deflate: true, declaredSize: 300 * MiB },
      ]),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'limit maxInflatedBytes',
    why: '#15.4: declared sizes are charged before inflating',
  });
  add({
    name: 'pt-inflates-past-declared',
    files: one(
      'lie.pt',
      torchZip(dictPickle([['0.weight', (w) => w.tensor('0', 4, [2, 2])]]), [
        { name: '0', data: zeros(4 * MiB), deflate: true, declaredSize: 16 },
      ]),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'inflates past its declared size',
    why: '#15.4: an entry that inflates past its declared size',
  });
  add({
    name: 'pt-bad-crc',
    files: one(
      'crc.pt',
      torchZip(dictPickle([['0.weight', (w) => w.tensor('0', 4, [2, 2])]]), [
        { name: '0', data: f32([1, 2, 3, 4]), crc: 1234 },
      ]),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'CRC-32',
    why: '#15.4: CRCs checked',
  });
  return C;
}

function zipCases(): HostileCase[] {
  const C: HostileCase[] = [];
  const x = npy(npyHeader('<f4', [2, 2]), f32([1, 2, 3, 4]));
  C.push({
    via: 'checkpoint',
    name: 'npz-10-names-one-stream',
    files: one(
      'same.npz',
      writeZip([
        { name: 'a0.npy', data: zeros(8 * MiB), deflate: true },
        ...Array.from({ length: 9 }, (_, i) => ({ name: `a${i + 1}.npy`, data: zeros(0), sameAs: 'a0.npy' })),
      ]),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'names a different file|overlap',
    why: '#15.4: 10 npz entries pointing at one 100 MB stream reached 2.1 GB',
  });
  C.push({
    via: 'checkpoint',
    name: 'npz-nested-overlap',
    files: one(
      'nested.npz',
      nestedZip(
        Array.from({ length: 10 }, (_, i) => `e${i}.npy`),
        zeros(8 * MiB),
      ),
    ),
    expect: 'refuse',
    error: 'ZipError',
    message: 'overlap',
    why: '#15.4: overlapping entries refused',
  });
  C.push({
    via: 'checkpoint',
    name: 'npz-junk-entry-not-inflated',
    files: one(
      'junk.npz',
      writeZip([
        { name: 'layer.weight.npy', data: x },
        { name: 'junk.bin', data: zeros(64), deflate: true, declaredSize: 0x7fffffff },
      ]),
    ),
    expect: 'accept',
    shape: [2, 2],
    why: '#15.4: unused junk entries were inflated anyway',
  });
  C.push({
    via: 'dataset',
    name: 'dataset-2GB-declared',
    files: one(
      'data.npz',
      writeZip([
        { name: 'x.npy', data: zeros(64), deflate: true, declaredSize: 0x7fffffff },
        { name: 'y.npy', data: npy(npyHeader('<i8', [1]), zeros(8)) },
      ]),
    ),
    expect: 'refuse',
    error: 'DatasetError',
    message: 'limit maxInflatedBytes',
    why: '#15.4: a 1 MB dataset reached 2.15 GB before refusal',
  });
  return C;
}

function npyCases(): HostileCase[] {
  const C: HostileCase[] = [];
  const add = (c: Omit<HostileCase, 'via'>) => C.push({ via: 'checkpoint', ...c });
  const data = f32([1, 2, 3, 4, 5, 6]);
  add({
    name: 'npy-duplicate-shape-last-wins',
    files: one(
      'dup.npy',
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2), }\n", data),
    ),
    expect: 'accept',
    shape: [3, 2],
    why: '#15.7: numpy takes the last duplicated key: read as [3, 2], not [2, 3]',
  });
  add({
    name: 'npy-junk-after-dict',
    files: one('junk.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk\n", data)),
    expect: 'refuse',
    error: 'NumpyError',
    message: 'text after the literal',
    why: '#15.7: numpy refuses junk after the dict',
  });
  add({
    name: 'npy-header-10001',
    files: one(
      'long.npy',
      npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }${' '.repeat(10_001)}\n`, data),
    ),
    expect: 'refuse',
    error: 'NumpyError',
    message: 'max_header_size',
    why: 'numpy 1.24 refuses headers over 10,000 characters',
  });
  add({
    name: 'npy-zero-dim',
    files: one('zero.npy', npy(npyHeader('<f4', [0, 2 ** 40]), zeros(0))),
    expect: 'refuse',
    error: 'NumpyError',
    message: 'dimension 1099511627776',
    why: '#15.2: each dimension is checked, zeros elsewhere included',
  });
  return C;
}

function safetensorsCases(): HostileCase[] {
  const C: HostileCase[] = [];
  const add = (c: Omit<HostileCase, 'via'>) => C.push({ via: 'checkpoint', ...c });
  add({
    name: 'st-86-bytes-width-2p53',
    files: one(
      'w.safetensors',
      safetensors({ 'a.weight': { dtype: 'F32', shape: [0, 2 ** 53 - 1], data_offsets: [0, 0] } }),
    ),
    expect: 'refuse',
    error: 'SafetensorsError',
    message: 'dimension 9007199254740991',
    why: '#15.2: an 86-byte safetensors became an MLP of width 2⁵³−1 → 0',
  });
  add({
    name: 'st-keras-zero-by-2p28',
    files: one(
      'k.safetensors',
      safetensors({ 'dense/kernel': { dtype: 'F32', shape: [0, 2 ** 28], data_offsets: [0, 0] } }),
    ),
    expect: 'refuse',
    error: 'SafetensorsError',
    message: 'dimension 268435456',
    why: '#15.2: [0, 2²⁸] under a Keras-style name allocated a 1 GB bias',
  });
  add({
    name: 'st-duplicate-field',
    files: one(
      'f.safetensors',
      safetensors('{"w.weight":{"dtype":"F32","dtype":"F64","shape":[1,1],"data_offsets":[0,4]}}', f32([1])),
    ),
    expect: 'refuse',
    error: 'SafetensorsError',
    message: 'field dtype inside one entry twice',
    why: '#15.7: duplicate fields inside an entry refused as the reference implementation does',
  });
  add({
    name: 'st-duplicate-tensor',
    files: one(
      't.safetensors',
      safetensors(
        '{"w.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"w.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        f32([1]),
      ),
    ),
    expect: 'refuse',
    error: 'SafetensorsError',
    message: 'twice',
    why: 'classic: a tensor named twice',
  });
  const meta = (arch: object, tensors: Record<string, { shape: number[]; values: number[] }>) => {
    const header: Record<string, unknown> = { __metadata__: { 'weightscope.arch': JSON.stringify(arch) } };
    let off = 0;
    const parts: number[] = [];
    for (const [k, t] of Object.entries(tensors)) {
      header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + 4 * t.values.length] };
      off += 4 * t.values.length;
      parts.push(...t.values);
    }
    return safetensors(header, f32(parts));
  };
  const layers = {
    'layers.0.weight': { shape: [1, 2], values: [1, 2] },
    'layers.0.bias': { shape: [1], values: [0] },
  };
  add({
    name: 'st-metadata-w0-1e308',
    files: one('w0.safetensors', meta({ widths: [2, 1], activation: 'sine', w0: 1e308 }, layers)),
    expect: 'refuse',
    error: 'ArchitectureInferenceError',
    message: 'w0 = 1e\\+308 is outside \\[1, 200\\]',
    why: '#15.8: w0 = 1e308 was accepted',
  });
  add({
    name: 'st-metadata-offset-1e308',
    files: one('off.safetensors', meta({ widths: [2, 1], activation: 'relu', outputOffset: 1e308 }, layers)),
    expect: 'refuse',
    error: 'ArchitectureInferenceError',
    message: 'outputOffset = 1e\\+308 is outside \\[-10, 10\\]',
    why: '#15.8: output offset 1e308 was accepted',
  });
  add({
    name: 'st-metadata-features-1e9',
    files: one(
      'rff.safetensors',
      meta(
        { widths: [2, 1], activation: 'relu', encoding: { features: 1e9, sigma: 10 } },
        {
          'encoding.B': { shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] },
          'layers.0.weight': { shape: [1, 8], values: [1, 1, 1, 1, 1, 1, 1, 1] },
          'layers.0.bias': { shape: [1], values: [0] },
        },
      ),
    ),
    expect: 'refuse',
    error: 'ArchitectureInferenceError',
    message: 'features = 1000000000 is outside \\[1, 256\\]',
    why: '#15.8: features = 1e9 with a [4, 2] encoding tensor was accepted',
  });
  add({
    name: 'st-metadata-features-disagree',
    files: one(
      'rff2.safetensors',
      meta(
        { widths: [2, 1], activation: 'relu', encoding: { features: 5, sigma: 10 } },
        {
          'encoding.B': { shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] },
          'layers.0.weight': { shape: [1, 8], values: [1, 1, 1, 1, 1, 1, 1, 1] },
          'layers.0.bias': { shape: [1], values: [0] },
        },
      ),
    ),
    expect: 'refuse',
    error: 'ArchitectureInferenceError',
    message: '5 Fourier features but encoding.B holds 4',
    why: '#15.8: metadata checked against the tensors',
  });
  return C;
}

/** Cases too big to commit, built when the tests run. */
export function bigCases(): HostileCase[] {
  const deepHeader: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++)
    deepHeader[`layers.${i}.weight`] = { dtype: 'F32', shape: [1, 1], data_offsets: [4 * i, 4 * i + 4] };
  return [
    {
      via: 'checkpoint',
      name: 'st-10000-layers',
      files: one('deep.safetensors', safetensors(deepHeader, zeros(4 * 10_000))),
      expect: 'refuse',
      error: 'ArchitectureInferenceError',
      message: 'limit MAX_LAYERS',
      inMemory: true,
      why: '#15.6: no limit on layers; building 10k layers took 23 s',
    },
    {
      via: 'checkpoint',
      name: 'st-17MB-header',
      files: one('big.safetensors', safetensors(`{"__metadata__":{"pad":"${'x'.repeat(17 * MiB)}"}}`)),
      expect: 'refuse',
      error: 'SafetensorsError',
      message: 'limit maxHeaderBytes',
      inMemory: true,
      why: '#15.4: a 70 MB safetensors header was parsed for 35 s',
    },
    {
      via: 'checkpoint',
      name: 'zip-10001-entries',
      files: one(
        'many.npz',
        writeZip(Array.from({ length: 10_001 }, (_, i) => ({ name: `e${i}.npy`, data: zeros(0) }))),
      ),
      expect: 'refuse',
      error: 'ZipError',
      message: 'limit maxZipEntries',
      inMemory: true,
      why: 'classic: entry count',
    },
  ];
}

function tfjsCases(): HostileCase[] {
  const C: HostileCase[] = [];
  const model = (weights: unknown[], paths: string[] = ['s.bin']) =>
    utf8(JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths, weights }] }));
  const shard = { name: 's.bin', bytes: f32([1, 2, 3, 4, 5, 6]) };
  const add = (c: Omit<HostileCase, 'via'>) => C.push({ via: 'checkpoint', ...c });
  add({
    name: 'tfjs-duplicate-weight-names',
    files: [
      {
        name: 'model.json',
        bytes: model([
          { name: 'd/kernel', shape: [2, 1], dtype: 'float32' },
          { name: 'd/kernel', shape: [4], dtype: 'float32' },
        ]),
      },
      shard,
    ],
    expect: 'refuse',
    error: 'TfjsError',
    message: 'lists weight d/kernel twice',
    why: '#15.7: duplicate weight names (model built from one tensor, architecture from another)',
  });
  add({
    name: 'tfjs-shard-listed-3000-times',
    files: [
      {
        name: 'model.json',
        bytes: model(
          [{ name: 'd/kernel', shape: [2, 1], dtype: 'float32' }],
          Array.from({ length: 3000 }, () => 's.bin'),
        ),
      },
      shard,
    ],
    expect: 'refuse',
    error: 'TfjsError',
    message: 'lists weight shard s.bin twice',
    why: '#15.4: one tfjs shard listed 3,000 times reached 3.1 GB',
  });
  add({
    name: 'tfjs-uint16-without-quantization',
    files: [
      { name: 'model.json', bytes: model([{ name: 'd/kernel', shape: [2, 1], dtype: 'uint16' }]) },
      shard,
    ],
    expect: 'refuse',
    error: 'TfjsError',
    message: 'float32, int32 or bool',
    why: '#15.7: uint16 weights without quantization were read as int32',
  });
  add({
    name: 'tfjs-zero-by-2p28',
    files: [
      { name: 'model.json', bytes: model([{ name: 'd/kernel', shape: [0, 2 ** 28], dtype: 'float32' }]) },
      shard,
    ],
    expect: 'refuse',
    error: 'TfjsError',
    message: 'dimension 268435456',
    why: '#15.2: tfjs leaked a raw RangeError',
  });
  return C;
}

function imageCases(): HostileCase[] {
  const add = (
    name: string,
    bytes: Uint8Array,
    why: string,
    expect: 'refuse' | 'accept' = 'refuse',
    message = '9000×9000 px; the largest accepted',
  ) => ({
    via: 'image' as const,
    name,
    files: one(name, bytes),
    expect,
    ...(expect === 'refuse' ? { error: 'ImageInputError', message } : {}),
    why,
  });
  return [
    add(
      'gif-frame-larger-than-screen.gif',
      gif(16, 9000),
      '#15.3: a GIF whose 16×16 screen hides a 9000×9000 frame',
    ),
    add(
      'jpeg-fill-byte-fake-sof.jpg',
      jpeg([
        [0xe1, [...utf8('Exif'), 0, 0, 0xff, 0xc0, 0, 11, ...sof(16, 16)], 1],
        [0xc0, sof(9000, 9000)],
      ]),
      '#15.3: a fill byte before APP1 hid a fake SOF',
    ),
    add(
      'jpeg-fake-sof-in-app.jpg',
      jpeg([
        [0xe1, [0xff, 0xc0, 0, 11, ...sof(9000, 9000)]],
        [0xc0, sof(16, 16)],
      ]),
      '#15.3: a fake SOF inside APP1 is data, not a frame',
      'accept',
    ),
    add(
      'png-20000.png',
      pngHeader(20000, 20000),
      '#15.3: the CLI trained on a 424 KB 20000² PNG',
      'refuse',
      '20000×20000 px; the largest accepted',
    ),
    add(
      'png-4097x4097.png',
      pngHeader(4097, 4097),
      'pixel cap under the side cap',
      'refuse',
      'MAX_IMAGE_PIXELS',
    ),
  ];
}

/** Every case, in a fixed order (in-memory ones included). */
export function hostileCases(): HostileCase[] {
  return [
    ...pickleCases(),
    ...zipCases(),
    ...npyCases(),
    ...safetensorsCases(),
    ...tfjsCases(),
    ...imageCases(),
  ];
}

export const CORPUS_DIR = 'tests/fixtures/hostile';

/** The manifest entry of a case: everything but the bytes, which live in CORPUS_DIR/<name>/. */
export const manifestEntry = (c: HostileCase) => {
  const { files, ...rest } = c;
  return { ...rest, files: files.map((f) => f.name) };
};

function main(): void {
  rmSync(CORPUS_DIR, { recursive: true, force: true });
  const cases = hostileCases();
  for (const c of cases) {
    const dir = path.join(CORPUS_DIR, c.name);
    mkdirSync(dir, { recursive: true });
    for (const f of c.files) writeFileSync(path.join(dir, f.name), f.bytes);
  }
  writeFileSync(
    path.join(CORPUS_DIR, 'manifest.json'),
    JSON.stringify({ cases: cases.map(manifestEntry) }, null, 1) + '\n',
  );
  console.log(`${cases.length} cases → ${CORPUS_DIR} (+ ${bigCases().length} built at test time)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
