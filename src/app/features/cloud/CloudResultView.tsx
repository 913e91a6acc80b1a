import { useMemo } from 'react';
import type { CloudGroup } from '../../../workers/protocol';
import type { CloudResult } from './cloud-state';
import { PlotCard } from '../../components/PlotCard';
import {
  cloudCsv,
  cloudLayout,
  cloudTraces,
  fmtDistance,
  sharedHalfRange,
  varianceLayout,
  varianceTraces,
} from './cloud-figures';

function GroupView({
  result,
  group,
  index,
  dims,
  halfRange,
}: {
  result: CloudResult;
  group: CloudGroup;
  index: number;
  dims: 2 | 3;
  halfRange?: number;
}) {
  const mode = result.aligned ? 'aligned' : 'raw';
  const scatter = useMemo(
    () => ({
      data: cloudTraces(result, group, dims),
      layout: cloudLayout(result, group, dims, halfRange),
    }),
    [result, group, dims, halfRange],
  );
  const bars = useMemo(
    () => ({ data: varianceTraces(group), layout: varianceLayout(result, group) }),
    [result, group],
  );
  const csv = () => cloudCsv(result, group);
  return (
    <div className="cloud-group" data-testid={`cloud-group-${mode}`} data-arch={group.arch}>
      <h3>
        {group.arch} <span className="hint">· {group.ids.length} models</span>
      </h3>
      <p className="cloud-summary" data-testid={`cloud-distance-${mode}`} data-value={group.meanDistance}>
        mean pairwise distance <strong>{fmtDistance(group.meanDistance)}</strong>{' '}
        <span className="hint">
          (Euclidean, full weight space{result.aligned ? ', after alignment' : ''})
        </span>
      </p>
      {group.note && (
        <p className="cloud-note" data-testid="cloud-note" role="note">
          {group.note}
        </p>
      )}
      <PlotCard
        data={scatter.data}
        layout={scatter.layout}
        testId={`cloud-scatter-${mode}-${index}`}
        filename={`weightscope-cloud-${mode}-${index}`}
        csv={csv}
        height={dims === 3 ? 460 : 400}
      />
      <PlotCard
        data={bars.data}
        layout={bars.layout}
        testId={`cloud-variance-${mode}-${index}`}
        filename={`weightscope-variance-${mode}-${index}`}
        csv={csv}
        height={200}
      />
    </div>
  );
}

/**
 * One PCA map (raw or aligned): a scatter and explained-variance bars per architecture. `shownWith`
 * lists every map on screen, so each architecture's axes share one range across them.
 */
export function CloudResultView({
  result,
  dims,
  shownWith = [result],
}: {
  result: CloudResult;
  dims: 2 | 3;
  shownWith?: readonly (CloudResult | null)[];
}) {
  const compared = shownWith.filter(Boolean).length > 1;
  return (
    <div className="cloud-column" data-testid={`cloud-result-${result.aligned ? 'aligned' : 'raw'}`}>
      <h3 className="cloud-column-title">
        {result.aligned ? 'Aligned: permutation symmetry removed' : 'Raw: weights as trained'}
      </h3>
      {result.groups.map((g, i) => (
        <GroupView
          key={g.arch + i}
          result={result}
          group={g}
          index={i}
          dims={dims}
          halfRange={compared ? sharedHalfRange(shownWith, g.arch, dims) : undefined}
        />
      ))}
    </div>
  );
}
