/**
 * The import budget's accounting and the architecture bounds (issue #15 items 1, 2, 6, 8): a
 * storage viewed by many tensors is decoded and charged once; tied weights share memory; the
 * budget refuses before allocating; depth is bounded everywhere a model is built; the checkpoint
 * metadata ranges are the share schema's.
 */
import { describe, expect, it } from 'vitest';
import {
  ArchitectureInferenceError,
  IMPORT_LIMITS,
  ImportBudget,
  PytorchError,
  inferArchitecture,
  readCheckpoint,
  toModel,
  writeSafetensors,
} from '../src/engine/checkpoints';
import { parseExperiment } from '../src/engine/experiment';
import { ARCH_BOUNDS, ArchitectureBoundsError, MAX_LAYERS, initModel, paramCount } from '../src/engine/model';
import { f32, PickleWriter, torchZip } from '../scripts/hostile/bytes';

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('import budget', () => {
  it('decodes a storage viewed by 48 tensors once, and charges it once', () => {
    const w = new PickleWriter().op(0x7d).op(0x28);
    w.str('0.weight').tensor('0', 16, [4, 4]).put(0);
    for (let i = 1; i < 48; i++) w.str(`${i}.weight`).get(0);
    const file = torchZip(w.op(0x75).stop(), [
      { name: '0', data: f32(Array.from({ length: 16 }, (_, i) => i)) },
    ]);
    const budget = new ImportBudget();
    const c = readCheckpoint([{ name: 'shared.pt', bytes: file }], budget);
    expect(c.tensors).toHaveLength(48);
    expect(budget.usage().tensor).toBe(16 * 4);
    expect(new Set(c.tensors.map((t) => t.data!.buffer)).size).toBe(1);
    // A budget too small for the storage refuses before decoding it, naming the limit.
    const err = caught(() =>
      readCheckpoint([{ name: 'shared.pt', bytes: file }], new ImportBudget({ maxTensorBytes: 63 })),
    );
    expect(err).toBeInstanceOf(PytorchError);
    expect(err.message).toMatch(/limit maxTensorBytes/);
    // A small view of a larger storage: the storage's bytes are what is charged.
    const view = new PickleWriter().op(0x7d).op(0x28).str('w').tensor('0', 16, [2, 2]).op(0x75).stop();
    const small = torchZip(view, [{ name: '0', data: f32(Array.from({ length: 16 }, (_, i) => i)) }]);
    const over = caught(() =>
      readCheckpoint([{ name: 'v.pt', bytes: small }], new ImportBudget({ maxTensorBytes: 60 })),
    );
    expect(over.message).toMatch(
      /storage 0 \(16 F32 values\): needs 64 bytes, which takes this import past its budget of 60 bytes of decoded tensor bytes \(limit maxTensorBytes\)/,
    );
  });

  it('views of one storage at different offsets keep their own values', () => {
    const w = new PickleWriter().op(0x7d).op(0x28);
    w.str('a').tensor('0', 8, [4]);
    w.str('b').global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    w.op(0x28).str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(8).op(0x74, 0x51);
    w.int(4)
      .op(0x28)
      .int(4)
      .op(0x74, 0x28)
      .int(1)
      .op(0x74, 0x89)
      .global('collections', 'OrderedDict')
      .op(0x29, 0x52)
      .op(0x74, 0x52);
    const c = readCheckpoint([
      {
        name: 'v.pt',
        bytes: torchZip(w.op(0x75).stop(), [{ name: '0', data: f32([0, 1, 2, 3, 4, 5, 6, 7]) }]),
      },
    ]);
    expect([...c.tensors[0]!.data!]).toEqual([0, 1, 2, 3]);
    expect([...c.tensors[1]!.data!]).toEqual([4, 5, 6, 7]);
  });

  it('the default limits are the documented numbers', () => {
    expect(IMPORT_LIMITS).toMatchObject({
      maxFileBytes: 2 ** 30,
      maxInputBytes: 2 ** 30,
      maxInflatedBytes: 256 * 2 ** 20,
      maxTensorBytes: 256 * 2 ** 20,
      maxHeaderBytes: 16 * 2 ** 20,
      maxTensors: 10_000,
      maxZipEntries: 10_000,
      maxPickleOps: 2_000_000,
      maxPickleStack: 100_000,
      maxPickleMemo: 200_000,
      maxContainerItems: 100_000,
      maxNesting: 32,
      maxLayers: 64,
    });
  });
});

