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

/** A job's pause, flipped by the pause and resume messages; a paused job waits on it. */
export class PauseSwitch {
  private on = false;
  private waiting: (() => void)[] = [];

  get paused(): boolean {
    return this.on;
  }

  set(paused: boolean): void {
    this.on = paused;
    if (!paused) for (const wake of this.waiting.splice(0)) wake();
  }

  /** Resolves at the next resume. */
  resumed(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/**
 * The one pause of a job that can pause: waits while `pause` holds, until a resume or a Stop
 * (`stop`) ends the wait; a cancel (`signal`) throws. Each of them wakes it: nothing polls.
 */
export async function waitWhilePaused(
  pause: PauseSwitch,
  signal: AbortSignal,
  stop?: AbortSignal,
): Promise<void> {
  const ended = stop ? AbortSignal.any([signal, stop]) : signal;
  while (pause.paused && !ended.aborted) {
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        ended.removeEventListener('abort', wake);
        resolve();
      };
      ended.addEventListener('abort', wake);
      void pause.resumed().then(wake);
    });
  }
  signal.throwIfAborted();
}
