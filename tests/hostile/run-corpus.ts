/**
 * Child process of tests/hostile-corpus.test.ts: runs every hostile case the way the app and the
 * CLI hand files over (checkpoint: read → infer → metadata → model; dataset; image header), one
 * JSON line per case. Started with --max-old-space-size=256 --expose-gc, so a case that blows the
 * heap kills this process (and the parent names the case in progress). Prints `start <name>`
 * before each case so the parent's 10 s watchdog knows which one hung.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  archFromMetadata,
  inferArchitecture,
  readCheckpoint,
  toModel,
  type ModelOptions,
} from '../../src/engine/checkpoints';
import { parseDatasetNpz } from '../../src/engine/data/dataset';
import { readImageHeader } from '../../src/engine/image-header';
import { bigCases, CORPUS_DIR, type HostileCase } from '../../scripts/make-hostile-files';

type Entry = Omit<HostileCase, 'files'> & { files: string[] };

function load(): HostileCase[] {
  const manifest = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'manifest.json'), 'utf8')) as {
    cases: Entry[];
  };
  const committed = manifest.cases.map((c) => ({
    ...c,
    files: c.files.map((f) => ({
      name: f,
      bytes: new Uint8Array(readFileSync(path.join(CORPUS_DIR, c.name, f))),
    })),
  }));
  // The classic refusals of the interop fixtures (tests/fixtures/manifest.json) run here too.
  const fixtures = JSON.parse(readFileSync('tests/fixtures/manifest.json', 'utf8')) as {
    fixtures: { files: string[]; error?: string; message?: string }[];
  };
  const classic: HostileCase[] = fixtures.fixtures
    .filter((f) => f.error)
    .map((f) => ({
      name: `classic ${f.files[0]}`,
      via: 'checkpoint',
      files: f.files.map((p) => ({
        name: path.basename(p),
        bytes: new Uint8Array(readFileSync(path.join('tests/fixtures', p))),
      })),
      expect: 'refuse',
      error: f.error!,
      ...(f.message ? { message: f.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') } : {}),
      why: 'classic fixture',
    }));
  return [...committed, ...bigCases(), ...classic];
}

/** What the app's worker and the CLI do with dropped checkpoint files. */
function asCheckpoint(files: HostileCase['files']): number[] {
  const contents = readCheckpoint(files);
  const inference = inferArchitecture(contents);
  const meta = archFromMetadata(contents.metadata) ?? {};
  const opts: ModelOptions = { activation: meta.activation ?? 'relu' };
  if (opts.activation === 'sine') opts.w0 = meta.w0 ?? 30;
  if (meta.outputOffset !== undefined) opts.outputOffset = meta.outputOffset;
  if (meta.encoding && inference.encodingTensor) opts.encoding = meta.encoding;
  toModel(contents, inference, opts);
  return contents.tensors[0]!.shape;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const only = process.argv[2];
if (process.argv[1]?.endsWith('run-corpus.ts')) main();

function main(): void {
  const cases = load().filter((c) => !only || c.name === only);
  gc();
  // Peak RSS is monotonic: its growth over this baseline bounds every case's own peak.
  const baseKB = process.resourceUsage().maxRSS;
  process.stdout.write(`cases ${cases.length}\n`);
  for (const c of cases) {
    process.stdout.write(`start ${c.name}\n`);
    const t0 = performance.now();
    let line: Record<string, unknown>;
    try {
      let shape: number[] | undefined;
      if (c.via === 'checkpoint') shape = asCheckpoint(c.files);
      else if (c.via === 'dataset') parseDatasetNpz(c.files[0]!.bytes, c.files[0]!.name);
      else readImageHeader(c.files[0]!.bytes, c.files[0]!.name);
      line = { outcome: 'accept', shape };
    } catch (e) {
      const err = e as Error;
      line = { outcome: 'refuse', error: err.name, message: err.message };
    }
    gc();
    const peakGrowthMB = (process.resourceUsage().maxRSS - baseKB) / 1024;
    process.stdout.write(
      JSON.stringify({
        name: c.name,
        got: line,
        want: { expect: c.expect, error: c.error, message: c.message, shape: c.shape },
        ms: performance.now() - t0,
        peakGrowthMB,
      }) + '\n',
    );
  }
  process.stdout.write('done\n');
}
