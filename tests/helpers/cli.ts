/**
 * The `weightscope` command as a subprocess, for the CLI tests: its exit code and both streams,
 * its single line of `--json`, and a refusal (exit code, the reason on stderr, nothing on stdout).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

export const ROOT = path.resolve(__dirname, '../..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/weightscope.js …args` in the repository. The timeout is a hang detector (a
 * FIFO read would block forever), below the tests' own limit, not a timing assertion.
 */
export function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['bin/weightscope.js', ...args],
      { cwd: ROOT, maxBuffer: 64 << 20, timeout: 100_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** A run's `--json` answer: exit 0, exactly one line on stdout, a JSON object. */
export function jsonOf(r: Run): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  const v: unknown = JSON.parse(r.stdout);
  expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
  return v as Record<string, unknown>;
}

/** Runs the command with `--json` and returns its answer (see jsonOf). */
export async function cliJson(...args: string[]): Promise<Record<string, unknown>> {
  return jsonOf(await cli(...args, '--json'));
}

/**
 * The command refuses: exit `code`, nothing on stdout, a reason on stderr naming every needle
 * (a string it contains or a pattern it matches).
 */
export async function cliFails(code: number, needles: (string | RegExp)[], ...args: string[]): Promise<void> {
  const r = await cli(...args, '--json');
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  expect(r.stdout).toBe('');
  for (const n of needles)
    if (typeof n === 'string') expect(r.stderr).toContain(n);
    else expect(r.stderr).toMatch(n);
  expect(r.stderr.trim().length).toBeGreaterThan(0);
}
