/**
 * The one validation boundary for zoos. Everything a zoo file says is checked here, once: the
 * stacked tensors form one MLP, every member is finite, labels are integers, the split holds
 * 0/1/2, N is within budget; anything else per member is kept as a column. Past this point the
 * `Zoo` invariants hold and nothing re-checks.
 */
import type { CheckpointContents, RawTensor } from '../checkpoints/types';
import { paramCount, type Activation, type MlpArch } from '../model';
import type { ZooMetaJson } from './meta';
import { ZOO_LIMITS, ZooError, type Zoo, type ZooColumn } from './types';

/** What the person may say about a zoo whose file does not record it. */
export interface ZooReadOptions {
  activation?: Activation;
  w0?: number;
}

const LAYER = /^layers\.(\d+)\.(weight|bias)$/;
const shapeOf = (t: RawTensor): string => `[${t.shape.join(', ')}]`;

interface Layer {
  weight: RawTensor;
  bias: RawTensor;
  out: number;
  inp: number;
}

function collectLayers(tensors: RawTensor[], what: string): Layer[] {
  const found = new Map<number, { weight?: RawTensor; bias?: RawTensor }>();
  for (const t of tensors) {
    const m = LAYER.exec(t.name);
    if (!m) continue;
    const i = Number(m[1]);
    const slot = found.get(i) ?? {};
    slot[m[2] as 'weight' | 'bias'] = t;
    found.set(i, slot);
  }
  if (found.size === 0)
    throw new ZooError(
      `${what}: no layers.{i}.weight tensors; a zoo stores each layer stacked over members, layers.0.weight [N, out, in] and layers.0.bias [N, out], …`,
    );
  if (found.size > ZOO_LIMITS.maxLayers)
    throw new ZooError(`${what}: ${found.size} layers; at most ${ZOO_LIMITS.maxLayers}`);
  const layers: Layer[] = [];
  for (let i = 0; i < found.size; i++) {
    const s = found.get(i);
    if (!s) throw new ZooError(`${what}: layers are numbered 0…${found.size - 1} but layers.${i} is missing`);
    if (!s.weight) throw new ZooError(`${what}: layers.${i}.bias has no layers.${i}.weight`);
    if (!s.bias)
      throw new ZooError(
        `${what}: layers.${i}.weight has no layers.${i}.bias (store zeros if the layer has none)`,
      );
    for (const t of [s.weight, s.bias])
      if (!t.data)
        throw new ZooError(
          `${what}: ${t.name} holds ${t.dtype} values; weights and biases must be floating point`,
        );
    if (s.weight.shape.length !== 3)
      throw new ZooError(
        `${what}: layers.${i}.weight has shape ${shapeOf(s.weight)}; a zoo stacks members first: [N, out, in]`,
      );
    if (s.bias.shape.length !== 2)
      throw new ZooError(`${what}: layers.${i}.bias has shape ${shapeOf(s.bias)}; expected [N, out]`);
    const [, out, inp] = s.weight.shape as [number, number, number];
    layers.push({ weight: s.weight, bias: s.bias, out, inp });
  }
  return layers;
}

/** Checks member counts agree and widths chain; returns N and the widths. */
function checkShapes(layers: Layer[], what: string): { n: number; widths: number[] } {
  const n = layers[0]!.weight.shape[0]!;
  const widths = [layers[0]!.inp];
  layers.forEach((l, i) => {
    for (const t of [l.weight, l.bias])
      if (t.shape[0] !== n)
        throw new ZooError(
          `${what}: ${t.name} holds ${t.shape[0]} members but layers.0.weight holds ${n}; every tensor must stack the same members`,
        );
    if (l.bias.shape[1] !== l.out)
      throw new ZooError(
        `${what}: layers.${i}.bias ${shapeOf(l.bias)} does not match layers.${i}.weight ${shapeOf(l.weight)}`,
      );
    if (l.out < 1 || l.inp < 1)
      throw new ZooError(`${what}: layers.${i}.weight ${shapeOf(l.weight)} has an empty axis`);
    if (i > 0 && l.inp !== widths[i])
      throw new ZooError(
        `${what}: layers.${i}.weight takes ${l.inp} inputs but layers.${i - 1} has ${widths[i]} outputs: ` +
          'these tensors do not form one MLP (a zoo holds one architecture; put models of different architectures in separate zoos)',
      );
    widths.push(l.out);
  });
  if (n < 2)
    throw new ZooError(
      `${what}: the zoo holds ${n} member(s); a zoo needs at least 2 (a single model opens as a checkpoint)`,
    );
  if (n > ZOO_LIMITS.maxMembers)
    throw new ZooError(
      `${what}: the zoo holds ${n} members; at most ${ZOO_LIMITS.maxMembers.toLocaleString('en')}`,
    );
  return { n, widths };
}

