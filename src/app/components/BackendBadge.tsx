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
        `${r.backend === 'fused' ? 'fused wasm kernel' : `${r.backend} (${r.layout})`}: ${r.msPerStep !== undefined ? `${r.msPerStep.toFixed(1)} ms/step` : r.error}`,
    )
    .join('\n');
  // Training on the fused kernel: tfjs (b.name) still runs everything else.
  const fused = b.kernel
    ? `${b.kernel.flavour} SIMD × ${b.kernel.workers} worker${b.kernel.workers > 1 ? 's' : ''}`
    : null;
  const why = b.kernelReason ? `\n\nnot on the fused kernel: ${b.kernelReason}` : '';
  return (
    <span
      className="badge"
      data-testid="backend-badge"
      data-backend={b.name}
      data-kernel={b.kernel ? 'fused' : 'tfjs'}
      title={`${b.reason}${why}${table ? `\n\ncalibration:\n${table}` : ''}`}
    >
      <strong>{fused ? 'fused wasm kernel' : b.name}</strong>
      {fused && <span className="badge-layout">{fused}</span>}
      {!fused && b.layout === 'split' && <span className="badge-layout">per-model matmuls</span>}
      <span className="badge-reason">{b.reason}</span>
    </span>
  );
}
