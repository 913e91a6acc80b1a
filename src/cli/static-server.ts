/**
 * A small static server for the built app (dist/), served like a real site: cross-origin
 * isolated with the CSP (site-headers.ts), year-long caching for content-hashed assets and
 * revalidation for the rest, gzip, correct types, 404 for unknown paths (no index.html
 * fallback). It answers only on 127.0.0.1, only GET/HEAD, only for Host 127.0.0.1/localhost
 * (a DNS-rebinding page cannot read it), and never outside its root: `..` in any spelling,
 * encoded slashes and symlinks out are 404. With a CheckpointSet it also lists and serves those
 * checkpoints, read-only, under /__weightscope/.
 */
import { createReadStream, readFileSync, realpathSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CheckpointSet } from './checkpoint-set';
import { COMPRESSIBLE, MIME_TYPES, SITE_HEADERS, cacheControl } from './site-headers';

/** The checkpoint listing the app fetches on start (and polls when `watch` is true). */
export const LISTING_PATH = '/__weightscope/files';

export interface ServerOptions {
  /** The built app (a folder holding index.html). */
  root: string;
  checkpoints?: CheckpointSet;
  watch?: boolean;
  /** Extra listing fields (the activation flags of `open`). */
  listingExtra?: Record<string, unknown>;
}

/**
 * The path below `root` a request path names, or null: rejects encoded slashes, backslashes,
 * NUL, `.`/`..` segments (after percent-decoding, so `%2e%2e` too) and anything whose real path
 * leaves the root.
 */
export function resolveInside(rootReal: string, rawPath: string): string | null {
  if (/%2f|%5c|%00/i.test(rawPath)) return null;
  let p: string;
  try {
    p = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (!p.startsWith('/') || /[\\\0]/.test(p)) return null;
  const segs = p.slice(1).split('/');
  if (segs.some((s) => s === '.' || s === '..')) return null;
  const full = path.join(rootReal, ...segs);
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    return null;
  }
  return real === rootReal || real.startsWith(rootReal + path.sep) ? real : null;
}

const gzipCache = new Map<string, { key: string; body: Buffer }>();

function gzipped(file: string, size: number, mtimeMs: number): Buffer {
  const key = `${size}:${mtimeMs}`;
  const hit = gzipCache.get(file);
  if (hit?.key === key) return hit.body;
  const body = gzipSync(readFileSync(file), { level: 6 });
  gzipCache.set(file, { key, body });
  return body;
}

function send(
  res: http.ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SITE_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

/** Sends a file, compressed when the type (or /data/) is worth it and the client accepts gzip. */
function sendFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  file: string,
  urlPath: string,
  cache: string,
): void {
  const st = statSync(file);
  const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    ...SITE_HEADERS,
    'Content-Type': type,
    'Cache-Control': cache,
    ETag: etag,
    Vary: 'Accept-Encoding',
  };
  if (req.headers['if-none-match'] === etag && cache !== 'no-store') {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip =
    (COMPRESSIBLE.test(type) || urlPath.startsWith('/data/')) &&
    st.size > 1024 &&
    /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) {
    const body = gzipped(file, st.size, st.mtimeMs);
    res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(st.size) });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

/** Creates (does not start) the server. */
export function createStaticServer(opts: ServerOptions): http.Server {
  const rootReal = realpathSync(opts.root);
  return http.createServer((req, res) => {
    try {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      if (host !== '127.0.0.1' && host !== 'localhost') return send(res, 403, 'forbidden host');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'read-only', { Allow: 'GET, HEAD' });
      const rawPath = (req.url ?? '/').split('?')[0]!;
      if (opts.checkpoints && rawPath === LISTING_PATH) {
        const files = opts.checkpoints.list().map(({ name, size, mtimeMs }) => ({ name, size, mtimeMs }));
        const body = JSON.stringify({ watch: !!opts.watch, files, ...opts.listingExtra });
        res.writeHead(200, {
          ...SITE_HEADERS,
          'Content-Type': MIME_TYPES['.json']!,
          'Cache-Control': 'no-store',
          'Content-Length': String(Buffer.byteLength(body)),
        });
        return res.end(req.method === 'HEAD' ? undefined : body);
      }
      if (opts.checkpoints && rawPath.startsWith(`${LISTING_PATH}/`)) {
        let name: string;
        try {
          name = decodeURIComponent(rawPath.slice(LISTING_PATH.length + 1));
        } catch {
          return send(res, 404, 'not found');
        }
        const f = opts.checkpoints.find(name);
        if (!f) return send(res, 404, 'not found');
        return sendFile(req, res, f.real, rawPath, 'no-store');
      }
      const urlPath = rawPath === '/' ? '/index.html' : rawPath;
      const file = resolveInside(rootReal, urlPath);
      if (!file || !statSync(file).isFile()) return send(res, 404, 'not found');
      sendFile(req, res, file, urlPath, cacheControl(urlPath));
    } catch {
      if (!res.headersSent) send(res, 500, 'server error');
      else res.destroy();
    }
  });
}
