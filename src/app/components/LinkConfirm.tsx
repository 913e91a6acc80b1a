import { LINK_COST_THRESHOLD_GFLOP } from '../../engine/experiment';
import { appStore, useApp } from '../store';

/**
 * A shared link whose work is above the threshold: what it will run and an estimate of the
 * cost, before anything starts. "Not now" keeps the link's settings on screen, with nothing run.
 */
export function LinkConfirm() {
  const link = useApp((s) => s.pendingLink);
  if (!link) return null;
  const close = () => appStore.setState({ pendingLink: null });
  return (
    <div className="dialog-backdrop" role="dialog" aria-modal="true" aria-label="Run this link?">
      <div className="dialog panel" data-testid="link-confirm">
        <h2>This link starts a large computation</h2>
        <p>It will:</p>
        <ul>
          {link.lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
        <p className="hint">
          Estimated work: about {formatGflop(link.gflop)} of floating-point operations (links above{' '}
          {LINK_COST_THRESHOLD_GFLOP} GFLOP ask first). On a laptop CPU that is roughly{' '}
          {formatDuration(link.gflop / 2)}–{formatDuration(link.gflop / 0.5)}; a GPU is much faster.
        </p>
        <div className="dialog-actions">
          <button data-testid="link-decline" onClick={close}>
            Not now
          </button>
          <button
            className="primary inline"
            data-testid="link-run"
            onClick={() => {
              close();
              link.run();
            }}
          >
            Run it
          </button>
        </div>
      </div>
    </div>
  );
}

function formatGflop(g: number): string {
  if (g >= 1e6) return `${(g / 1e6).toFixed(1)} PFLOP`;
  if (g >= 1e3) return `${(g / 1e3).toFixed(1)} TFLOP`;
  return `${Math.round(g)} GFLOP`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
