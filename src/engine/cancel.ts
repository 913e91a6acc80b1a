/**
 * The one way long work stops early: an AbortSignal, checked at the points where the work yields
 * to the event loop. A stopped job throws the signal's reason (an AbortError) and never returns a
 * partial result as if it were complete. See docs/ARCHITECTURE.md, "Jobs and cancellation".
 */

/** Whether `e` is what an aborted signal throws (its default reason, or any AbortError). */
export function isAbort(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/** A macrotask turn: lets queued messages (a cancel, a ping) in before the work goes on. */
function nextTurn(): Promise<void> {
  // MessageChannel has no setTimeout 4 ms clamp after nested timers; both exist in workers and Node.
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/**
 * Yields to the event loop, then throws if `signal` was aborted meanwhile. Long loops call this
 * between units of work (a model, a chunk, a few steps), so that a cancel message is received.
 */
export async function yieldToEvents(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await nextTurn();
  signal?.throwIfAborted();
}

/** Rejects as soon as `signal` aborts, whatever `work` is still doing. */
export function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