describe('architecture bounds', () => {
  it('MAX_LAYERS bounds building a model from scratch and from a file', () => {
    expect(paramCount(initModel({ widths: Array(MAX_LAYERS + 1).fill(2), activation: 'relu' }, 1).arch)).toBe(
      MAX_LAYERS * 6,
    );
    expect(() => initModel({ widths: Array(MAX_LAYERS + 2).fill(2), activation: 'relu' }, 1)).toThrow(
      ArchitectureBoundsError,
    );
    expect(() => initModel({ widths: [2, 0, 1], activation: 'relu' }, 1)).toThrow(/positive integers/);
    const deep = initModel({ widths: Array(MAX_LAYERS + 1).fill(2), activation: 'relu' }, 1);
    const c = readCheckpoint([{ name: 'd.safetensors', bytes: writeSafetensors(deep) }]);
    expect(inferArchitecture(c).widths).toHaveLength(MAX_LAYERS + 1);
  });

  it('a model whose layers multiply past the tensor budget is refused before it is built', () => {
    const w = new PickleWriter().op(0x7d).op(0x28);
    w.str('0.weight')
      .tensor('0', 4096 * 4096, [4096, 4096])
      .put(0);
    for (let i = 1; i < 8; i++) w.str(`${i}.weight`).get(0);
    const c = {
      format: 'pytorch',
      metadata: {},
      tensors: Array.from({ length: 8 }, (_, i) => ({
        name: `${i}.weight`,
        dtype: 'F32' as const,
        shape: [4096, 4096],
        data: new Float32Array(1),
      })),
    };
    const err = caught(() => inferArchitecture(c));
    expect(err).toBeInstanceOf(ArchitectureInferenceError);
    expect(err.message).toMatch(
      /134,250,496 parameters; Weightscope builds models of at most 67,108,864 \(limit maxTensorBytes \/ 4\)/,
    );
  });

  it('checkpoint metadata and import answers are held to the share schema ranges', () => {
    const at = (patch: Record<string, number>) => parseExperiment({ version: 1, arch: patch });
    for (const [key, field] of [
      ['w0', 'w0'],
      ['outputOffset', 'outputOffset'],
      ['fourierSigma', 'fourierSigma'],
    ] as const) {
      const [lo, hi] = ARCH_BOUNDS[key];
      expect(() => at({ [field]: lo })).not.toThrow();
      expect(() => at({ [field]: hi })).not.toThrow();
      expect(() => at({ [field]: hi + 0.5 })).toThrow();
      expect(() => at({ [field]: lo - 0.5 })).toThrow();
    }
    // The schema allows 0 features (no encoding); a present encoding has at least 1.
    expect(() => at({ fourierFeatures: ARCH_BOUNDS.fourierFeatures[1] })).not.toThrow();
    expect(() => at({ fourierFeatures: ARCH_BOUNDS.fourierFeatures[1] + 1 })).toThrow();
    const model = initModel({ widths: [2, 4, 1], activation: 'sine' }, 1);
    const c = readCheckpoint([{ name: 'm.safetensors', bytes: writeSafetensors(model) }]);
    const inf = inferArchitecture(c);
    expect(caught(() => toModel(c, inf, { activation: 'sine', w0: 1e308 })).message).toMatch(
      /w0 = 1e\+308 is outside \[1, 200\]/,
    );
    expect(caught(() => toModel(c, inf, { activation: 'relu', outputOffset: -11 })).message).toMatch(
      /outside \[-10, 10\]/,
    );
    expect(toModel(c, inf, { activation: 'sine', w0: 200, outputOffset: 10 }).arch).toMatchObject({
      w0: 200,
      outputOffset: 10,
    });
  });
});
