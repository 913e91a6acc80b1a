/** The Zoo tab's right column: the zoo (grid, PSNR histogram, cloud) and the weight-space results. */
import { describeArch } from '../../../engine/model';
import type { WsMethod, WsResult } from '../../../engine/weightspace/types';
import { ImageCanvas } from '../../components/ImageCanvas';
import { JobProgressRow } from '../../components/JobProgress';
import { PlotCard } from '../../components/PlotCard';
import type { ZooSummary } from '../../../workers/protocol';
import {
  accuracyFigure,
  cloudFigure,
  confusionFigure,
  labelName,
  METHOD_COLOURS,
  psnrHistogram,
  accuracyHistogram,
} from './zoo-figures';
import { cancelZooJob, downloadZoo, runZooCloud, stopFit, useZoo, zooStore } from './zoo-state';

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

function ZooGrid({ s }: { s: ZooSummary }) {
  const grid = s.inr ?? (s.inputMaps ? { ...s.inputMaps, channels: 1 } : null);
  if (!grid)
    return (
      <p className="hint">
        The file records no INR grid and its inputs are not a square image, so there are no pictures to show.
      </p>
    );
  const { height, width, channels } = grid;
  const px = height * width * channels;
  const scale = Math.max(1, Math.round(56 / width));
  return (
    <>
      {!s.inr && (
        <p className="hint">
          Input-weight maps: each picture is one classifier&apos;s mean |first-layer weight| per input pixel
          (the pixels it reads), under its label and held-out accuracy.
        </p>
      )}
      <div className="thumbs zoo-grid" data-testid="zoo-grid">
        {Array.from(s.thumbIndex, (k, r) => (
          <ImageCanvas
            key={k}
            data={s.thumbs}
            offset={r * px}
            width={width}
            height={height}
            channels={channels}
            scale={scale}
            label={`${labelName(s, s.labels[k]!)}${s.psnr ? ` · ${s.psnr[k]!.toFixed(0)} dB` : ''}${s.accuracy ? ` · ${(100 * s.accuracy[k]!).toFixed(0)}%` : ''}`}
          />
        ))}
      </div>
    </>
  );
}

