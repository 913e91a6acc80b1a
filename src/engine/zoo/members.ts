/** Between zoos and models: one member as a Model, a zoo from models, and the train/val/test split. */
import {
  assertSameArchitecture,
  paramCount,
  unflattenModel,
  type MlpArch,
  type Model,
  flattenModel,
} from '../model';
import { createRng, randomPermutation } from '../rng';
import { ZOO_LIMITS, ZooError, type Zoo, type ZooColumn, type ZooMeta } from './types';

/** Member i's flat parameters (a view into the zoo). */
export const memberRow = (zoo: Zoo, i: number): Float32Array =>
  zoo.params.subarray(i * zoo.dim, (i + 1) * zoo.dim);

/** Member i as a Model (a copy). */
export function memberModel(zoo: Zoo, i: number): Model {
  if (!Number.isInteger(i) || i < 0 || i >= zoo.n)
    throw new RangeError(`member ${i} is outside 0…${zoo.n - 1}`);
  return unflattenModel({ arch: zoo.arch, params: {} }, memberRow(zoo, i));
}

/** Builds a zoo from models of one architecture (checked) and their labels. */
export function zooFromModels(
  models: readonly Model[],
  labels: ArrayLike<number>,
  extra: { split?: Uint8Array | null; columns?: ZooColumn[]; meta?: Partial<ZooMeta> } = {},
): Zoo {
  const n = models.length;
  if (n < 2) throw new ZooError(`a zoo needs at least 2 members, got ${n}`);
  if (n > ZOO_LIMITS.maxMembers) throw new ZooError(`a zoo holds at most ${ZOO_LIMITS.maxMembers} members`);
  if (labels.length !== n) throw new ZooError(`${labels.length} labels for ${n} models`);
  models.forEach((m, i) => assertSameArchitecture(models[0]!, m, ['member 0', `member ${i}`]));
  const arch: MlpArch = models[0]!.arch;
  const dim = paramCount(arch);
  const params = new Float32Array(n * dim);
  models.forEach((m, i) => params.set(flattenModel(m), i * dim));
  return {
    arch,
    n,
    dim,
    params,
    labels: Int32Array.from(labels),
    split: extra.split ?? null,
    columns: extra.columns ?? [],
    meta: { archInferred: false, ignored: [], ...extra.meta },
  };
}

/** The zoo restricted to `indices` (in that order), columns included. */
export function subsetZoo(zoo: Zoo, indices: readonly number[]): Zoo {
  const params = new Float32Array(indices.length * zoo.dim);
  indices.forEach((k, r) => params.set(memberRow(zoo, k), r * zoo.dim));
  const pick = <T extends Float32Array | Int32Array | Uint8Array>(a: T, per: number): T => {
    const out = new (a.constructor as new (n: number) => T)(indices.length * per);
    indices.forEach((k, r) => out.set(a.subarray(k * per, (k + 1) * per), r * per));
    return out;
  };
  return {
    ...zoo,
    n: indices.length,
    params,
    labels: pick(zoo.labels, 1),
    split: zoo.split ? pick(zoo.split, 1) : null,
    columns: zoo.columns.map((c) => {
      const per = c.data.length / zoo.n;
      return { ...c, shape: [indices.length, ...c.shape.slice(1)], data: pick(c.data, per) };
    }),
  };
}

/** Indices of the train, validation and test members. */
export interface ZooSplit {
  train: number[];
  val: number[];
  test: number[];
  /** 'file' when the zoo carried a split, else 'seeded' (80/10/10 per class). */
  source: 'file' | 'seeded';
}

/**
 * The zoo's own split, or a seeded 80/10/10 split made per class (so small zoos keep every class
 * in every part). A class with fewer than 3 members goes to train only.
 */
export function zooSplit(zoo: Zoo, seed: number): ZooSplit {
  if (zoo.split) {
    const out: ZooSplit = { train: [], val: [], test: [], source: 'file' };
    zoo.split.forEach((s, i) => (s === 0 ? out.train : s === 1 ? out.val : out.test).push(i));
    return out;
  }
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  zoo.labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const out: ZooSplit = { train: [], val: [], test: [], source: 'seeded' };
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = byClass.get(cls)!;
    const order = Array.from(randomPermutation(ids.length, rng), (j) => ids[j]!);
    const nTest = ids.length >= 3 ? Math.max(1, Math.round(0.1 * ids.length)) : 0;
    const nVal = ids.length >= 3 ? Math.max(1, Math.round(0.1 * ids.length)) : 0;
    out.test.push(...order.slice(0, nTest));
    out.val.push(...order.slice(nTest, nTest + nVal));
    out.train.push(...order.slice(nTest + nVal));
  }
  for (const a of [out.train, out.val, out.test]) a.sort((x, y) => x - y);
  return out;
}

/** Distinct labels in ascending order, with counts. */
export function labelCounts(zoo: Zoo): { label: number; count: number }[] {
  const m = new Map<number, number>();
  for (const l of zoo.labels) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([label, count]) => ({ label, count }));
}
