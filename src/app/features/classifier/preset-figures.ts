/** Plotly figures of a preset's result: what the person's own run shows, beside the paper's claim. */
import type { ClassifierPresetReply } from '../../../workers/protocol';

export interface Figure {
  testId: string;
  data: unknown[];
  layout: Record<string, unknown>;
  height?: number;
}

const COLORS: Record<string, string> = {
  naive: '#d64545',
  weight: '#2f6fdb',
  activation: '#1f9d55',
  ste: '#9b51e0',
};
const LABELS: Record<string, string> = {
  naive: 'naive',
  weight: 'weight matching',
  activation: 'activation matching',
  ste: 'STE matching',
};
const alphaAxis = { title: { text: 'α (0 = model A, 1 = model B)' } };
/** Eight legend entries in two columns need room below the axis title. */
const roomyLegend = { margin: { l: 60, r: 16, t: 44, b: 110 }, legend: { orientation: 'h', y: -0.3 } };

function rebasinFigures(r: ClassifierPresetReply): Figure[] {
  const curves = r.curves ?? [];
  const lines = (
    pick: (c: NonNullable<ClassifierPresetReply['curves']>[number]['heldOut']) => number[],
    scale: number,
  ) =>
    curves.flatMap((c) =>
      (['train', 'heldOut'] as const).flatMap((split) => {
        const d = c[split];
        if (!d) return [];
        return [
          {
            type: 'scatter',
            mode: 'lines+markers',
            name: `${LABELS[c.method] ?? c.method}, ${split === 'train' ? 'train' : 'held out'}`,
            x: d.alphas,
            y: pick(d).map((v) => scale * v),
            line: { color: COLORS[c.method], dash: split === 'train' ? 'dot' : 'solid' },
          },
        ];
      }),
    );
  return [
    {
      testId: 'preset-loss-chart',
      height: 380,
      data: lines((d) => d.losses, 1),
      layout: {
        title: { text: 'Loss along the line from A to B' },
        xaxis: alphaAxis,
        yaxis: { title: { text: 'cross-entropy (nats)' } },
        ...roomyLegend,
      },
    },
    {
      testId: 'preset-acc-chart',
      height: 380,
      data: lines((d) => d.accuracies, 100),
      layout: {
        title: { text: 'Accuracy along the line from A to B' },
        xaxis: alphaAxis,
        yaxis: { title: { text: 'accuracy (%)' } },
        ...roomyLegend,
      },
    },
  ];
}

function widthFigures(r: ClassifierPresetReply): Figure[] {
  const pts = r.points ?? [];
  const line = (name: string, y: number[], color: string) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x: pts.map((p) => p.width),
    y,
    line: { color },
  });
  return [
    {
      testId: 'preset-width-chart',
      data: [
        line(
          'naive',
          pts.map((p) => p.naiveBarrier),
          COLORS.naive!,
        ),
        line(
          'weight matching',
          pts.map((p) => p.alignedBarrier),
          COLORS.weight!,
        ),
      ],
      layout: {
        title: { text: 'Held-out loss barrier vs width' },
        xaxis: {
          title: { text: 'hidden width (units per layer, log₂ scale)' },
          type: 'log',
          dtick: Math.log10(2),
          tickvals: pts.map((p) => p.width),
        },
        yaxis: { title: { text: 'barrier (nats)' }, rangemode: 'tozero' },
      },
    },
  ];
}

function repairFigures(r: ClassifierPresetReply): Figure[] {
  const mids = r.midpoints ?? [];
  return [
    {
      testId: 'preset-repair-chart',
      data: [
        {
          type: 'bar',
          x: mids.map((m) => m.label),
          y: mids.map((m) => 100 * m.accuracy),
          name: 'midpoint (α = ½)',
          marker: { color: '#2f6fdb' },
        },
        {
          type: 'scatter',
          mode: 'lines',
          x: mids.map((m) => m.label),
          y: mids.map(() => 100 * (r.endpoints?.accuracy ?? 0)),
          name: 'endpoints (mean)',
          line: { color: '#1f2933', dash: 'dash' },
        },
      ],
      layout: {
        title: { text: 'Held-out accuracy at α = ½' },
        xaxis: { title: { text: 'midpoint' } },
        yaxis: { title: { text: 'accuracy (%)' } },
      },
    },
  ];
}

function soupFigures(r: ClassifierPresetReply): Figure[] {
  const s = r.soup;
  if (!s) return [];
  const labels = ['base', 'best single', 'uniform soup', `greedy soup (${s.greedyMembers})`];
  const all = [s.base, s.bestSingle, s.uniform, s.greedy, ...s.ingredients.map((i) => i.heldOutAccuracy)];
  // Soups and singles differ by a point or two: an axis from 0 would hide it.
  const lo = Math.max(0, Math.floor(100 * Math.min(...all)) - 5);
  return [
    {
      testId: 'preset-soup-chart',
      data: [
        {
          type: 'bar',
          x: labels,
          y: [s.base, s.bestSingle, s.uniform, s.greedy].map((v) => 100 * v),
          name: 'held-out accuracy',
          marker: { color: ['#9aa5b1', '#d64545', '#2f6fdb', '#1f9d55'] },
        },
        {
          type: 'scatter',
          mode: 'markers',
          x: s.ingredients.map(() => 'ingredients'),
          y: s.ingredients.map((i) => 100 * i.heldOutAccuracy),
          // Each ingredient's own fine-tuning rate, the variable the soup averages over.
          text: s.ingredients.map((i) => `lr ${i.lr}`),
          hovertemplate: '%{text}: %{y:.1f}%<extra>ingredient</extra>',
          name: 'each fine-tuned ingredient',
          marker: { color: '#1f2933', size: 8 },
        },
      ],
      layout: {
        title: { text: 'Held-out accuracy of soups and single models' },
        xaxis: {
          title: { text: 'model' },
          categoryorder: 'array',
          categoryarray: ['base', 'ingredients', ...labels.slice(1)],
        },
        yaxis: { title: { text: 'accuracy (%)' }, range: [lo, 100] },
      },
    },
  ];
}

export function presetFigures(r: ClassifierPresetReply): Figure[] {
  switch (r.preset) {
    case 'rebasin':
      return rebasinFigures(r);
    case 'widths':
      return widthFigures(r);
    case 'repair':
      return repairFigures(r);
    case 'soup':
      return soupFigures(r);
  }
}

/** One sentence of the person's own result, to read beside the paper's. */
export function presetSummary(r: ClassifierPresetReply): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const f = (x: number) => x.toFixed(3);
  switch (r.preset) {
    case 'rebasin':
      return (r.curves ?? [])
        .map(
          (c) =>
            `${LABELS[c.method] ?? c.method}: held-out barrier ${f(c.heldOut.barrier)} nats${c.train ? `, train ${f(c.train.barrier)}` : ''}`,
        )
        .join('; ');
    case 'widths':
      return (r.points ?? [])
        .map((p) => `width ${p.width}: ${f(p.naiveBarrier)} → ${f(p.alignedBarrier)} nats`)
        .join('; ');
    case 'repair':
      return `endpoints ${pct(r.endpoints?.accuracy ?? 0)}; ${(r.midpoints ?? []).map((m) => `${m.label} ${pct(m.accuracy)}`).join(', ')} at α = ½`;
    case 'soup': {
      const s = r.soup!;
      return `best single ${pct(s.bestSingle)}, uniform soup ${pct(s.uniform)}, greedy soup ${pct(s.greedy)} (${s.greedyMembers} of ${s.ingredients.length} ingredients), base ${pct(s.base)}`;
    }
  }
}
