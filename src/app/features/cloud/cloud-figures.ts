/**
 * Plotly traces and CSV for one architecture's PCA map. Light work only (a few hundred points at
 * most): the PCA itself ran in the worker.
 */
import type { CloudGroup, ModelEntry } from '../../../workers/protocol';
import type { CloudResult } from './cloud-state';
import { toCsv } from '../../lib/csv';

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

/** A distance in weight space, to a few significant digits. */
export const fmtDistance = (d: number) =>
  d >= 100 ? d.toFixed(0) : d >= 1 ? d.toFixed(2) : d.toPrecision(3);

/**
 * The half-width every axis of an architecture's maps shares: the largest |coordinate| of its
 * models and path samples over all the given maps (raw and aligned), plus a margin. PCA centres
 * each map at 0, so with one range for both a tighter cloud looks tighter.
 */
export function sharedHalfRange(results: readonly (CloudResult | null)[], arch: string, dims: 2 | 3): number {
  let m = 0;
  const take = (c: number[]) => {
    for (let j = 0; j < dims; j++) m = Math.max(m, Math.abs(c[j] ?? 0));
  };
  for (const r of results)
    for (const g of r?.groups ?? [])
      if (g.arch === arch) {
        g.coords.forEach(take);
        g.paths.forEach((p) => p.coords.forEach(take));
      }
  return m > 0 ? m * 1.12 : 1;
}

/** Every architecture of the maps on screen, in the order they first appear: one row each. */
export function cloudArchs(results: readonly (CloudResult | null)[]): string[] {
  return [...new Set(results.flatMap((r) => r?.groups.map((g) => g.arch) ?? []))];
}

/** Said once above the maps (not on each): why there is more than one map per column. */
export function architectureNote(results: readonly (CloudResult | null)[]): string | null {
  const n = cloudArchs(results).length;
  return n > 1
    ? `The selection holds ${n} architectures: models of different sizes cannot share a weight space, so each architecture gets its own map.`
    : null;
}

const pct = (r: number | undefined) => `${((r ?? 0) * 100).toFixed(1)}%`;

/** "PC1 (42.0% of variance)". */
export function axisTitle(group: CloudGroup, j: number, short = false): string {
  return `PC${j + 1} (${pct(group.explainedVarianceRatio[j])}${short ? '' : ' of variance'})`;
}

/** What a model is coloured by: its group (seed group, init mode, trained vs aligned). */
function colourKey(e: ModelEntry | undefined): string {
  if (!e) return 'unknown';
  return e.group ?? e.source;
}

/** Scatter (2-D) or scatter3d (3-D) traces: one per colour group, then one line per path. */
export function cloudTraces(result: CloudResult, group: CloudGroup, dims: 2 | 3): unknown[] {
  const byKey = new Map<string, number[]>();
  group.ids.forEach((id, i) => {
    const k = colourKey(result.entries[id]);
    byKey.set(k, [...(byKey.get(k) ?? []), i]);
  });
  const type = dims === 3 ? 'scatter3d' : 'scatter';
  const axis = (rows: number[][], j: number) => rows.map((c) => c[j] ?? 0);
  const traces: unknown[] = [];
  [...byKey.entries()].forEach(([key, idx], t) => {
    const rows = idx.map((i) => group.coords[i]!);
    const entries = idx.map((i) => result.entries[group.ids[i]!]);
    traces.push({
      type,
      mode: 'markers',
      meta: 'models',
      name: key,
      x: axis(rows, 0),
      y: axis(rows, 1),
      ...(dims === 3 ? { z: axis(rows, 2) } : {}),
      text: entries.map((e) => e?.name ?? '?'),
      customdata: entries.map((e) => [
        e?.seed ?? '—',
        e?.psnr !== undefined
          ? `PSNR ${e.psnr.toFixed(2)} dB`
          : e?.accuracy !== undefined
            ? `accuracy ${(100 * e.accuracy).toFixed(1)}%`
            : 'PSNR —',
      ]),
      hovertemplate:
        '<b>%{text}</b><br>seed %{customdata[0]}<br>%{customdata[1]}<extra>%{fullData.name}</extra>',
      marker: {
        color: PALETTE[t % PALETTE.length],
        size: dims === 3 ? 5 : 10,
        line: { width: dims === 3 ? 0 : 1, color: '#fff' },
      },
    });
  });
  // The reference as an outline of its own over its point: a diamond inside its group's trace made
  // plotly's legend draw that whole group as diamonds.
  const refId = group.referenceId ?? result.referenceId;
  const refAt = refId ? group.ids.indexOf(refId) : -1;
  if (refAt >= 0) {
    const c = [group.coords[refAt]!];
    traces.push({
      type,
      mode: 'markers',
      meta: 'reference',
      name: `reference: ${result.entries[refId!]?.name ?? refId}`,
      x: axis(c, 0),
      y: axis(c, 1),
      ...(dims === 3 ? { z: axis(c, 2) } : {}),
      marker: {
        symbol: 'diamond-open',
        size: dims === 3 ? 9 : 17,
        color: '#111827',
        line: { width: 2, color: '#111827' },
      },
      hoverinfo: 'skip',
    });
  }
  for (const p of group.paths) {
    const a = result.entries[p.a]?.name ?? p.a;
    const b = result.entries[p.b]?.name ?? p.b;
    traces.push({
      type,
      mode: 'lines',
      meta: 'path',
      name: `straight path ${a} → ${b}`,
      x: axis(p.coords, 0),
      y: axis(p.coords, 1),
      ...(dims === 3 ? { z: axis(p.coords, 2) } : {}),
      line: { color: '#111827', width: 2, dash: 'dot' },
      hoverinfo: 'name',
    });
  }
  return traces;
}

