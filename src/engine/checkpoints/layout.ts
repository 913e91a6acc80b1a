import { ENCODING_NAME, biasName, layerCount, weightName, type MlpArch, type Model } from '../model';
import type { ArchitectureInference } from './architecture';
import type { FloatDType } from './encode';
import { isFloatDType, type CheckpointContents, type DType } from './types';

/**
 * How a model's tensors are named, laid out and typed in a file. The engine always works on
 * canonical `layers.{i}.weight` [out, in] float32 tensors; a layout maps them back so that an
 * export loads straight into the person's own model: the source's names (`0.weight`,
 * `net.fc1.weight`, `dense_Dense1/kernel`), its orientation (PyTorch [out, in], Keras/tfjs
 * [in, out]) and its dtype. Models Weightscope created get `torch.nn.Sequential` names.
 */
export interface TensorLayout {
  /** Where the names came from: a source file's, or nn.Sequential numbering. */
  origin: 'source' | 'sequential';
  layers: LayerLayout[];
  /** The Fourier-feature matrix B [features, inputs], when the model has one. */
  encoding?: { name: string; dtype: FloatDType };
}

/** One linear layer in a file. */
export interface LayerLayout {
  weight: string;
  /** null when the source layer had no bias (nn.Linear(bias=False)). */
  bias: string | null;
  /** Stored [in, out] (Keras/tfjs kernels) rather than PyTorch's [out, in]. */
  transposed: boolean;
  dtype: FloatDType;
  biasDtype: FloatDType;
}

/** A tensor ready for a writer: its file name, dtype and shape, values still float32. */
export interface ExportTensor {
  name: string;
  dtype: FloatDType;
  shape: number[];
  data: Float32Array;
}

/** Name of the Fourier matrix in nn.Sequential numbering: the encoding is module 0. */
export const SEQUENTIAL_ENCODING_NAME = '0.B';

/** True for the names a Fourier-feature matrix is stored under (Weightscope's, or Sequential's). */
export const isEncodingName = (name: string): boolean =>
  name === ENCODING_NAME || name === SEQUENTIAL_ENCODING_NAME;

/**
 * `torch.nn.Sequential(Linear, act, Linear, act, …, Linear)` numbering: Linear i is module 2i,
 * activations sit at the odd indices between. With Fourier features the encoding module comes
 * first (`0.B`, a buffer), and every Linear moves up by one.
 */
export function sequentialLayout(arch: MlpArch): TensorLayout {
  const first = arch.encoding ? 1 : 0;
  const layers: LayerLayout[] = [];
  for (let i = 0; i < layerCount(arch); i++) {
    const m = first + 2 * i;
    layers.push({
      weight: `${m}.weight`,
      bias: `${m}.bias`,
      transposed: false,
      dtype: 'F32',
      biasDtype: 'F32',
    });
  }
  return {
    origin: 'sequential',
    layers,
    ...(arch.encoding ? { encoding: { name: SEQUENTIAL_ENCODING_NAME, dtype: 'F32' as const } } : {}),
  };
}

const floatOr32 = (d: DType | undefined): FloatDType => (d && isFloatDType(d) ? (d as FloatDType) : 'F32');

/** The layout of the file a model was read from (names, orientation and dtype per tensor). */
export function layoutFromInference(contents: CheckpointContents, inf: ArchitectureInference): TensorLayout {
  const dtype = (name: string): FloatDType => floatOr32(contents.tensors.find((t) => t.name === name)?.dtype);
  const layout: TensorLayout = {
    origin: 'source',
    layers: inf.layers.map((l, i) => ({
      weight: l.weight,
      bias: l.bias,
      transposed: inf.transposed[i] ?? false,
      dtype: dtype(l.weight),
      biasDtype: l.bias ? dtype(l.bias) : dtype(l.weight),
    })),
  };
  if (inf.encodingTensor) layout.encoding = { name: inf.encodingTensor, dtype: dtype(inf.encodingTensor) };
  return layout;
}

/** Whether `layout` describes `arch`'s tensors (same number of layers, encoding or not). */
export function layoutFits(layout: TensorLayout, arch: MlpArch): boolean {
  return layout.layers.length === layerCount(arch) && !!layout.encoding === !!arch.encoding;
}

/** The bias name a bias-less source layer gets if training gave it non-zero values. */
function impliedBiasName(weight: string): string {
  const m = /^(.*?)(weight|kernel)$/.exec(weight);
  return m ? `${m[1]}bias` : `${weight}.bias`;
}

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

/**
 * The model's tensors as `layout` stores them, in file order (encoding first, then weight and
 * bias per layer). A layout that does not fit the model falls back to nn.Sequential names. A
 * source layer without a bias stays without one while its bias is all zeros (alignment and
 * merging keep zeros zero), so the export still loads with `strict=True`.
 */
export function exportTensors(model: Model, layout?: TensorLayout): ExportTensor[] {
  const lay = layout && layoutFits(layout, model.arch) ? layout : sequentialLayout(model.arch);
  const out: ExportTensor[] = [];
  const enc = model.params[ENCODING_NAME];
  if (enc && lay.encoding)
    out.push({ name: lay.encoding.name, dtype: lay.encoding.dtype, shape: [...enc.shape], data: enc.data });
  lay.layers.forEach((l, i) => {
    const w = model.params[weightName(i)];
    const b = model.params[biasName(i)];
    if (!w || !b) throw new RangeError(`model lacks layer ${i}'s tensors`);
    const [rows, cols] = w.shape as [number, number];
    out.push(
      l.transposed
        ? { name: l.weight, dtype: l.dtype, shape: [cols, rows], data: transposed(w.data, rows, cols) }
        : { name: l.weight, dtype: l.dtype, shape: [rows, cols], data: w.data },
    );
    const keep = l.bias !== null || b.data.some((v) => v !== 0);
    if (keep)
      out.push({
        name: l.bias ?? impliedBiasName(l.weight),
        dtype: l.biasDtype,
        shape: [...b.shape],
        data: b.data,
      });
  });
  return out;
}
