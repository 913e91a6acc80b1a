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
