/**
 * The hostile-file corpus (scripts/make-hostile-files.ts, issue #15) run the way the app and the
 * CLI hand files over, in a child process whose heap is capped at 256 MB: no crash, no case
 * running past a 10 s watchdog, peak RSS growth under 256 MB, and every case's outcome as
 * expected: refusals of the reader's own error class, with a message naming the limit or rule;
 * acceptances reading the tensor as its writer meant it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, hostileCases, manifestEntry } from '../scripts/make-hostile-files';

interface Result {
  name: string;
  got: { outcome: string; error?: string; message?: string; shape?: number[] };
  want: { expect: string; error?: string; message?: string; shape?: number[] };
  ms: number;
  peakGrowthMB: number;
}

const WATCHDOG_MS = 10_000;
const HEAP_MB = 256;

/** Runs the corpus in a child; resolves with every result, or rejects naming the case that hung or crashed. */
function runCorpus(): Promise<{ results: Result[]; count: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'node',
      [
        `--max-old-space-size=${HEAP_MB}`,
        '--expose-gc',
        '--import',
        './bin/register.mjs',
        'tests/hostile/run-corpus.ts',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const results: Result[] = [];
    let count = -1;
    let current = '(loading)';
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`case ${current} ran past the ${ms / 1000} s watchdog`));
      }, ms);
    };
    arm(60_000); // module loading and building the in-memory cases
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('cases ')) count = Number(line.slice(6));
        else if (line.startsWith('start ')) {
          current = line.slice(6);
          arm(WATCHDOG_MS);
        } else if (line === 'done') clearTimeout(timer);
        else if (line.startsWith('{')) results.push(JSON.parse(line) as Result);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ results, count });
      else
        reject(
          new Error(`the corpus runner died (exit ${code}) during case ${current}: ${stderr.slice(-2000)}`),
        );
    });
  });
}

describe('hostile-file corpus', () => {
  it('every case: the expected outcome, a named limit, under 10 s and 256 MB', async () => {
    const { results, count } = await runCorpus();
    expect(count).toBeGreaterThanOrEqual(45);
    expect(results).toHaveLength(count);
    for (const r of results) {
      const where = `${r.name}: ${JSON.stringify(r.got).slice(0, 400)}`;
      expect(r.got.outcome, where).toBe(r.want.expect);
      if (r.want.expect === 'refuse') {
        expect(r.got.error, where).toBe(r.want.error);
        if (r.want.message) expect(r.got.message, where).toMatch(new RegExp(r.want.message));
      } else if (r.want.shape) expect(r.got.shape, where).toEqual(r.want.shape);
      expect(r.peakGrowthMB, where).toBeLessThan(HEAP_MB);
    }
    // Every issue item with a file-level finding has at least one case.
    const names = results.map((r) => r.name).join(' ');
    for (const kind of [
      'pt-',
      'npz-',
      'npy-',
      'st-',
      'tfjs-',
      'dataset-',
      'gif-',
      'jpeg-',
      'png-',
      'classic',
    ])
      expect(names).toContain(kind);
  });

  it('the committed corpus is what scripts/make-hostile-files.ts writes, byte for byte', () => {
    const cases = hostileCases();
    const manifest = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'manifest.json'), 'utf8')) as {
      cases: unknown[];
    };
    expect(manifest.cases).toEqual(JSON.parse(JSON.stringify(cases.map(manifestEntry))));
    for (const c of cases)
      for (const f of c.files)
        expect(
          Buffer.from(readFileSync(path.join(CORPUS_DIR, c.name, f.name))).equals(Buffer.from(f.bytes)),
          `${c.name}/${f.name}`,
        ).toBe(true);
  });
});
