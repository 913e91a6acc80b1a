/**
 * The server behind `weightscope open` and `npm run preview`, on a small fake build: production
 * headers on every response, caching by path, gzip, MIME types, 404 for unknown paths and for
 * every spelling of a path outside the root (raw HTTP, so nothing normalises the path first),
 * and the checkpoint listing: only checkpoints in the folder, settled files only, symlinks out
 * refused, new files appearing live.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointSet } from '../src/cli/checkpoint-set';
import { CONTENT_SECURITY_POLICY } from '../src/cli/site-headers';
import { createStaticServer, LISTING_PATH } from '../src/cli/static-server';

let root = '';
let server: Server;
let port = 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'ws-serve-'));
const dist = path.join(tmp, 'dist');
const runs = path.join(tmp, 'runs');
const old = (p: string): void => utimesSync(p, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

/** One raw HTTP/1.1 request (the path is sent exactly as given), the whole response back. */
function raw(
  reqPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const h: Record<string, string> = {};
      for (const l of lines.slice(1))
        h[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers: h, body: all.subarray(split + 4) });
    });
    const hs = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
    sock.write(
      `${method} ${reqPath} HTTP/1.1\r\n${Object.entries(hs)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`,
    );
  });
}

beforeAll(async () => {
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  mkdirSync(path.join(dist, 'data'), { recursive: true });
  mkdirSync(runs);
  writeFileSync(
    path.join(dist, 'index.html'),
    '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
  );
  writeFileSync(path.join(dist, 'assets/app-1a2b.js'), 'console.log("weightscope");\n'.repeat(200));
  writeFileSync(path.join(dist, 'assets/k-1a2b.wasm'), new Uint8Array(4096));
  writeFileSync(path.join(dist, 'data/mnist.bin'), new Uint8Array(50_000).fill(7));
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside the root');
  writeFileSync(path.join(tmp, 'outside.pt'), 'outside the folder');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(dist, 'assets/link.txt'));
  for (const n of ['a.pt', 'b.safetensors', 'notes.txt']) {
    writeFileSync(path.join(runs, n), `bytes of ${n}`);
    old(path.join(runs, n));
  }
  symlinkSync(path.join(tmp, 'outside.pt'), path.join(runs, 'escape.pt'));
  root = dist;
  server = createStaticServer({ root, checkpoints: new CheckpointSet([runs]), watch: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('served like a real site', () => {
  it('sends COOP, COEP and the CSP on every response, errors included', async () => {
    for (const p of ['/', '/assets/app-1a2b.js', '/nope', LISTING_PATH]) {
      const r = await raw(p);
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*('unsafe-inline'|'unsafe-eval'|blob:)/);
  });

  it('caches hashed assets for a year and revalidates index.html; types are right', async () => {
    const index = await raw('/');
    expect(index.status).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    const js = await raw('/assets/app-1a2b.js');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw('/assets/k-1a2b.wasm')).headers['content-type']).toBe('application/wasm');
    expect((await raw(`${LISTING_PATH}/b.safetensors`)).headers['content-type']).toBe(
      'application/octet-stream',
    );
    const again = await raw('/', { 'If-None-Match': index.headers.etag! });
    expect(again.status).toBe(304);
  });

  it('compresses text and the MNIST data when asked, and the bytes survive', async () => {
    const js = await raw('/assets/app-1a2b.js', { 'Accept-Encoding': 'gzip, br' });
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(js.body).toString()).toContain('weightscope');
    const bin = await raw('/data/mnist.bin', { 'Accept-Encoding': 'gzip' });
    expect(bin.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(bin.body)).toHaveLength(50_000);
    expect(bin.body.length).toBeLessThan(1000);
    expect((await raw('/data/mnist.bin')).headers['content-encoding']).toBeUndefined();
  });

  it('404s unknown paths and every way out of the root; refuses writes and foreign hosts', async () => {
    for (const p of [
      '/nope',
      '/assets/nope.js',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2E%2E/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/assets/link.txt',
      '/%00',
      '/%',
      `${LISTING_PATH}/..%2fsecret.txt`,
      `${LISTING_PATH}/../secret.txt`,
      `${LISTING_PATH}/escape.pt`,
      `${LISTING_PATH}/notes.txt`,
    ]) {
      const r = await raw(p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString()).not.toContain('outside');
    }
    expect((await raw('/', {}, 'PUT')).status).toBe(405);
    expect((await raw('/', { Host: 'evil.example:80' })).status).toBe(403);
  });
});

describe('checkpoints', () => {
  it('lists only settled checkpoints inside the folder, and serves their bytes', async () => {
    const list = JSON.parse((await raw(LISTING_PATH)).body.toString()) as {
      watch: boolean;
      files: { name: string }[];
    };
    expect(list.watch).toBe(true);
    expect(list.files.map((f) => f.name)).toEqual(['a.pt', 'b.safetensors']);
    expect((await raw(`${LISTING_PATH}/a.pt`)).body.toString()).toBe('bytes of a.pt');
  });

  it('a checkpoint saved later joins once it has settled', async () => {
    writeFileSync(path.join(runs, 'c.pt'), 'bytes of c.pt');
    const now = JSON.parse((await raw(LISTING_PATH)).body.toString()) as { files: { name: string }[] };
    expect(now.files.map((f) => f.name)).not.toContain('c.pt');
    old(path.join(runs, 'c.pt'));
    const later = JSON.parse((await raw(LISTING_PATH)).body.toString()) as { files: { name: string }[] };
    expect(later.files.map((f) => f.name)).toEqual(['a.pt', 'b.safetensors', 'c.pt']);
  });
});