function Summary({ s }: { s: ZooSummary }) {
  const counts = new Map<number, number>();
  for (const l of s.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return (
    <div className="panel-head">
      <p className="zoo-summary" data-testid="zoo-summary">
        <strong>{s.name}</strong>: {s.n} {s.classifiers ? 'classifiers' : s.inr ? 'INRs' : 'models'},{' '}
        {describeArch(s.arch)}
        {s.archInferred ? ' (activation assumed)' : ''} · labels{' '}
        {[...counts.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([l, c]) => `${labelName(s, l)}×${c}`)
          .join(', ')}{' '}
        · split{' '}
        {s.split ? `${s.split.train}/${s.split.val}/${s.split.test} from the file` : '80/10/10 by seed'}
        {s.classifiers
          ? ` · labelled by ${s.classifiers.labelBy === 'seed' ? 'init seed' : 'task'}, ${s.classifiers.epochs} epochs on ${s.classifiers.digitsPerClass} digits per class (${s.classifiers.size}×${s.classifiers.size})`
          : ''}
        {s.seconds !== undefined
          ? ` · ${s.classifiers ? 'trained' : 'fitted'} in ${s.seconds.toFixed(1)} s`
          : ''}
      </p>
      <span className="zoo-buttons">
        <button type="button" onClick={() => void downloadZoo('npz')} data-testid="zoo-download-npz">
          Download .npz
        </button>
        <button type="button" onClick={() => void downloadZoo('safetensors')} data-testid="zoo-download-st">
          .safetensors
        </button>
      </span>
    </div>
  );
}

function Results({ s, results }: { s: ZooSummary; results: Partial<Record<WsMethod, WsResult>> }) {
  const confusionOf = useZoo((z) => z.confusionOf);
  const liveMethod = useZoo((z) => z.liveMethod);
  const liveEpochs = useZoo((z) => z.job.progress?.wsEpochs);
  const list = Object.entries(results) as [WsMethod, WsResult][];
  const live = liveMethod && !results[liveMethod] ? { method: liveMethod, epochs: liveEpochs ?? [] } : null;
  if (!list.length && !live) return null;
  const shown = confusionOf && results[confusionOf] ? results[confusionOf] : list[list.length - 1]?.[1];
  const acc = accuracyFigure(results, live);
  const conf = shown ? confusionFigure(shown, s) : null;
  return (
    <section className="panel zoo-results" aria-label="Learning on weights">
      <h2>Learning on weights</h2>
      <table className="models" data-testid="zoo-invariance">
        <thead>
          <tr>
            <th>method</th>
            <th>train</th>
            <th>held-out</th>
            <th title="max change of the logits when the input weights get a random hidden permutation (and sign flips for SIRENs)">
              invariance: max Δlogit
            </th>
            <th>time</th>
          </tr>
        </thead>
        <tbody>
          {list.map(([m, r]) => (
            <tr key={m} data-method={m}>
              <td>
                <button
                  type="button"
                  className="linklike"
                  onClick={() => zooStore.setState({ confusionOf: m })}
                  style={{ color: METHOD_COLOURS[m] }}
                >
                  {m}
                </button>
              </td>
              <td>{pct(r.trainAccuracy)}</td>
              <td>{pct(r.testAccuracy)}</td>
              <td className={r.invarianceMaxDiff <= 1e-4 ? 'ok' : 'warn'}>
                {r.invarianceMaxDiff.toExponential(1)}{' '}
                {r.invarianceMaxDiff <= 1e-4 ? '(invariant)' : `(logits up to ${r.logitScale.toFixed(1)})`}
              </td>
              <td>{r.seconds.toFixed(1)} s</td>
            </tr>
          ))}
          {live && (
            <tr data-method={live.method} className="live">
              <td style={{ color: METHOD_COLOURS[live.method] }}>{live.method}</td>
              <td>{pct(live.epochs.at(-1)?.trainAccuracy ?? NaN)}</td>
              <td>{pct(live.epochs.at(-1)?.testAccuracy ?? NaN)}</td>
              <td colSpan={2}>training: epoch {live.epochs.length} done</td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="cloud-columns n2">
        <PlotCard
          data={acc.data}
          layout={acc.layout}
          testId="zoo-accuracy"
          filename="zoo-accuracy"
          csv={() =>
            [
              'method,epoch,loss,train,val,test',
              ...list.flatMap(([m, r]) =>
                r.epochs.map((e) =>
                  [m, e.epoch, e.loss, e.trainAccuracy, e.valAccuracy, e.testAccuracy].join(','),
                ),
              ),
            ].join('\n')
          }
        />
        {shown && conf ? (
          <PlotCard
            data={conf.data}
            layout={conf.layout}
            testId="zoo-confusion"
            filename={`zoo-confusion-${shown.method}`}
            csv={() => shown.confusion.map((r) => r.join(',')).join('\n')}
          />
        ) : (
          <p className="hint">The confusion matrix appears when the first method has finished.</p>
        )}
      </div>
    </section>
  );
}

export function ZooViews() {
  const s = useZoo((z) => z.summary);
  const job = useZoo((z) => z.job);
  const running = useZoo((z) => z.running);
  const paused = useZoo((z) => z.paused);
  const cloud = useZoo((z) => z.cloud);
  const results = useZoo((z) => z.results);
  return (
    <div className="zoo-views">
      <JobProgressRow
        job={job}
        testId="zoo-progress"
        onCancel={running === 'fit' ? stopFit : cancelZooJob}
        text={(p) => `${paused ? 'paused · ' : ''}${p.label}`}
        waiting={running === 'fit' ? 'loading MNIST and starting the population…' : 'waiting for the engine…'}
        className="progress-row"
      />
      {!s ? (
        <section className="panel">
          <p className="hint">
            No zoo yet. Build one from MNIST, or open a zoo file written by Weightscope or by a few lines of
            NumPy/PyTorch.
          </p>
        </section>
      ) : (
        <>
          <section className="panel" aria-label="The zoo">
            <Summary s={s} />
            <ZooGrid s={s} />
            <div className="cloud-columns n2">
              {s.psnr ? (
                <PlotCard
                  {...psnrHistogram(s)}
                  testId="zoo-psnr"
                  filename="zoo-psnr"
                  csv={() =>
                    ['member,label,psnr', ...Array.from(s.psnr!, (p, i) => `${i},${s.labels[i]},${p}`)].join(
                      '\n',
                    )
                  }
                />
              ) : s.accuracy ? (
                <PlotCard
                  {...accuracyHistogram(s)}
                  testId="zoo-member-accuracy"
                  filename="zoo-member-accuracy"
                  csv={() =>
                    [
                      'member,label,heldOutAccuracy',
                      ...Array.from(s.accuracy!, (a, i) => `${i},${s.labels[i]},${a}`),
                    ].join('\n')
                  }
                />
              ) : (
                <p className="hint">The file has no psnr or accuracy column.</p>
              )}
              <div>
                {cloud ? (
                  <div className="cloud-columns n2">
                    {(['raw', 'aligned'] as const).map((w) => (
                      <PlotCard
                        key={w}
                        {...cloudFigure(cloud, w, s)}
                        testId={`zoo-cloud-${w}`}
                        filename={`zoo-cloud-${w}`}
                        csv={() =>
                          [
                            'member,label,pc1,pc2',
                            ...cloud[w].coords.map((c, i) => `${i},${cloud.labels[i]},${c[0]},${c[1]}`),
                          ].join('\n')
                        }
                      />
                    ))}
                  </div>
                ) : (
                  <p className="hint">
                    The weight cloud: every member a point, coloured by label, raw and after aligning every
                    member to member 0.{' '}
                    <button
                      type="button"
                      disabled={job.busy}
                      onClick={() => void runZooCloud()}
                      data-testid="zoo-cloud"
                    >
                      Map the cloud
                    </button>
                  </p>
                )}
              </div>
            </div>
          </section>
          <Results s={s} results={results} />
        </>
      )}
    </div>
  );
}
