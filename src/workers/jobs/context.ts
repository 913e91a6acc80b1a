import type { JobProgress } from '../protocol';

/**
 * What a worker job gets besides its payload: the signal that cancels it (checked where the job
 * yields, see engine/cancel.ts) and a progress sink. A cancelled job throws the signal's reason; it
 * never returns a partial result as if complete.
 */
export interface JobContext {
  signal: AbortSignal;
  progress: (p: JobProgress) => void;
}

/**
 * The one pause of a job that can pause: waits while `paused()` holds, checking a few times a
 * second, until a Stop (`stopped()`) ends the wait; a cancel (`signal`) throws. Pause and resume
 * are messages, so the wait must let them in: it sleeps rather than spins.
 */
export async function waitWhilePaused(
  paused: () => boolean,
  signal: AbortSignal,
  stopped: () => boolean = () => false,
): Promise<void> {
  while (paused() && !stopped()) {
    signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, 50));
  }
  signal.throwIfAborted();
}
