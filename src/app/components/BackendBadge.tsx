import { useApp } from '../store';

/** Names the backend in use and, when a better one was not available, why. */
export function BackendBadge() {
  const b = useApp((s) => s.backend);
  if (!b)
    return (
      <span className="badge muted" data-testid="backend-badge">
        backend: choosing…
      </span>
    );
  const table = b.calibration
    ?.map(
      (r) =>
        `${r.backend} (${r.layout}): ${r.msPerStep !== undefined ? `${r.msPerStep.toFixed(1)} ms/step` : r.error}`,
    )
    .join('\n');
  return (
    <span
      className="badge"
      data-testid="backend-badge"
      data-backend={b.name}
      title={`${b.reason}${table ? `\n\ncalibration:\n${table}` : ''}`}
    >
      <strong>{b.name}</strong>
      {b.layout === 'split' && <span className="badge-layout">per-model matmuls</span>}
      <span className="badge-reason">{b.reason}</span>
    </span>
  );
}
