/**
 * The bundled `weightscope` (dist-cli/, built by the suite's set-up) is the command the other CLI
 * tests run: it must answer exactly as the TypeScript sources do, including in its kernel worker
 * threads, and must be set aside the moment any file it was made from changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshBundle } from '../bin/cli-bundle.mjs';
import { ROOT } from './helpers/cli';

const dir = mkdtempSync(path.join(tmpdir(), 'ws-cli-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command from the bundle and from the sources; their --json answers. */
function both(args: (from: string) => string[]): [Record<string, unknown>, Record<string, unknown>] {
  return [run('bundle', ...args('bundle')), run('sources', ...args('sources'))];
}

/** Runs the command from the bundle or from the sources; its --json answer. */
function run(from: 'bundle' | 'sources', ...args: string[]): Record<string, unknown> {
  const env = { ...process.env };
  if (from === 'sources') env.WEIGHTSCOPE_CLI_SOURCE = '1';
  else delete env.WEIGHTSCOPE_CLI_SOURCE;
  const out = execFileSync('node', ['bin/weightscope.js', ...args, '--json'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('the bundled command', () => {
  it('is fresh after the set-up, so the CLI tests run it', () => {
    const reasons: string[] = [];
    expect(freshBundle({ why: (r) => reasons.push(r) }), reasons.join('; ')).toBe(
      path.join(ROOT, 'dist-cli', 'main.js'),
    );
  });

  it('aligns and exports byte for byte as the sources do', () => {
    const src = path.join(ROOT, 'tests/fixtures/roundtrip');
    const out = (from: string): string => {
      mkdirSync(path.join(dir, from), { recursive: true });
      return path.join(dir, from, 'aligned.pt');
    };
    const [bundle, sources] = both((from) => [
      'align',
      `${src}/seq_a.pt`,
      `${src}/seq_b.pt`,
      '--out',
      out(from),
    ]);
    expect({ ...bundle, out: null }).toEqual({ ...sources, out: null });
    expect(readFileSync(out('bundle')).equals(readFileSync(out('sources')))).toBe(true);
  });

  it('trains a population on its kernel worker threads to the same losses', () => {
    const [bundle, sources] = both((from) => [
      ...['train-inr', '--image', 'public/samples/rings.png', '--size', '32', '--steps', '20'],
      ...['--models', '3', '--seed', '4', '--out', path.join(dir, `${from}.safetensors`)],
    ]);
    expect(bundle.kernel).toMatch(/threads/);
    expect(bundle.kernel).toBe(sources.kernel);
    expect(bundle.finalLosses).toEqual(sources.finalLosses);
  });

  it('trains on tfjs (its wasm backend) to the same loss', () => {
    const [bundle, sources] = both((from) => [
      ...['train-inr', '--image', 'public/samples/rings.png', '--size', '16', '--steps', '10'],
      ...[
        '--kernel',
        'tfjs',
        '--backend',
        'wasm',
        '--seed',
        '2',
        '--out',
        path.join(dir, `tf-${from}.safetensors`),
      ],
    ]);
    expect(bundle.backend).toBe('wasm');
    expect(bundle.finalLoss).toBe(sources.finalLoss);
  });
});

describe('freshness', () => {
  /** A project with one input and npm's lock record, and a bundle built at `startedAt`. */
  function project(startedAt: number): string {
    const root = mkdtempSync(path.join(dir, 'project-'));
    mkdirSync(path.join(root, 'dist-cli'));
    mkdirSync(path.join(root, 'node_modules'));
    mkdirSync(path.join(root, 'src'));
    for (const f of ['src/a.ts', 'node_modules/.package-lock.json']) {
      writeFileSync(path.join(root, f), '');
      utimesSync(path.join(root, f), 1_000, 1_000);
    }
    writeFileSync(
      path.join(root, 'dist-cli/manifest.json'),
      JSON.stringify({ startedAt, inputs: ['src/a.ts'] }),
    );
    return root;
  }
  const fresh = (root: string): string | null => {
    let reason = '';
    return freshBundle({ root, why: (r) => (reason = r) }) ?? reason;
  };

  it('uses a bundle built after its inputs', () => {
    const root = project(2_000_000);
    expect(fresh(root)).toBe(path.join(root, 'dist-cli', 'main.js'));
  });

  it('sets it aside when an input or the installed packages change, or an input is gone', () => {
    let root = project(2_000_000);
    utimesSync(path.join(root, 'src/a.ts'), 3_000, 3_000);
    expect(fresh(root)).toBe('src/a.ts changed after the bundle was built');
    root = project(2_000_000);
    utimesSync(path.join(root, 'node_modules/.package-lock.json'), 3_000, 3_000);
    expect(fresh(root)).toBe('node_modules/.package-lock.json changed after the bundle was built');
    root = project(2_000_000);
    rmSync(path.join(root, 'src/a.ts'));
    expect(fresh(root)).toBe('src/a.ts is gone');
    rmSync(path.join(root, 'dist-cli/manifest.json'));
    expect(fresh(root)).toBe('no bundle (npm run build:cli)');
  });
});
