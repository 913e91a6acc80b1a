import { useMemo, type CSSProperties } from 'react';
import type { CloudGroup } from '../../../workers/protocol';
import type { CloudResult } from './cloud-state';
import { PlotCard } from '../../components/PlotCard';
import {
  cloudCsv,
  cloudLayout,
  cloudScatterHeight,
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
      {/* Always one element here, so that side-by-side maps keep their rows (styles: subgrid). */}
      <div className="cloud-note-slot">
        {group.note && (
          <p className="cloud-note" data-testid="cloud-note" role="note">
            {group.note}
          </p>
        )}
      </div>
      <PlotCard
        data={scatter.data}
        layout={scatter.layout}
        testId={`cloud-scatter-${mode}-${index}`}
        filename={`weightscope-cloud-${mode}-${index}`}
        csv={csv}
        height={cloudScatterHeight(result, group, dims)}
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

/** The parts of one architecture's map, which the side-by-side grid lines up row by row. */
export const GROUP_ROWS = 5;

/**
 * One PCA map (raw or aligned): a scatter and explained-variance bars per architecture. `shownWith`
 * lists every map on screen, so each architecture's axes share one range across them; side by side,
 * `archs` (cloudArchs) gives every column the same architectures in the same rows, a blank where
 * a map lacks one, so the raw and aligned maps of an architecture line up whatever wraps.
 */
export function CloudResultView({
  result,
  dims,
  shownWith = [result],
  archs,
}: {
  result: CloudResult;
  dims: 2 | 3;
  shownWith?: readonly (CloudResult | null)[];
  archs?: readonly string[];
}) {
  const compared = shownWith.filter(Boolean).length > 1;
  const rows = archs ?? result.groups.map((g) => g.arch);
  return (
    <div
      className="cloud-column"
      data-testid={`cloud-result-${result.aligned ? 'aligned' : 'raw'}`}
      style={{ '--rows': 1 + GROUP_ROWS * rows.length } as CSSProperties}
    >
      <h3 className="cloud-column-title">
        {result.aligned ? 'Aligned: permutation symmetry removed' : 'Raw: weights as trained'}
      </h3>
      {rows.map((arch, i) => {
        const g = result.groups.find((x) => x.arch === arch);
        return g ? (
          <GroupView
            key={arch}
            result={result}
            group={g}
            index={result.groups.indexOf(g)}
            dims={dims}
            halfRange={compared ? sharedHalfRange(shownWith, g.arch, dims) : undefined}
          />
        ) : (
          <p key={arch + i} className="hint cloud-group-missing">
            {arch}: not in this map (it was mapped with another selection)
          </p>
        );
      })}
    </div>
  );
}
