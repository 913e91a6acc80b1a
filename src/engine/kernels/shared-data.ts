/**
 * Data that every shard of a pool reads (a training set, a target image, zoo targets) on shared
 * memory: a typed array backed by a SharedArrayBuffer crosses postMessage as a view of the same
 * bytes, where a plain one is copied once per worker (the Classifier lab's MNIST part is about
 * 28 MB a worker). SharedArrayBuffer exists where the page is cross-origin isolated (the app
 * sends COOP/COEP: vite.config.ts, src/cli/site-headers.ts) and always in Node; elsewhere the data is copied as
 * before and the numbers are the same, since shards only read it.
 */

type Numeric = Float32Array | Int32Array;

/** Whether this context can hand shards shared memory instead of copies. */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  // A browser context that is not cross-origin isolated cannot post SharedArrayBuffers.
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** Whether `a` is a view of shared memory (checked by tag: the constructor may be absent). */
export function isShared(a: ArrayBufferView): boolean {
  return Object.prototype.toString.call(a.buffer) === '[object SharedArrayBuffer]';
}

/** `a` copied once onto a SharedArrayBuffer (or `a` itself when already shared). */
function toShared<T extends Numeric>(a: T): T {
  if (isShared(a)) return a;
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * `data` with each typed-array field on shared memory, for sending to `workers` shards; unchanged
 * where one shard (in this thread, nothing is copied) or no shared memory is available.
 */
export function shareData<T extends object>(data: T, workers: number): T {
  if (workers < 2 || !canShareMemory()) return data;
  const out = { ...data } as Record<string, unknown>;
  for (const [key, v] of Object.entries(out))
    if (v instanceof Float32Array || v instanceof Int32Array) out[key] = toShared(v);
  return out as T;
}

/**
 * A sharer for many arrays sent over time (zoo targets): each distinct array is copied onto
 * shared memory once, however many members use it (a zoo of one image fits it `count` times).
 * Identity where `shareData` would leave data unchanged.
 */
export function arraySharer(workers: number): (a: Float32Array) => Float32Array {
  if (workers < 2 || !canShareMemory()) return (a) => a;
  const seen = new Map<Float32Array, Float32Array>();
  return (a) => {
    let s = seen.get(a);
    if (!s) seen.set(a, (s = toShared(a)));
    return s;
  };
}

/** Whether every typed-array field of `data` is on shared memory (false when it has none). */
export function dataIsShared(data: object): boolean {
  const arrays = Object.values(data).filter((v): v is Numeric => ArrayBuffer.isView(v));
  return arrays.length > 0 && arrays.every(isShared);
}
