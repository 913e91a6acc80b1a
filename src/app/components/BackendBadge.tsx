import { useState } from 'react';
import type { BackendInfo, CalibrationRow } from '../../workers/protocol';
import { describeSchedule } from '../../engine/experiment/engine-schedule';
import { clearCalibrations } from '../data/calibration-cache';
import { useApp } from '../store';

function figure(r: CalibrationRow): string {
  if (r.msPerStep !== undefined) return `${r.msPerStep.toFixed(1)} ms/step`;
  if (r.skipped) return r.skipped.startsWith('cut short') ? r.skipped : `not measured: ${r.skipped}`;
  return `failed: ${r.error ?? 'unknown error'}`;
}

/** "fused wasm kernel · relaxed SIMD × 2 workers" when training runs on the fused kernel. */
function fusedLabel(b: BackendInfo): string | null {
  if (b.kernel?.path === 'webgpu')
    return `fused WebGPU kernel, ${b.kernel.dispatchesPerStep ?? 2} dispatches per step`;
  return b.kernel
    ? `fused wasm kernel, ${b.kernel.flavour} SIMD × ${b.kernel.workers} worker${b.kernel.workers > 1 ? 's' : ''}`
    : null;
}

/** How the calibration table names the fused paths. */
const CALIBRATION_LABEL: Partial<Record<CalibrationRow['backend'], string>> = {
  fused: 'fused wasm kernel',
  'fused-webgpu': 'fused WebGPU kernel',
};

/** The calibration behind the choice, readable in full (click the badge). */
function Details({ b, close }: { b: BackendInfo; close: () => void }) {
  const [cleared, setCleared] = useState(false);
  return (
    <div
      className="share-pop badge-pop"
      role="dialog"
      aria-label="Backend choice"
      data-testid="backend-details"
    >
      <p>
        <strong>{fusedLabel(b) ?? b.name}</strong>
        {fusedLabel(b)
          ? ` (tfjs ${b.name} runs everything else)`
          : b.layout === 'split'
            ? ' with per-model matmuls'
            : ' with batched matmuls'}
        : {b.reason}.
      </p>
      {b.switched && (
        <p data-testid="backend-switched">
          <strong>Switched mid-run:</strong> {b.switched}.
        </p>
      )}
      {b.replay && <ReplayNote r={b.replay} />}
      {b.kernelReason && <p className="hint">Not on the fused kernel: {b.kernelReason}.</p>}
      {b.calibrating && (
        <p className="hint">
          Training started at once on this path; the other paths are being measured between its steps, and the
          run moves to a clearly faster one (carrying weights and Adam state) if they find it.
        </p>
      )}
      {b.calibration ? (
        <table className="models calibration" data-testid="calibration-table">
          <thead>
            <tr>
              <th>backend</th>
              <th>layout</th>
              <th>one training step</th>
            </tr>
          </thead>
          <tbody>
            {b.calibration.map((r) => (
              <tr
                key={`${r.backend}-${r.layout}`}
                className={
                  (
                    b.kernel
                      ? r.backend === (b.kernel.path === 'webgpu' ? 'fused-webgpu' : 'fused')
                      : r.backend === b.name && r.layout === b.layout
                  )
                    ? 'chosen'
                    : ''
                }
              >
                <td>{CALIBRATION_LABEL[r.backend] ?? r.backend}</td>
                <td>{r.backend in CALIBRATION_LABEL ? '—' : r.layout}</td>
                <td>{figure(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : b.calibrating ? null : (
        <p className="hint">No calibration was needed for this choice.</p>
      )}
      {b.calibration && (
        <p className="hint">
          Calibrations are kept in this browser per workload shape, so the same experiment starts at once next
          time.{' '}
          <button
            className="link-button"
            disabled={cleared}
            onClick={() => {
              clearCalibrations();
              setCleared(true);
            }}
          >
            {cleared ? 'forgotten: the next Train measures again' : 'measure again next time'}
          </button>
        </p>
      )}
      <button onClick={close}>Close</button>
    </div>
  );
}

/** A replayed link's engine paths: the sender's, this browser's, and whether they agree. */
function ReplayNote({ r }: { r: NonNullable<BackendInfo['replay']> }) {
  return (
    <div data-testid="backend-replay" data-differs={r.differs ? 'true' : 'false'}>
      <p>
        <strong>Link replay.</strong> The sender trained on {describeSchedule(r.sender)}.{' '}
        {r.differs ? (
          <>
            <strong>Not the sender's paths:</strong> this browser ran {describeSchedule(r.here)} ({r.differs}
            ). Trained members, and the numbers derived from them, may differ from the sender's by about 1e-4
            relative.
          </>
        ) : (
          'This browser runs the same paths, switching at the same steps, with no calibration: the members are the sender’s.'
        )}
      </p>
    </div>
  );
}

/** Names the backend in use; a click shows why, with the calibration table. */
export function BackendBadge() {
  const b = useApp((s) => s.backend);
  const [open, setOpen] = useState(false);
  if (!b)
    return (
      <span className="badge muted" data-testid="backend-badge">
        backend: choosing…
      </span>
    );
  return (
    <div className="share">
      <button
        className="badge"
        data-testid="backend-badge"
        data-backend={b.name}
        data-kernel={b.kernel ? 'fused' : 'tfjs'}
        data-calibrating={b.calibrating ? 'true' : 'false'}
        data-switched={b.switched ? 'true' : 'false'}
        data-kernel-path={b.kernel?.path ?? (b.kernel ? 'wasm' : undefined)}
        data-replay={b.replay ? (b.replay.differs ? 'differs' : 'same') : undefined}
        aria-expanded={open}
        title="Why this backend? Click for the calibration"
        onClick={() => setOpen(!open)}
      >
        <strong>
          {b.kernel ? (b.kernel.path === 'webgpu' ? 'fused WebGPU' : 'fused wasm kernel') : b.name}
        </strong>
        {!b.kernel && b.layout === 'split' && <span className="badge-layout">per-model</span>}
        {b.switched && <span className="badge-layout badge-switched">switched</span>}
        {b.replay && (
          <span
            className={`badge-layout ${b.replay.differs ? 'badge-differs' : 'badge-replay'}`}
            title={b.replay.differs ? `not the link sender's engine paths: ${b.replay.differs}` : undefined}
          >
            {b.replay.differs ? "≠ sender's engine" : "sender's engine"}
          </span>
        )}
        <span className="badge-layout">
          {b.calibrating
            ? 'measuring others… ▾'
            : b.calibration
              ? 'calibrated ▾'
              : b.replay
                ? 'link ▾'
                : 'why? ▾'}
        </span>
      </button>
      {open && <Details b={b} close={() => setOpen(false)} />}
    </div>
  );
}