function intVector(t: RawTensor | undefined, n: number, what: string, name: string): Int32Array | null {
  if (!t) return null;
  if (t.shape.length !== 1 || t.shape[0] !== n)
    throw new ZooError(`${what}: ${name} has shape ${shapeOf(t)}; expected [${n}], one per member`);
  if (!t.intData) {
    const hint = t.data ? ` (write ${name}.astype(np.int64) or ${name}.long())` : '';
    throw new ZooError(`${what}: ${name} holds ${t.dtype} values; it must hold integers${hint}`);
  }
  return t.intData;
}

/** The architecture: widths from the shapes, the rest from metadata, options or the INR default. */
function resolveArch(
  widths: number[],
  meta: ZooMetaJson,
  opts: ZooReadOptions,
  what: string,
): { arch: MlpArch; inferred: boolean } {
  const m = meta.arch ?? {};
  if (m.widths && m.widths.join() !== widths.join())
    throw new ZooError(
      `${what}: metadata says widths [${m.widths.join(', ')}] but the tensors form [${widths.join(', ')}]`,
    );
  if (m.encoding)
    throw new ZooError(`${what}: zoos of Fourier-feature MLPs are not supported; store plain MLPs or SIRENs`);
  const activation = opts.activation ?? m.activation ?? 'sine';
  const arch: MlpArch = { widths, activation };
  if (activation === 'sine') arch.w0 = opts.w0 ?? m.w0 ?? 30;
  if (m.outputOffset !== undefined) arch.outputOffset = m.outputOffset;
  return { arch, inferred: m.activation === undefined && opts.activation === undefined };
}

/**
 * Turns a file's tensors and metadata into a Zoo, or throws ZooError naming the problem.
 * `metaJson` is the already-parsed metadata (empty when the file has none).
 */
export function parseZoo(
  contents: CheckpointContents,
  metaJson: ZooMetaJson,
  what: string,
  opts: ZooReadOptions = {},
): Zoo {
  const byName = new Map<string, RawTensor>();
  for (const t of contents.tensors) {
    if (byName.has(t.name)) throw new ZooError(`${what}: tensor ${t.name} appears twice`);
    byName.set(t.name, t);
  }
  const layers = collectLayers(contents.tensors, what);
  const { n, widths } = checkShapes(layers, what);
  const { arch, inferred } = resolveArch(widths, metaJson, opts, what);
  const dim = paramCount(arch);
  if (n * dim * 4 > ZOO_LIMITS.maxParamBytes)
    throw new ZooError(
      `${what}: ${n} members × ${dim} parameters is over the ${ZOO_LIMITS.maxParamBytes / 2 ** 20} MB budget`,
    );

  const labels = intVector(byName.get('labels'), n, what, 'labels');
  if (!labels)
    throw new ZooError(
      `${what}: no labels tensor; a zoo needs labels [N] (integers, one per member), e.g. np.savez(..., labels=labels)`,
    );
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (v < 0 || v >= ZOO_LIMITS.maxClasses)
      throw new ZooError(`${what}: labels[${i}] = ${v}; labels must lie in 0…${ZOO_LIMITS.maxClasses - 1}`);
  }
  const splitInts = intVector(byName.get('split'), n, what, 'split');
  let split: Uint8Array | null = null;
  if (splitInts) {
    split = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = splitInts[i]!;
      if (v !== 0 && v !== 1 && v !== 2)
        throw new ZooError(`${what}: split[${i}] = ${v}; split holds 0 (train), 1 (validation) or 2 (test)`);
      split[i] = v;
    }
  }

  // Pack member rows in flattenModel order, refusing the first non-finite value by member.
  const params = new Float32Array(n * dim);
  for (let k = 0; k < n; k++) {
    let off = k * dim;
    for (const l of layers) {
      for (const t of [l.weight, l.bias]) {
        const len = t.data!.length / n;
        const src = t.data!.subarray(k * len, (k + 1) * len);
        for (let j = 0; j < len; j++) {
          const v = src[j]!;
          if (!Number.isFinite(v))
            throw new ZooError(
              `${what}: member ${k} has a non-finite value (${v}) in ${t.name}; remove or retrain that member`,
            );
        }
        params.set(src, off);
        off += len;
      }
    }
  }

  const columns: ZooColumn[] = [];
  const ignored: string[] = [];
  for (const t of contents.tensors) {
    if (LAYER.test(t.name) || t.name === 'labels' || t.name === 'split') continue;
    const data = t.data ?? t.intData;
    if (t.shape[0] === n && t.shape.length >= 1 && data)
      columns.push({ name: t.name, shape: [...t.shape], data });
    else ignored.push(t.name);
  }
  const meta: Zoo['meta'] = { archInferred: inferred, ignored };
  if (metaJson.source !== undefined) meta.source = metaJson.source;
  if (metaJson.inr) {
    if (metaJson.inr.channels !== widths[widths.length - 1])
      throw new ZooError(
        `${what}: metadata says ${metaJson.inr.channels} channel(s) but the members output ${widths[widths.length - 1]}`,
      );
    meta.inr = metaJson.inr;
  }
  if (metaJson.labelNames) meta.labelNames = metaJson.labelNames;
  if (metaJson.classifiers) meta.classifiers = metaJson.classifiers;
  return { arch, n, dim, params, labels, split, columns, meta };
}
