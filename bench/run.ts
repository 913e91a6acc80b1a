/**
 * `npm run bench`: every benchmark of the issues, in Node (tfjs wasm and cpu, plain TypeScript),
 * in headless Chromium through the real app worker (bench/chromium.ts), and the same workloads
 * in PyTorch/NumPy/SciPy (bench/torch_bench.py) when /usr/bin/python3 has torch. Prints ONE table
 * and writes bench/results.local.json (bench/results.json, the committed table, only with --save).
 * Benchmarks measure and print; no test runs them.
 *
 *   npm run bench                       full run
 *   npm run bench -- --quick            a small subset: K ≤ 8, no align/plane/checkpoints/ui
 *   npm run bench -- --only train,lap   groups: gemm train kernels subsets classifier lap align merge paths landscape checkpoints zoo chromium ui longtasks
 *   npm run bench -- --save             also replace the committed bench/results.json
 *
 * Interleaving: the reference rows run as close to ours as the group allows, so that both see the
 * same machine. Row by row (each reference row right after ours, in a process of its own): the
 * kernels group (bench/kernels.ts, one thread and all cores), the LAP and weight-matching rows
 * (bench/align.ts) and the PCA rows (bench/landscape.ts). Group by group (one torch_bench.py run
 * right after our group): gemm, train, classifier, paths, the loss plane of landscape,
 * checkpoints, zoo. Every row records the CPU time, system time and page faults of its timed
 * repetitions (`usage`; the Chromium rows' work runs in the browser, outside this process).
 *
 * Threads: tfjs runs single-threaded in Node, so PyTorch gets torch.set_num_threads(1) and NumPy/
 * SciPy OPENBLAS/OMP/MKL_NUM_THREADS=1; the GEMM rows add an all-cores figure for reference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { solveAssignment } from '../src/engine/align';
import { createRng } from '../src/engine/rng';
import { benchAlign, lapName, lapReference } from './align';
import { PYTHON, REFERENCE_MALLOC, referenceEnv } from './reference';
import { benchCheckpoints } from './checkpoints';
import { benchChromium } from './chromium';
import { benchKernels, benchSubsets } from './kernels';
import { benchClassifier, benchClassifierKernel } from './classifier';
import { benchLandscape } from './landscape';
import { benchLongTasks } from './longtasks';
import { benchMerge } from './merge';
import { cpuPerRep, timeIt, type BenchRow, type Usage } from './measure';
import { benchPaths } from './paths';
import { benchTrain, TRAIN_CASES, type TrainCase } from './train';
import { benchZoo } from './zoo';

const GROUPS = [
  'gemm',
  'train',
  'kernels',
  'subsets',
  'classifier',
  'lap',
  'align',
  'merge',
  'paths',
  'landscape',
  'checkpoints',
  'zoo',
  'chromium',
  'longtasks',
  'ui',
] as const;
// PYTHON: the one interpreter every reference row uses (bench/reference.ts).
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

function parseArgs(argv: string[]): { quick: boolean; save: boolean; only: Set<string> } {
  const quick = argv.includes('--quick');
  const save = argv.includes('--save');
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  const list = i < 0 ? '' : argv[i]!.includes('=') ? argv[i]!.split('=')[1]! : (argv[i + 1] ?? '');
  const only = new Set(list.split(',').filter(Boolean));
  for (const g of only)
    if (!(GROUPS as readonly string[]).includes(g))
      throw new Error(`unknown group ${g}; groups: ${GROUPS.join(', ')}`);
  return { quick, save, only };
}

const t0 = performance.now();
const log = (line: string): void =>
  void process.stderr.write(
    `[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
  );

/** tfjs float32 GEMM throughput per Node backend: what the tfjs kernels reach on plain matmul. */
async function benchGemm(backends: NodeBackend[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const n = 1024;
  const flops = 2 * n ** 3;
  for (const backend of backends) {
    await initNodeBackend(backend);
    const a = tf.randomUniform([n, n]);
    const b = tf.randomUniform([n, n]);
    const t = await timeIt(() => tf.tidy(() => tf.matMul(a, b)).dataSync(), backend === 'cpu' ? 2 : 5, 1);
    tf.dispose([a, b]);
    rows.push({
      group: 'gemm',
      name: `float32 GEMM ${n}×${n}×${n}, 1 thread`,
      runtime: `node/${backend}`,
      median: flops / t.median / 1e6,
      min: flops / t.max / 1e6,
      max: flops / t.min / 1e6,
      unit: 'GFLOP/s',
      usage: t.usage,
      extra: { ms: Number(t.median.toFixed(1)) },
    });
  }
  return rows;
}

interface PythonResult {
  rows: BenchRow[];
  note: string;
  version?: string;
}

/** Runs bench/torch_bench.py single-threaded; a missing torch becomes a note, not a failure. */
function runPython(quick: boolean, groups: string[]): PythonResult {
  if (!existsSync(PYTHON)) return { rows: [], note: `${PYTHON} not found: no PyTorch reference` };
  const version = describePython();
  if (!version)
    return { rows: [], note: `${PYTHON} has no torch (apt install python3-torch): no PyTorch reference` };
  const args = [
    here('./torch_bench.py'),
    '--threads',
    '1',
    '--only',
    groups.join(','),
    ...(quick ? ['--quick'] : []),
  ];
  const r = spawnSync(PYTHON, args, {
    env: referenceEnv(1),
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) return { rows: [], note: `bench/torch_bench.py failed (exit ${r.status})`, version };
  const rows = JSON.parse(r.stdout.replace(/\bNaN\b/g, 'null')) as BenchRow[];
  for (const row of rows) if (row.skipped) row.median = row.min = row.max = NaN;
  return { rows, note: `torch/numpy/python ${version}, 1 thread`, version };
}

let described: string | null | undefined;

/**
 * "torch numpy python, scipy S, BLAS B" of /usr/bin/python3 (torch_bench.py --describe: the BLAS
 * is the library NumPy and torch actually loaded), or null without torch. Asked once.
 */
function describePython(): string | null {
  if (described !== undefined) return described;
  try {
    const d = JSON.parse(
      execFileSync(PYTHON, [here('./torch_bench.py'), '--describe'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { torch: string; numpy: string; scipy: string | null; python: string; blas: string };
    const malloc = Object.entries(REFERENCE_MALLOC)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    described = `${d.torch} ${d.numpy} ${d.python}, scipy ${d.scipy ?? 'missing'}, BLAS ${d.blas}, ${malloc}`;
  } catch {
    described = null;
  }
  return described;
}

/** Pairing key: the timed-slice suffix differs by backend, the work does not. */
const keyOf = (r: BenchRow): string => `${r.group}|${r.name.replace(/, timed \d+ steps/, '')}|${r.unit}`;
const isRate = (unit: string): boolean => unit.endsWith('/s');
const isReference = (r: BenchRow): boolean => r.runtime.startsWith('python/');

/** Weightscope speed ÷ reference speed (> 1: Weightscope is faster). */
function ratio(ours: BenchRow, ref: BenchRow | undefined): number {
  if (!ref || ours.skipped || ref.skipped) return NaN;
  return isRate(ours.unit) ? ours.median / ref.median : ref.median / ours.median;
}

const fmt = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x)
    ? ''
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 10
        ? x.toFixed(1)
        : x.toPrecision(3);

interface TableRow extends BenchRow {
  pytorch?: number;
  pytorchRuntime?: string;
  ratio?: number;
  /** The reference row's usage, and reference CPU per repetition ÷ ours (time rows: the same work a repetition). */
  pytorchUsage?: Usage;
  cpuRatio?: number;
}

/** Reference CPU seconds per repetition ÷ ours, for rows timed in a unit of time (> 1: ours uses less CPU). */
function cpuRatio(ours: BenchRow, ref: BenchRow): number | undefined {
  if (!ours.usage || !ref.usage || isRate(ours.unit) || ours.skipped || ref.skipped) return undefined;
  const a = cpuPerRep(ours.usage);
  return a > 0 ? cpuPerRep(ref.usage) / a : undefined;
}

function pair(rows: BenchRow[]): TableRow[] {
  const refs = new Map<string, BenchRow>();
  for (const r of rows) if (isReference(r) && !refs.has(keyOf(r))) refs.set(keyOf(r), r);
  const used = new Set<string>();
  const out: TableRow[] = [];
  for (const r of rows) {
    if (isReference(r)) continue;
    const ref = refs.get(keyOf(r));
    if (ref) used.add(keyOf(r));
    out.push({
      ...r,
      ...(ref
        ? {
            pytorch: ref.median,
            pytorchRuntime: ref.runtime,
            ratio: ratio(r, ref),
            ...(ref.usage ? { pytorchUsage: ref.usage } : {}),
            cpuRatio: cpuRatio(r, ref),
          }
        : {}),
    });
  }
  // References with no Weightscope row of the same work (e.g. all-cores GEMM) still print.
  for (const r of rows) if (isReference(r) && (!used.has(keyOf(r)) || r !== refs.get(keyOf(r)))) out.push(r);
  const order = (g: string): number => GROUPS.indexOf(g as (typeof GROUPS)[number]);
  return out.sort((a, b) => order(a.group) - order(b.group));
}

/** "cpu 1.23 s/rep (sys 0.01), faults 120/0 per rep": what one timed repetition cost the process. */
function usageNote(u: Usage): string {
  const per = (x: number): string => fmt(x / Math.max(1, u.reps));
  return `cpu ${per(u.cpuS + u.sysS)} s/rep (sys ${per(u.sysS)}), faults ${per(u.minorFaults)}/${per(u.majorFaults)} per rep`;
}

function notes(r: TableRow, ceiling: number): string {
  if (r.skipped) return `skipped: ${r.skipped}`;
  const e = r.extra ?? {};
  const parts: string[] = [];
  if (typeof e.gflops === 'number')
    parts.push(
      `${e.gflops} GFLOP/s${ceiling > 0 ? ` (${((100 * e.gflops) / ceiling).toFixed(0)}% of GEMM)` : ''}`,
    );
  for (const k of [
    'sweeps',
    'msPerStep',
    'epochsPerSecond',
    'examplesPerCpuS',
    'projected500StepsS',
    'cpuMsPerStep',
    'projected21x21S',
    'MB/s',
    'rssMB',
    'top3Ratio',
    'threads',
    'perCpuSecond',
    'gflopsPerCpuS',
    'ofGemm',
    'cpuS',
    'sysS',
    'minorFaults',
    'majorFaults',
  ])
    if (e[k] !== undefined) parts.push(`${k} ${e[k]}`);
  if (r.usage) parts.push(usageNote(r.usage));
  if (r.pytorchUsage) parts.push(`reference ${usageNote(r.pytorchUsage)}`);
  if (r.cpuRatio !== undefined) parts.push(`ratio per CPU-second ${r.cpuRatio.toFixed(2)}×`);
  for (const k of ['method', 'reference', 'unitsDiffering', 'objRelDiff', 'lapSolves', 'blas'])
    if (e[k] !== undefined) parts.push(`${k} ${e[k]}`);
  if (r.pytorchRuntime && r.pytorchRuntime !== 'python/torch') parts.push(`ref ${r.pytorchRuntime}`);
  return parts.join(', ');
}

function printTable(rows: TableRow[], ceiling: number): void {
  const head = [
    'group',
    'name',
    'runtime',
    'median',
    'min',
    'max',
    'unit',
    'PyTorch median',
    'ratio',
    'notes',
  ];
  const body = rows.map((r) => [
    r.group,
    r.name,
    r.runtime,
    fmt(r.median),
    fmt(r.min),
    fmt(r.max),
    r.unit,
    fmt(r.pytorch),
    r.ratio !== undefined && Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '',
    notes(r, ceiling),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const { quick, save, only } = parseArgs(process.argv.slice(2));
  const want = (g: string): boolean => only.size === 0 || only.has(g);
  // The page-responsiveness rows run in the Chromium step.
  const wantChromium = want('chromium') || only.has('ui');
  const load0 = os.loadavg();
  const rows: BenchRow[] = [];
  // The reference's groups that torch_bench.py runs as a whole (the rest run row by row inside
  // bench/*.ts), each right after ours.
  const pyGroups = new Set(
    ['gemm', 'train', 'classifier', 'paths', 'checkpoints', 'zoo', ...(quick ? [] : ['landscape'])].filter(
      want,
    ),
  );
  const described = describePython();
  let py: PythonResult = described
    ? { rows: [], note: `torch/numpy/python ${described}, 1 thread`, version: described }
    : { rows: [], note: `${PYTHON} has no torch: no PyTorch reference` };
  const reference = (group: string): void => {
    if (!pyGroups.has(group)) return;
    log(`${group}: PyTorch/NumPy reference…`);
    const r = runPython(quick, [group]);
    if (r.rows.length === 0) log(r.note);
    else py = { ...r, rows: [] };
    rows.push(...r.rows);
  };
  const step = async (group: string, fn: () => Promise<BenchRow[]>): Promise<void> => {
    if (!want(group)) return;
    log(`${group}…`);
    try {
      rows.push(...(await fn()));
    } catch (e) {
      rows.push({
        group,
        name: `${group} benchmarks`,
        runtime: 'node',
        median: NaN,
        min: NaN,
        max: NaN,
        unit: '',
        skipped: `failed: ${(e as Error).message.split('\n')[0]}`,
      });
    }
    reference(group);
  };

  await step('gemm', () => benchGemm(['wasm', 'cpu']));
  await step('train', async () => {
    const quickCases = TRAIN_CASES.filter((c) => c.hidden === 64 && c.size === 64 && c.k <= 8);
    const wasm = await benchTrain(['wasm'], 5, {
      cases: quick ? quickCases : TRAIN_CASES,
      layouts: { wasm: quick ? ['split'] : ['batched', 'split'] },
    });
    if (quick) return wasm;
    // tfjs-cpu is a plain JS loop (~10× slower than wasm): the small cases only, 2 steps.
    const cpuCases: TrainCase[] = TRAIN_CASES.filter((c) => c.hidden === 64 && c.size === 64 && c.k <= 8);
    const cpu = await benchTrain(['cpu'], 2, { cases: cpuCases });
    const skippedCpu = TRAIN_CASES.filter((c) => !cpuCases.includes(c)).map((c): BenchRow => ({
      group: 'train',
      name: `SIREN 3×${c.hidden}, ${c.size}×${c.size}, K=${c.k}`,
      runtime: 'node/cpu batched',
      median: NaN,
      min: NaN,
      max: NaN,
      unit: 'model-steps/s',
      skipped: 'tfjs-cpu too slow for the run budget (see the K≤8 3×64 rows)',
    }));
    return [...wasm, ...cpu, ...skippedCpu];
  });
  await step('kernels', () => benchKernels({ quick, log }));
  await step('subsets', () => benchSubsets({ quick, log }));
  await step('classifier', async () => {
    const ks = quick ? [1] : [1, 2];
    return [...(await benchClassifier(['wasm'], ks)), ...(await benchClassifierKernel(ks))];
  });
  if (quick) {
    // Quick: the solver alone (n ≤ 512); weight matching needs the MNIST pair of the full run.
    await step('lap', async () => {
      const rng = createRng(2024);
      const out: BenchRow[] = [];
      for (const n of [128, 256, 512]) {
        const m = Float64Array.from({ length: n * n }, () => rng.next());
        out.push({
          group: 'lap',
          name: lapName(n),
          runtime: 'node/ts',
          ...(await timeIt(() => solveAssignment(m, n, true), 7, 1)),
          unit: 'ms',
        });
        out.push(...lapReference(n));
      }
      return out;
    });
    if (want('align'))
      rows.push({
        group: 'align',
        name: 'weight matching',
        runtime: 'node/ts',
        median: NaN,
        min: NaN,
        max: NaN,
        unit: 's',
        skipped: 'not in --quick',
      });
  } else if (want('lap') || want('align')) {
    log(want('align') ? 'lap + align (MNIST pair trained in TypeScript first)…' : 'lap…');
    try {
      const r = await benchAlign(want('align') ? 60 : 0);
      rows.push(...r.filter((x) => want(x.group)));
    } catch (e) {
      rows.push({
        group: 'align',
        name: 'align benchmarks',
        runtime: 'node/ts',
        median: NaN,
        min: NaN,
        max: NaN,
        unit: '',
        skipped: `failed: ${(e as Error).message}`,
      });
    }
  }
  await step('merge', () => benchMerge(quick ? 1 : 3));
  await step('paths', () => benchPaths({ backends: quick ? ['wasm'] : ['wasm', 'cpu'] }));
  await step('landscape', () => benchLandscape(quick ? [] : ['wasm', 'cpu'])); // quick: PCA only
  await step('zoo', () => benchZoo(quick ? 1 : 2, log));
  if (!quick) await step('checkpoints', () => benchCheckpoints());
  else if (want('checkpoints'))
    rows.push({
      group: 'checkpoints',
      name: 'checkpoint reading',
      runtime: 'node/ts',
      median: NaN,
      min: NaN,
      max: NaN,
      unit: 'ms',
      skipped: 'not in --quick',
    });
  if (wantChromium)
    await step(want('chromium') ? 'chromium' : 'ui', () => {
      const groups = ['train', 'paths', 'landscape', 'ui'].filter(
        (g) =>
          only.size === 0 ||
          only.has(g) ||
          (only.has('chromium') && ![...only].some((o) => ['train', 'paths', 'landscape', 'ui'].includes(o))),
      );
      return benchChromium({ quick, groups, log });
    });

  await step('longtasks', () => benchLongTasks(log));

  // With --only, the other groups' rows of the last results.json are kept, so that one group can
  // be re-measured without redoing the whole run (the table then says which rows are older).
  // The committed bench/results.json changes only when asked (--save); other runs write
  // bench/results.local.json (git-ignored), merging with it when it exists.
  const committed = here('./results.json');
  const out = save ? committed : here('./results.local.json');
  const source = existsSync(out) ? out : committed;
  let mergedFrom: string | null = null;
  if (only.size > 0 && existsSync(source)) {
    const prev = JSON.parse(readFileSync(source, 'utf8')) as {
      date?: string;
      raw?: (BenchRow & { median: number | null; min: number | null; max: number | null })[];
    };
    const rerun = (r: BenchRow): boolean =>
      r.group === 'ui'
        ? want('ui') || want('chromium')
        : r.runtime.startsWith('chromium')
          ? want('chromium')
          : want(r.group);
    const kept = (prev.raw ?? [])
      .filter((r) => !rerun(r))
      .map((r) => ({
        ...r,
        median: r.median ?? NaN,
        min: r.min ?? NaN,
        max: r.max ?? NaN,
        extra: { ...r.extra, measured: r.extra?.measured ?? prev.date ?? 'earlier' },
      }));
    if (kept.length) mergedFrom = prev.date ?? 'an earlier run';
    rows.unshift(...kept);
  }
  const table = pair(rows);
  const gemm = rows.filter(
    (r) => r.group === 'gemm' && isReference(r) && r.name.endsWith(', 1 thread') && !r.skipped,
  );
  const ceiling = Math.max(0, ...gemm.map((r) => r.median));
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    python: py.version ?? null,
    loadavgStart: load0.map((x) => Number(x.toFixed(2))),
    loadavgEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(
    `\nWeightscope benchmarks (${quick ? 'quick' : 'full'}), ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}; reference: ${py.note}.`,
  );
  console.log(
    `ratio = Weightscope speed ÷ PyTorch speed (> 1 means Weightscope is faster). GEMM ceiling (1 thread): ${fmt(ceiling)} GFLOP/s.\n`,
  );
  printTable(table, ceiling);
  console.log(
    `\nload average ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}; ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`,
  );
  if (mergedFrom) console.log(`rows not selected by --only are from the run of ${mergedFrom}.`);
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), quick, only: [...only], machine, reference: py.note, gemmCeilingGflops: ceiling, mergedFrom, rows: table, raw: rows }, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  log(`wrote ${out}`);
}

await main();
