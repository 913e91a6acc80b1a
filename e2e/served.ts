/**
 * The production build served by `weightscope open`, for browser tests that must see the app as
 * people get it: minified, cross-origin isolated, under its Content-Security-Policy. State is
 * read with page.evaluate(function) only — the helpers in browser.ts compile strings with
 * `new Function`, which the page's CSP (rightly) refuses.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The newest modification time of the build's inputs (sources, config, public files). */
function newestInput(): number {
  let newest = 0;
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'scripts/vite-csp.ts', 'package.json'])
    walk(path.join(ROOT, p));
  return newest;
}

/**
 * Builds dist/ (the build is what ships; ~20 s here), unless a build this helper made is newer
 * than every input, so the browser tests that need it share one build.
 */
export async function buildApp(): Promise<void> {
  const stamp = path.join(ROOT, 'dist', '.e2e-build');
  if (existsSync(stamp) && statSync(stamp).mtimeMs > newestInput()) return;
  await productionBuild();
  writeFileSync(stamp, new Date().toISOString());
}

/**
 * `vite build` into dist/ with NODE_ENV=production. A process that already has NODE_ENV set keeps
 * it in the build (vitest sets `test`, a Vite dev server started before sets `development`),
 * which would bundle React's development build.
 */
export async function productionBuild(): Promise<void> {
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), root: ROOT, logLevel: 'warn' });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
}

/** A running `weightscope open`: its URL, the files it listed, and how to stop it. */
export interface Served {
  url: string;
  files: string[];
  proc: ChildProcess;
  stop(): void;
}

/** Starts `weightscope open ARGS --no-browser --port 0 --json` and waits for its URL. */
export function serve(args: string[]): Promise<Served> {
  const proc = spawn(
    'node',
    ['bin/weightscope.js', 'open', ...args, '--no-browser', '--port', '0', '--json'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`weightscope open exited ${code}: ${err}`)));
    proc.stdout!.once('data', (c: Buffer) => {
      const { url, files } = JSON.parse(c.toString()) as { url: string; files: string[] };
      resolve({ url, files, proc, stop: () => proc.kill('SIGTERM') });
    });
  });
}

/**
 * An LD_PRELOAD shim that makes Chromium report `cores` processors, so that the app's wasm
 * backend takes its threaded path on this 2-core machine (it keeps threads off at ≤ 2 cores).
 * Null where no C compiler is installed: the threaded check is then skipped, and says so.
 */
export function fakeCoresEnv(cores: number): Record<string, string> | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-cores-'));
  const so = path.join(dir, 'cores.so');
  const src = `#define _GNU_SOURCE
#include <unistd.h>
#include <sched.h>
#include <dlfcn.h>
long sysconf(int n){static long(*r)(int);if(!r)r=(long(*)(int))dlsym(RTLD_NEXT,"sysconf");
if(n==_SC_NPROCESSORS_ONLN||n==_SC_NPROCESSORS_CONF)return ${cores};return r(n);}
int sched_getaffinity(pid_t p,size_t s,cpu_set_t*m){static int(*r)(pid_t,size_t,cpu_set_t*);
if(!r)r=(int(*)(pid_t,size_t,cpu_set_t*))dlsym(RTLD_NEXT,"sched_getaffinity");int x=r(p,s,m);
if(!x){CPU_ZERO_S(s,m);for(int i=0;i<${cores};i++)CPU_SET_S(i,s,m);}return x;}`;
  try {
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-x', 'c', '-o', so, '-', '-ldl'], { input: src });
  } catch {
    return null;
  }
  return existsSync(so) ? { ...(process.env as Record<string, string>), LD_PRELOAD: so } : null;
}

/** Records CSP violations seen by the document, before any of the page's scripts run. */
export async function recordViolations(page: Page): Promise<string[]> {
  const fromConsole: string[] = [];
  // Workers report their violations to the console, which Playwright forwards from workers too.
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) fromConsole.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return fromConsole;
}

/** The violations the document saw (see recordViolations). */
export const documentViolations = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

interface Snapshot {
  status: string;
  step: number;
  backend: string | null;
  models: { id: string; name: string; source: string }[];
}

/** A few fields of the app state, read without eval. */
export const snapshot = (page: Page): Promise<Snapshot | null> =>
  page.evaluate(() => {
    const s = (
      window as unknown as {
        __weightscope?: {
          getState(): {
            run: { status: string; step: number };
            backend: { name: string } | null;
            models: { id: string; name: string; source: string }[];
          };
        };
      }
    ).__weightscope?.getState();
    return s
      ? {
          status: s.run.status,
          step: s.run.step,
          backend: s.backend?.name ?? null,
          models: s.models.map((m) => ({ id: m.id, name: m.name, source: m.source })),
        }
      : null;
  });

/** Polls `snapshot` until `ok` holds (no string predicates, so no eval in the page). */
export async function until(
  page: Page,
  ok: (s: Snapshot) => boolean,
  what: string,
  timeout = 120_000,
): Promise<Snapshot> {
  const end = Date.now() + timeout;
  for (;;) {
    const s = await snapshot(page);
    if (s && ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; state ${JSON.stringify(s)}`);
    await page.waitForTimeout(250);
  }
}
