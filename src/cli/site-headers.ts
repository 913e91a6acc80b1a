/**
 * The headers Weightscope is served with, in one place for `weightscope open`, `npm run
 * preview` and the documented static deployment (vite.config.ts imports this file too).
 */

/**
 * Content-Security-Policy. Scripts only from the site itself, plus 'wasm-unsafe-eval' (compiling
 * WebAssembly: tfjs-wasm and the Gram kernel); no inline script and no eval (zod runs jitless,
 * plotly's Function(...) calls are patched out at build time, tfjs-wasm's pthread scripts are
 * real files rather than blobs). Styles allow 'unsafe-inline' because plotly and React set
 * style attributes; images allow data:/blob: for plot exports and canvases.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response: cross-origin isolation (SharedArrayBuffer, wasm threads), CSP. */
export const SITE_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Cache-Control for a path of the built app: Vite's content-hashed files under /assets/ never
 * change, so they are cached for a year; everything else (index.html, data, samples) is
 * revalidated on every load so a new build is picked up at once.
 */
export function cacheControl(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** Content types by extension; anything else is served as bytes. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.pt': 'application/octet-stream',
  '.pth': 'application/octet-stream',
  '.npz': 'application/octet-stream',
  '.npy': 'application/octet-stream',
};

/** Types worth compressing (text, wasm, the MNIST pixels); weights barely compress. */
export const COMPRESSIBLE = /^(text\/|application\/(json|wasm|javascript))|^image\/svg/;
