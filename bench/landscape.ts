/**
 * Landscape views in Node: PCA of 256 models × 50,000 parameters (the N×N Gram matrix on the
 * engine's float64 kernel, WebAssembly SIMD, then the eigenproblem), with NumPy's PCA of the
 * same cloud right after it (bench/torch_bench.py --row pca), and a 21×21 loss plane through three SIREN 3×64 on a 64×64 image per tfjs backend (11×11 on cpu,
 * projected, to keep the run near two minutes).
 */
import { pathToFileURL } from 'node:url';
import { availableCores, nodeShardPorts } from '../src/cli/kernel-pool';
import { initNodeBackend, type NodeBackend } from '../src/cli/tf-node';
import { initModel } from '../src/engine/model';
import { pca } from '../src/engine/landscape/pca';
import { lossPlane } from '../src/engine/landscape/plane';
import { benchImage, syntheticCloud } from '../src/workers/jobs/bench-data';
import { BENCH_SIREN } from './paths';
import { timeIt, type BenchRow } from './measure';
import { referenceRows, withHandOver } from './reference';

export const PCA_NAME = 'PCA, 256 models × 50,000 params, k=3';

/**
 * NumPy's PCA of the same cloud, right after ours: Gram + eigh (the same computation, the row
 * the ratio compares) and the textbook SVD (a row of its own).
 */
function pcaReference(cloud: Float32Array[]): BenchRow[] {
  const [n, d] = [cloud.length, cloud[0]!.length];
  const flat = new Float32Array(n * d);
  cloud.forEach((p, i) => flat.set(p, i * d));
  return withHandOver([{ name: 'cloud', shape: [n, d], data: flat }], {}, (file) =>
    referenceRows(['--row', 'pca', '--input', file, '--name', PCA_NAME], {
      group: 'landscape',
      name: PCA_NAME,
      runtime: 'python/numpy',
      unit: 'ms',
    }),
  );
}

/**
 * PCA (ours, then NumPy's when `reference`), then the loss plane on the fused kernel and on each
 * tfjs backend.
 */
export async function benchLandscape(
  backends: NodeBackend[] = ['wasm', 'cpu'],
  reference = true,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cloud = syntheticCloud(256, 50_000, 1);
  let ratio = 0;
  const t = await timeIt(
    () => {
      ratio = pca(cloud, 3)
        .explainedVarianceRatio.slice(0, 3)
        .reduce((s, x) => s + x, 0);
    },
    3,
    1,
  );
  rows.push({
    group: 'landscape',
    name: PCA_NAME,
    runtime: 'node/ts',
    ...t,
    unit: 'ms',
    extra: { top3Ratio: Number(ratio.toFixed(4)), method: 'Gram + eigh, float64' },
  });
  if (reference) rows.push(...pcaReference(cloud));

  const data = benchImage(64);
  const models = [1, 2, 3].map((s) => initModel(BENCH_SIREN, s));
  // lossPlane goes through tfjs before it picks the kernel: a backend must be up (with
  // --only landscape no earlier group has started one).
  await initNodeBackend('wasm');
  // The plane on the fused kernel's forward pass (what the app and the CLI now run), in this
  // thread and with its chunks over one worker thread per core (timed with the threads' start-up),
  // then tfjs.
  const threads = availableCores();
  for (const [runtime, ports] of [
    ['node/fused-wasm', undefined],
    [`node/fused-wasm ×${threads} threads`, (m: number) => nodeShardPorts(m, threads)],
  ] as const) {
    const f = await timeIt(
      () => lossPlane(models, data, { nx: 21, ny: 21, ...(ports ? { ports } : {}) }),
      1,
      0,
    );
    rows.push({
      group: 'landscape',
      name: 'loss plane 21×21, SIREN 3×64, 64×64',
      runtime,
      ...f,
      unit: 'ms',
      extra: {
        msPerModel: Number((f.median / 441).toFixed(1)),
        projected21x21S: Number((f.median / 1000).toFixed(1)),
      },
    });
  }
  for (const backend of backends) {
    await initNodeBackend(backend);
    // 441 models × 4096 pixels is ~7 GFLOP; cpu needs ~2 min for it, so it times an 11×11
    // plane (121 models) and projects. One timed run each, no warm-up.
    const side = backend === 'cpu' ? 11 : 21;
    const p = await timeIt(() => lossPlane(models, data, { nx: side, ny: side, kernel: false }), 1, 0);
    const perModel = p.median / (side * side);
    rows.push({
      group: 'landscape',
      name: `loss plane ${side}×${side}, SIREN 3×64, 64×64`,
      runtime: `node/${backend}`,
      ...p,
      unit: 'ms',
      extra: {
        msPerModel: Number(perModel.toFixed(1)),
        projected21x21S: Number(((perModel * 441) / 1000).toFixed(1)),
      },
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchLandscape();
  console.table(
    rows.map((r) => ({
      name: r.name,
      runtime: r.runtime,
      median: r.median.toFixed(1),
      unit: r.unit,
      ...r.extra,
    })),
  );
}
