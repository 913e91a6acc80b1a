import { useMemo } from 'react';
import { PlotCard } from '../../components/PlotCard';
import { toCsv } from '../../lib/csv';
import { downloadPermutations, type AlignResultView } from './align-state';
import type { MatchingMethodName } from '../../../engine/merge/matching-name';

const METHOD_LABEL: Record<MatchingMethodName, string> = {
  weight: 'weight',
  activation: 'activation',
  ste: 'STE',
};

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(3) : v.toFixed(4);

/** The objective's axis title: the sum alone (the chart's title names it), short enough for the axis. */
function objectiveLabel(method: MatchingMethodName): string {
  return method === 'activation' ? 'Σ corr(A, π(B)) (unitless)' : 'Σ⟨W_A, π(W_B)⟩ (weight²)';
}

/** What the line chart plots: one curve per aligned model, its axes and its CSV columns. */
interface Curves {
  ys: (r: AlignResultView['results'][number]) => number[];
  title: string;
  x: string;
  y: string;
  columns: [string, string];
  testId: string;
}

/**
 * Weight and activation matching: the objective per sweep (sweep 0 = identity, before alignment).
 * STE (Git Re-Basin Alg. 3): the midpoint ½(A + π(B))'s loss at every step of the kept restart;
 * step 0 is plain weight matching, and the kept permutation is the lowest point.
 */
function curvesOf(view: AlignResultView): Curves {
  if (view.method === 'ste')
    return {
      ys: (r) => r.ste?.lossPerStep ?? [],
      title: 'STE: loss of the midpoint ½(A + π(B)) per step (best restart)',
      x: 'step (0 = weight matching)',
      y: `midpoint loss (${view.lossName})`,
      columns: ['step', 'midpoint_loss'],
      testId: 'align-ste',
    };
  return {
    ys: (r) => [r.objectiveBefore, ...r.objectivePerSweep],
    title: `Objective per sweep (${view.method} matching)`,
    x: 'sweep (0 = before alignment)',
    y: objectiveLabel(view.method),
    columns: ['sweep', 'objective'],
    testId: 'align-objective',
  };
}

/** One line per aligned model: the objective per sweep, or STE's midpoint loss per step. */
function ObjectiveChart({ view }: { view: AlignResultView }) {
  const c = useMemo(() => curvesOf(view), [view]);
  const data = useMemo(
    () =>
      view.results.map((r) => {
        const ys = c.ys(r);
        return { type: 'scatter', mode: 'lines+markers', name: r.sourceName, x: ys.map((_, i) => i), y: ys };
      }),
    [view, c],
  );
  const layout = useMemo(
    () => ({
      title: { text: c.title },
      xaxis: { title: { text: c.x }, ...(view.method === 'ste' ? {} : { dtick: 1 }) },
      yaxis: { title: { text: c.y } },
      showlegend: true,
    }),
    [view, c],
  );
  const csv = () =>
    toCsv(
      ['model', ...c.columns],
      view.results.flatMap((r) => c.ys(r).map((y, i) => [r.sourceName, i, y])),
    );
  return (
    <PlotCard data={data} layout={layout} testId={c.testId} filename={c.testId} csv={csv} height={300} />
  );
}

/** The chosen layer's unit similarity (cosine of weights) before and after, as two heatmaps. */
function Heatmaps({ view }: { view: AlignResultView }) {
  const h = view.heatmap;
  const first = view.results[0];
  const grids = useMemo(() => {
    if (!h) return null;
    const grid = (m: Float32Array) =>
      Array.from({ length: h.n }, (_, i) => Array.from(m.subarray(i * h.n, (i + 1) * h.n)));
    const diag = (m: Float32Array) => {
      let t = 0;
      for (let i = 0; i < h.n; i++) t += m[i * h.n + i]!;
      return t / h.n;
    };
    return {
      before: grid(h.before),
      after: grid(h.after),
      diagBefore: diag(h.before),
      diagAfter: diag(h.after),
    };
  }, [h]);
  if (!h || !grids || !first) return <p className="hint">No hidden layer to show.</p>;
  const card = (which: 'before' | 'after') => {
    const data = [
      {
        type: 'heatmap',
        z: grids[which],
        colorscale: 'RdBu',
        reversescale: true,
        zmin: -1,
        zmax: 1,
        colorbar: { title: { text: 'cosine' } },
      },
    ];
    const layout = {
      title: { text: `Hidden layer ${h.layer + 1} similarity, ${which} alignment` },
      xaxis: { title: { text: `unit of model (${first.sourceName})` }, constrain: 'domain' },
      yaxis: {
        title: { text: `unit of reference (${view.refName})` },
        autorange: 'reversed',
        scaleanchor: 'x',
      },
      margin: { l: 70, r: 16, t: 44, b: 56 },
    };
    const csv = () => {
      const m = which === 'before' ? h.before : h.after;
      const rows: number[][] = [];
      for (let i = 0; i < h.n; i++) for (let j = 0; j < h.n; j++) rows.push([i, j, m[i * h.n + j]!]);
      return toCsv(['reference_unit', 'model_unit', 'cosine_similarity'], rows);
    };
    return (
      <PlotCard
        key={which}
        data={data}
        layout={layout}
        testId={`align-heatmap-${which}`}
        filename={`align-similarity-layer${h.layer + 1}-${which}`}
        csv={csv}
        height={380}
      />
    );
  };
  return (
    <>
      <p className="hint" data-testid="align-diagonal">
        Cosine similarity of each reference unit's weights (incoming row, bias and outgoing column) with each
        model unit's. Mean on the diagonal: {grids.diagBefore.toFixed(3)} before →{' '}
        <strong>{grids.diagAfter.toFixed(3)}</strong> after alignment.
      </p>
      <div className="align-heatmaps">
        {card('before')}
        {card('after')}
      </div>
    </>
  );
}

