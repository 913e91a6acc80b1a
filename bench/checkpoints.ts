/**
 * Checkpoint reading: time and memory to read a ~100 MB safetensors file and a ~100 MB PyTorch
 * zip checkpoint (written into the OS temp folder), and to turn the result into a Model.
 * Memory is the growth of `arrayBuffers` and RSS while the result is alive, after a GC when
 * `--expose-gc` is on (`node --expose-gc --import tsx bench/checkpoints.ts`; without it the
 * deltas are rough); it shows how many copies of the weights a read makes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inferArchitecture, readCheckpoint, toModel, writeSafetensors } from '../src/engine/checkpoints';
import { initModel, paramCount, type MlpArch } from '../src/engine/model';
import { timeIt, type BenchRow } from './measure';

const ARCH: MlpArch = { widths: [1000, 2500, 2500, 2500, 2500, 1000], activation: 'relu' };
const MB = 2 ** 20;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function memoryOf(fn: () => unknown): { arrayBuffersMB: number; rssMB: number } {
  gc();
  const before = process.memoryUsage();
  const keep = fn();
  const after = process.memoryUsage();
  void keep;
  return {
    arrayBuffersMB: (after.arrayBuffers - before.arrayBuffers) / MB,
    rssMB: (after.rss - before.rss) / MB,
  };
}

async function row(name: string, file: string, withModel: boolean): Promise<BenchRow> {
  const bytes = new Uint8Array(readFileSync(file));
  const files = [{ name: file, bytes }];
  const run = (): unknown => {
    const c = readCheckpoint(files);
    return withModel ? toModel(c, inferArchitecture(c), { activation: 'relu' }) : c;
  };
  const mem = memoryOf(run);
  const t = await timeIt(run, 3, 1);
  const fileMB = bytes.length / MB;
  return {
    group: 'checkpoints',
    name,
    runtime: 'node/ts',
    ...t,
    unit: 'ms',
    extra: {
      fileMB: +fileMB.toFixed(1),
      'MB/s': +(fileMB / (t.median / 1000)).toFixed(0),
      arrayBuffersMB: +mem.arrayBuffersMB.toFixed(1),
      rssMB: +mem.rssMB.toFixed(1),
    },
  };
}

const skipped = (name: string, why: string): BenchRow => ({
  group: 'checkpoints',
  name,
  runtime: 'node/ts',
  median: NaN,
  min: NaN,
  max: NaN,
  unit: 'ms',
  skipped: why,
});

/** Benchmarks reading ~100 MB checkpoints. */
export async function benchCheckpoints(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-ckpt-'));
  const rows: BenchRow[] = [];
  const label = `${(paramCount(ARCH) / 1e6).toFixed(1)}M params`;
  try {
    const model = initModel(ARCH, 1);
    const st = join(dir, 'big.safetensors');
    writeFileSync(st, writeSafetensors(model, {}));
    rows.push(await row(`read safetensors, ${label}`, st, false));
    rows.push(await row(`read safetensors + toModel, ${label}`, st, true));
    const pt = join(dir, 'big.pt');
    const python = '/usr/bin/python3';
    let why: string | null = null;
    if (!existsSync(python)) why = 'no /usr/bin/python3 with torch to write the .pt';
    else {
      try {
        const script = [
          'import torch',
          `w = ${JSON.stringify(ARCH.widths)}`,
          'sd = {}',
          'for i in range(len(w) - 1):',
          '    sd[f"{2*i}.weight"] = torch.randn(w[i+1], w[i]) * 0.01',
          '    sd[f"{2*i}.bias"] = torch.zeros(w[i+1])',
          `torch.save(sd, ${JSON.stringify(pt)})`,
        ].join('\n');
        execFileSync(python, ['-c', script], { stdio: 'pipe' });
      } catch (e) {
        why = `python3 could not write the .pt (${(e as Error).message.split('\n')[0]})`;
      }
    }
    if (why) rows.push(skipped(`read .pt, ${label}`, why));
    else {
      rows.push(await row(`read .pt, ${label}`, pt, false));
      rows.push(await row(`read .pt + toModel, ${label}`, pt, true));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchCheckpoints();
  console.table(
    rows.map((r) => ({
      name: r.name,
      median: r.median.toFixed(0),
      min: r.min.toFixed(0),
      unit: r.unit,
      ...r.extra,
      ...(r.skipped ? { skipped: r.skipped } : {}),
    })),
  );
}
