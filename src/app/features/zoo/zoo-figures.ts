/** Plotly traces and layouts of the Zoo tab: pure functions of the worker's replies. */
import type { WsEpoch, WsMethod, WsResult } from '../../../engine/weightspace/types';
import type { ZooCloudReply, ZooSummary } from '../../../workers/protocol';
import { seriesColour } from '../../lib/palette';

export const METHOD_COLOURS: Record<WsMethod, string> = {
  mlp: '#d62728',
  'mlp-aligned': '#ff7f0e',
  'mlp-augmented': '#9467bd',
  np: '#1f77b4',
};

export const labelName = (s: Pick<ZooSummary, 'labelNames'>, label: number): string =>
  s.labelNames?.[label] ?? String(label);

export function psnrHistogram(s: ZooSummary): { data: unknown[]; layout: Record<string, unknown> } {
  return {
    data: [
      {
        type: 'histogram',
        x: Array.from(s.psnr ?? []),
        marker: { color: '#1f77b4' },
        nbinsx: 30,
        name: 'INRs',
      },
    ],
    layout: {
      title: { text: `Reconstruction quality of ${s.n} INRs` },
      xaxis: { title: { text: 'PSNR (dB)' } },
      yaxis: { title: { text: 'INRs' } },
      bargap: 0.05,
      showlegend: false,
    },
  };
}

/** Held-out accuracy of each member of a classifier zoo, on its own task's digits. */
export function accuracyHistogram(s: ZooSummary): { data: unknown[]; layout: Record<string, unknown> } {
  return {
    data: [
      {
        type: 'histogram',
        x: Array.from(s.accuracy ?? [], (a) => 100 * a),
        marker: { color: '#2ca02c' },
        nbinsx: 30,
        name: 'classifiers',
      },
    ],
    layout: {
      title: { text: `Held-out accuracy of ${s.n} classifiers` },
      xaxis: { title: { text: 'held-out accuracy on the task (%)' } },
      yaxis: { title: { text: 'classifiers' } },
      bargap: 0.05,
      showlegend: false,
    },
  };
}

export function cloudFigure(
  c: ZooCloudReply,
  which: 'raw' | 'aligned',
  s: ZooSummary,
): { data: unknown[]; layout: Record<string, unknown> } {
  const part = c[which];
  const labels = [...new Set(c.labels)].sort((a, b) => a - b);
  const data = labels.map((l, i) => {
    const idx = Array.from(c.labels.keys()).filter((k) => c.labels[k] === l);
    return {
      type: 'scatter',
      mode: 'markers',
      name: labelName(s, l),
      x: idx.map((k) => part.coords[k]![0]),
      y: idx.map((k) => part.coords[k]![1] ?? 0),
      text: idx.map((k) => `member ${k} · label ${labelName(s, l)}`),
      hoverinfo: 'text',
      marker: { color: seriesColour(i), size: 6, opacity: 0.8 },
    };
  });
  const pct = (j: number) => `${(100 * (part.explainedVarianceRatio[j] ?? 0)).toFixed(1)}%`;
  return {
    data,
    layout: {
      title: { text: which === 'raw' ? 'Raw weights (PCA)' : 'Aligned to member 0 (PCA)' },
      xaxis: { title: { text: `PC1 (${pct(0)} of variance)` }, zeroline: false },
      yaxis: { title: { text: `PC2 (${pct(1)} of variance)` }, zeroline: false },
      legend: { title: { text: 'label' }, orientation: 'h', y: -0.3 },
    },
  };
}

/**
 * Held-out accuracy per epoch, one trace per method: the finished ones, plus the method training
 * now (`live`, its epochs so far, dashed) so that its curve grows while it trains.
 */
export function accuracyFigure(
  results: Partial<Record<WsMethod, WsResult>>,
  live: { method: WsMethod; epochs: WsEpoch[] } | null = null,
): {
  data: unknown[];
  layout: Record<string, unknown>;
} {
  const trace = (m: WsMethod, epochs: WsEpoch[], running: boolean) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: running ? `${m} (training…)` : m,
    x: epochs.map((e) => e.epoch),
    y: epochs.map((e) => 100 * e.testAccuracy),
    line: { color: METHOD_COLOURS[m], ...(running ? { dash: 'dot' } : {}) },
  });
  const data = (Object.entries(results) as [WsMethod, WsResult][]).map(([m, r]) => trace(m, r.epochs, false));
  if (live) data.push(trace(live.method, live.epochs, true));
  const most = Math.max(1, ...data.map((d) => d.x.length));
  return {
    data,
    layout: {
      title: { text: 'Held-out accuracy per epoch' },
      xaxis: { title: { text: 'epoch' }, dtick: most > 20 ? undefined : 1, rangemode: 'tozero' },
      yaxis: { title: { text: 'held-out accuracy (%)' }, range: [0, 100] },
    },
  };
}

export function confusionFigure(
  r: WsResult,
  s: ZooSummary,
): { data: unknown[]; layout: Record<string, unknown> } {
  const names = r.classes.map((c) => labelName(s, c));
  return {
    data: [
      {
        type: 'heatmap',
        z: r.confusion,
        x: names,
        y: names,
        colorscale: [
          [0, '#f7fbff'],
          [1, '#2563eb'],
        ],
        zmin: 0,
        text: r.confusion.map((row) => row.map(String)),
        texttemplate: '%{text}',
        colorbar: { title: { text: 'members' } },
      },
    ],
    layout: {
      title: { text: `Confusion on held-out members (${r.method})` },
      xaxis: { title: { text: 'predicted label' }, type: 'category' },
      yaxis: { title: { text: 'true label' }, type: 'category', autorange: 'reversed' },
    },
  };
}
