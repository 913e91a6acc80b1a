import { describeArch } from '../../engine/model';
import { useApp } from '../store';

/** The workspace: every model the worker holds, with its provenance and quality. */
export function ModelsPanel() {
  const models = useApp((s) => s.models);
  if (models.length === 0) return <section className="panel"><h2>Models</h2><p className="hint">No models yet: train a population or drop a checkpoint.</p></section>;
  return (
    <section className="panel" aria-label="Models">
      <h2>Models ({models.length})</h2>
      <table className="models" data-testid="models-table">
        <thead>
          <tr>
            <th>name</th>
            <th>architecture</th>
            <th>parameters</th>
            <th>source</th>
            <th>PSNR (dB)</th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.id}>
              <td>{m.name}</td>
              <td>{describeArch(m.arch)}</td>
              <td>{m.params.toLocaleString()}</td>
              <td>{m.source}</td>
              <td>{m.psnr !== undefined ? m.psnr.toFixed(2) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