/**
 * Sweeps, time, objective and the proof that each aligned model computes the same function. What
 * the objective is and what the proof checks is the same for every row, so it is said once, under
 * the table; the cells hold numbers that stay on one line.
 */
function ResultTable({ view }: { view: AlignResultView }) {
  const objective = view.results[0]?.objective;
  return (
    <div className="table-scroll">
      <table className="align-table" data-testid="align-table">
        <thead>
          <tr>
            <th>model</th>
            <th title="max |f(B) − f(π(B))| on a probe batch, and the bound it is held to">
              function equality
            </th>
            <th>objective before → after</th>
            <th title="weight-matching sweeps (STE: over all its steps)">sweeps</th>
            <th>time</th>
            <th title="each restart's seed and objective; ★ marks the one kept">
              restarts (seed: objective)
            </th>
          </tr>
        </thead>
        <tbody>
          {view.results.map((r) => {
            const ok = r.proved;
            // The aligned copy is "B aligned to A" unless the workspace had to name it otherwise.
            const renamed = r.entry.name !== `${r.sourceName} aligned to ${view.refName}`;
            return (
              <tr
                key={r.entry.id}
                data-sweeps={r.sweeps}
                data-before={r.objectiveBefore}
                data-after={r.objectiveAfter}
                data-maxdiff={r.maxOutputDiff}
                data-scale={r.outputScale}
                data-proof={ok ? 'ok' : 'fail'}
                data-restarts={r.restarts.length}
                data-best-restart={r.bestRestart}
                data-midpoint={r.ste?.midpointLoss}
                data-wm-midpoint={r.ste?.weightMatchingLoss}
              >
                <td className="align-model" title={`joins the workspace as “${r.entry.name}”`}>
                  {r.sourceName}
                  {(r.signed || renamed) && (
                    <div className="hint">
                      {[r.signed ? 'signed' : '', renamed ? `joined as “${r.entry.name}”` : '']
                        .filter(Boolean)
                        .join(' · ')}
                    </div>
                  )}
                </td>
                <td className={`num ${ok ? 'align-ok' : 'align-fail'}`}>
                  {ok ? '✓' : '✗'} max |Δf| = {r.maxOutputDiff.toExponential(2)}
                  <div className="hint">
                    limit {(1e-5 * Math.max(1, r.outputScale)).toExponential(1)}: {ok ? 'holds' : 'FAILS'}
                  </div>
                </td>
                <td className="num">
                  {fmt(r.objectiveBefore)} → <strong>{fmt(r.objectiveAfter)}</strong>
                  {r.ste && (
                    <>
                      <div className="hint">
                        midpoint loss {fmt(r.ste.midpointLoss)}, step {r.ste.bestStep}
                      </div>
                      <div className="hint">weight matching&apos;s {fmt(r.ste.weightMatchingLoss)}</div>
                    </>
                  )}
                </td>
                <td className="num">{r.sweeps}</td>
                <td className="num">{r.timeMs.toFixed(1)} ms</td>
                <td className="num" data-testid="align-restarts">
                  {r.restarts.map((x, i) => (
                    <div
                      key={x.seed}
                      data-seed={x.seed}
                      className={i === r.bestRestart ? 'align-best' : 'hint'}
                    >
                      {i === r.bestRestart ? '★ ' : ''}
                      {x.seed}: {fmt(x.objective)}
                    </div>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {objective && (
        <p className="hint align-table-note" data-testid="align-table-note">
          Objective: {objective.name}, {objective.better} is better. Function equality: the largest output
          difference between the model and its aligned copy on a probe batch, held to 1e-5 · max(1, output
          scale). Each aligned copy joins the workspace as “model aligned to {view.refName}”.
        </p>
      )}
    </div>
  );
}

/** Everything one alignment run produced. */
export function AlignResults({ view }: { view: AlignResultView }) {
  return (
    <div className="align-results" data-testid="align-results">
      <h3 className="align-title">
        Aligned to {view.refName} ({METHOD_LABEL[view.method]} matching
        {view.method === 'ste' ? `, ${view.steSteps} steps` : ''}
        {view.restarts > 1 ? `, best of ${view.restarts} restarts` : ''})
      </h3>
      <ResultTable view={view} />
      <p>
        <button type="button" data-testid="align-permutations" onClick={() => downloadPermutations(view)}>
          Download permutations (JSON)
        </button>{' '}
        <span className="hint">
          per hidden layer the index array and signs (aligned unit i = the model&apos;s unit perm[i]), the
          reference, method, objective and seed; the aligned model&apos;s safetensors download carries the
          same record in its metadata
        </span>
      </p>
      <ObjectiveChart view={view} />
      <Heatmaps view={view} />
    </div>
  );
}