/** Height of one legend row, in px. */
const LEGEND_ROW = 20;

/** The scatter's legend entries: one per colour group, per path, and the reference's outline. */
function legendEntries(result: CloudResult, group: CloudGroup): number {
  const refId = group.referenceId ?? result.referenceId;
  const keys = new Set(group.ids.map((id) => colourKey(result.entries[id])));
  return keys.size + group.paths.length + (refId && group.ids.includes(refId) ? 1 : 0);
}

/** The scatter's height: the 2-D plot keeps its area whatever the legend's length. */
export function cloudScatterHeight(result: CloudResult, group: CloudGroup, dims: 2 | 3): number {
  return dims === 3 ? 460 : 350 + LEGEND_ROW * legendEntries(result, group);
}

/**
 * Title and axes of the scatter. `halfRange` (sharedHalfRange) fixes every axis to [−r, r] so the
 * raw and aligned maps read on one scale; without it plotly fits each map to its own points.
 */
export function cloudLayout(
  result: CloudResult,
  group: CloudGroup,
  dims: 2 | 3,
  halfRange?: number,
): Record<string, unknown> {
  const refId = group.referenceId ?? null;
  const refName = refId ? (result.entries[refId]?.name ?? '?') : '';
  const title =
    result.aligned && refId ? `Aligned to ${refName}` : result.aligned ? 'Not aligned' : 'Raw weights';
  const ax = (j: number) => ({
    title: { text: axisTitle(group, j, dims === 3) },
    zeroline: false,
    // Rotated 3-D tick labels run into each other beyond a handful.
    ...(dims === 3 ? { nticks: 5 } : {}),
    ...(halfRange ? { range: [-halfRange, halfRange], autorange: false } : {}),
  });
  const entries = legendEntries(result, group);
  const layout: Record<string, unknown> = {
    title: {
      text: `${title} (${group.ids.length} models)<br><sub>mean pairwise distance ${fmtDistance(group.meanDistance)}${halfRange ? ' · same axis ranges as the other map' : ''}</sub>`,
      font: { size: 13 },
    },
    showlegend: true,
    legend: { orientation: 'h', y: -0.2 },
  };
  if (dims === 3)
    Object.assign(layout, {
      // A cube, seen from a little further out than plotly's default, keeps the axis titles inside the frame.
      scene: {
        xaxis: ax(0),
        yaxis: ax(1),
        zaxis: ax(2),
        aspectmode: 'cube',
        // Looking a little below the centre lifts the scene, so the titles of the lower axes clear the edge.
        camera: { eye: { x: 1.75, y: 1.75, z: 1.15 }, center: { x: 0, y: 0, z: -0.15 } },
        domain: { x: [0.04, 0.96], y: [0, 1] },
      },
      margin: { l: 10, r: 10, t: 56, b: 10 },
    });
  else
    Object.assign(layout, {
      xaxis: ax(0),
      yaxis: ax(1),
      // The legend in a band of its own under the axis title (a row per entry, the narrow case),
      // not at a fraction of the plot's height, where four or more entries ran over the axis title.
      legend: { orientation: 'h', yref: 'container', y: 0, yanchor: 'bottom', x: 0 },
      // Room at the top for the title's two lines, clear of the highest tick label.
      margin: { l: 60, r: 16, t: 72, b: 64 + LEGEND_ROW * entries },
    });
  return layout;
}

/** Explained-variance bars for each computed component. */
export function varianceTraces(group: CloudGroup): unknown[] {
  const ratios = group.explainedVarianceRatio;
  return [
    {
      type: 'bar',
      x: ratios.map((_, j) => `PC${j + 1}`),
      y: ratios.map((r) => r * 100),
      text: ratios.map((r) => pct(r)),
      textposition: 'auto',
      marker: { color: '#64748b' },
      hovertemplate: '%{x}: %{y:.2f}% of variance<extra></extra>',
    },
  ];
}

export function varianceLayout(result: CloudResult, group: CloudGroup): Record<string, unknown> {
  const total = group.explainedVarianceRatio.reduce((s, r) => s + r, 0);
  return {
    title: {
      text: `Explained variance (${result.aligned ? 'aligned' : 'raw'}): ${pct(total)} in ${group.explainedVarianceRatio.length} PCs`,
      font: { size: 13 },
    },
    xaxis: { title: { text: 'principal component' } },
    yaxis: { title: { text: 'variance explained (%)' }, rangemode: 'tozero' },
    showlegend: false,
    margin: { l: 60, r: 16, t: 40, b: 44 },
  };
}

/** Every model's coordinates (and every path sample's) as CSV. */
export function cloudCsv(result: CloudResult, group: CloudGroup): string {
  const k = group.explainedVarianceRatio.length;
  const pcs = Array.from({ length: k }, (_, j) => `pc${j + 1}`);
  const rows: (string | number | undefined)[][] = group.ids.map((id, i) => {
    const e = result.entries[id];
    return ['model', id, e?.name, e?.group, e?.seed, e?.psnr, ...pcs.map((_, j) => group.coords[i]?.[j])];
  });
  for (const p of group.paths)
    p.coords.forEach((c, s) =>
      rows.push([
        `path ${s / (p.coords.length - 1)}`,
        `${p.a}->${p.b}`,
        undefined,
        undefined,
        undefined,
        undefined,
        ...pcs.map((_, j) => c[j]),
      ]),
    );
  rows.push(['explained_variance_ratio', '', '', '', '', '', ...group.explainedVarianceRatio]);
  return toCsv(['kind', 'id', 'name', 'group', 'seed', 'psnr_db', ...pcs], rows);
}
