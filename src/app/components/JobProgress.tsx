import type { JobProgress as Progress } from '../../workers/protocol';
import type { JobState } from '../jobs';

/** `done` with a decimal only when it has one (curve training reports fractions). */
const count = (n: number): string => n.toFixed(n % 1 ? 1 : 0);

export interface JobProgressProps {
  job: JobState;
  testId: string;
  onCancel: () => void;
  /** Shown until the first progress arrives. */
  waiting?: string;
  /** The text for a progress report (default "label done/total"). */
  text?: (p: Progress) => string;
  className?: string;
}

/** A running job's bar, text and Cancel button; nothing when the job is idle. */
export function JobProgressRow({
  job,
  testId,
  onCancel,
  waiting = 'waiting for the engine (a running job goes first)…',
  text = (p) => `${p.label} ${count(p.done)}/${p.total}`,
  className = 'progress-row cloud-progress',
}: JobProgressProps) {
  if (!job.busy) return null;
  const p = job.progress;
  return (
    <div className={className} data-testid={testId}>
      <div className="progress">
        <div
          className="progress-fill"
          style={{ width: `${p ? (100 * p.done) / Math.max(1, p.total) : 0}%` }}
        />
      </div>
      <span className="progress-text">{p ? text(p) : waiting}</span>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
