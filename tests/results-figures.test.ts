/**
 * The results views' pure parts: the paths figures (train and held-out together, the curve-training
 * loss), the width sweep's mean ± spread, the cloud's shared axis ranges, and the banner stack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScoreOption } from '../src/app/data/score';
import {
  architectureNote,
  cloudArchs,
  cloudLayout,
  cloudTraces,
  sharedHalfRange,
} from '../src/app/features/cloud/cloud-figures';
import type { CloudResult } from '../src/app/features/cloud/cloud-state';
import {
  curveLossCsv,
  curveLossFigure,
  dataNote,
  pathsCsv,
  pathsFigure,
} from '../src/app/features/paths/paths-figures';
import type { PathsResult } from '../src/app/features/paths/paths-state';
import { sweepCsv, sweepFigure } from '../src/app/features/paths/sweep-figures';
import { rowSummary, spread, type SweepRow } from '../src/app/features/paths/sweep-state';
import {
  appStore,
  dismissBanners,
  MAX_BANNERS,
  replaceBanner,
  showBanner,
  splitBanners,
} from '../src/app/store';
import type { CloudGroup, PathCurveReply } from '../src/workers/protocol';

const alphas = Float32Array.from([0, 0.5, 1]);

function curve(kind: PathCurveReply['kind'], extra: Partial<PathCurveReply> = {}): PathCurveReply {
  return {
    kind,
    alphas,
    losses: Float32Array.from([0.1, 0.9, 0.2]),
    metrics: Float32Array.from([0.9, 0.5, 0.8]),
    barrier: 0.75,
    barrierAlpha: 0.5,
    metricBarrier: 0.35,
    filmstrip: new Float32Array(0),
    filmAlphas: [],
    ...extra,
  };
}

const mnist: ScoreOption = { id: 'mnist', label: 'MNIST (1,000 digits)', kind: 'classification' };
const image: ScoreOption = { id: 'sample:rings@32', label: 'rings 32×32', kind: 'image' };

function result(
  curves: PathCurveReply[],
  score = mnist,
  trainLabel: string | null = 'MNIST train',
): PathsResult {
  return { seq: 1, aId: 'm1', bId: 'm2', aName: 'A', bName: 'B', score, trainLabel, image: null, curves };
}

const train = {
  losses: [0.05, 0.6, 0.1],
  metrics: [0.97, 0.6, 0.95],
  barrier: 0.525,
  barrierAlpha: 0.5,
  metricBarrier: 0.36,
};

describe('paths figures', () => {
  it('draws train (dashed) beside held-out (solid) in one colour per path, and says which is which', () => {
    const r = result([curve('lerp', { train }), curve('lerp-aligned', { train })]);
    const { data, layout } = pathsFigure(r, false, 0.5);
    expect(data).toHaveLength(4);
    const [held, tr] = data as {
      meta: string;
      legendgroup: string;
      line: { color: string; dash?: string };
      y: number[];
      name: string;
    }[];
    expect(held!.meta).toBe('lerp');
    expect(tr!.meta).toBe('lerp:train');
    expect(tr!.line.dash).toBe('dash');
    expect(tr!.line.color).toBe(held!.line.color);
    expect(tr!.legendgroup).toBe(held!.legendgroup);
    expect(tr!.y).toEqual(train.losses);
    expect(held!.name).toMatch(/held out.*barrier 0\.7500/);
    expect(tr!.name).toMatch(/train.*barrier 0\.5250/);
    expect(layout.title.text).toMatch(/solid: held out, MNIST \(1,000 digits\) · dashed: train, MNIST train/);
    expect(layout.yaxis.title.text).toBe('loss (cross-entropy (nats))');
    // Accuracy view: percent, and the legend names the accuracy drop.
    const acc = pathsFigure(r, true, 0.5).data as { y: number[]; name: string }[];
    expect(acc[1]!.y[0]).toBeCloseTo(97, 4);
    expect(acc[1]!.name).toMatch(/accuracy drop 36\.0 pts/);
  });

  it('an INR has one image: one trace per path, and the title says there is no held-out data', () => {
    const r = result([curve('lerp')], image, null);
    const { data, layout } = pathsFigure(r, false, 0);
    expect(data).toHaveLength(1);
    expect(layout.title.text).toMatch(/no held-out data/);
    expect(layout.yaxis).toMatchObject({ type: 'log' });
    expect(dataNote(result([curve('lerp')], { ...mnist, id: 'dataset:x', label: 'mine.npz' }, null))).toMatch(
      /no known train\/held-out split/,
    );
  });

  it('CSV carries the train columns only when there are train curves', () => {
    const withTrain = pathsCsv(result([curve('lerp', { train })])).split('\n');
    expect(withTrain[0]).toBe(
      'kind,alpha,loss_cross_entropy,accuracy,barrier,accuracy_drop,train_loss_cross_entropy,train_accuracy,train_barrier,train_accuracy_drop',
    );
    expect(withTrain[1]!.split(',').slice(6)).toEqual(['0.05', '0.97', '0.525', '0.36']);
    expect(pathsCsv(result([curve('lerp')], image, null)).split('\n')[0]).toBe(
      'kind,alpha,loss_mse,psnr_db,barrier',
    );
  });

  it('plots the curve-training loss per step of trained curves only', () => {
    expect(curveLossFigure(result([curve('lerp')]))).toBeNull();
    const r = result([curve('lerp'), curve('bezier', { curveLoss: [2, 1, 0.5, 0.25] })], image, null);
    const fig = curveLossFigure(r)!;
    expect(fig.data).toHaveLength(1);
    expect(fig.data[0]!.x).toEqual([1, 2, 3, 4]);
    expect(fig.data[0]!.y).toEqual([2, 1, 0.5, 0.25]);
    expect(fig.layout.xaxis.title.text).toBe('training step');
    // 2 → 0.25 is within a factor of 20: a linear axis; a loss that falls 100-fold gets a log axis.
    expect(fig.layout.yaxis).toEqual({ title: { text: 'loss (MSE)' } });
    const steep = curveLossFigure(result([curve('bezier', { curveLoss: [1, 0.1, 0.01] })], image, null))!;
    expect(steep.layout.yaxis).toMatchObject({ type: 'log', title: { text: 'loss (MSE, log scale)' } });
    expect(curveLossCsv(r).trim().split('\n')).toEqual([
      'kind,step,loss',
      'bezier,1,2',
      'bezier,2,1',
      'bezier,3,0.5',
      'bezier,4,0.25',
    ]);
  });
});

describe('width sweep: mean ± spread and endpoint quality', () => {
  const pair = (before: number, after: number, psnrA: number, psnrB: number) => ({
    before,
    after,
    lossA: 10 ** (-psnrA / 10),
    lossB: 10 ** (-psnrB / 10),
    psnrA,
    psnrB,
  });
  const rows: SweepRow[] = [
    { width: 8, pairs: [pair(0.02, 0.01, 20, 22), pair(0.04, 0.01, 21, 23), pair(0.03, 0.016, 19, 24)] },
    { width: 16, pairs: [pair(0.01, 0.002, 25, 26), pair(0.03, 0.004, 27, 28), pair(0.02, 0.003, 26, 26)] },
  ];

  it('spread: mean, sample sd, min, max', () => {
    const s = spread([1, 2, 3, 6]);
    expect(s).toMatchObject({ mean: 3, min: 1, max: 6, n: 4 });
    expect(s.sd).toBeCloseTo(Math.sqrt(14 / 3), 12);
    expect(spread([5])).toEqual({ mean: 5, sd: 0, min: 5, max: 5, n: 1 });
    const m = rowSummary(rows[0]!);
    expect(m.before.mean).toBeCloseTo(0.03, 12);
    expect(m.psnr).toMatchObject({ min: 19, max: 24, n: 6 });
  });

  it('plots the mean with min–max bars and the endpoints’ PSNR on a second axis', () => {
    const { data, layout } = sweepFigure(rows, null, [8, 16]);
    const [before, after, psnr] = data as {
      y: number[];
      name: string;
      yaxis?: string;
      error_y: { array: number[]; arrayminus: number[] };
    }[];
    expect(before!.y[0]).toBeCloseTo(0.03, 12);
    expect(before!.error_y.array[0]).toBeCloseTo(0.01, 12);
    expect(before!.error_y.arrayminus[0]).toBeCloseTo(0.01, 12);
    expect(after!.error_y.array[1]).toBeCloseTo(0.001, 12);
    expect(before!.name).toMatch(/mean of 3 pairs, bars min–max/);
    expect(psnr!.yaxis).toBe('y2');
    expect(psnr!.y[1]).toBeCloseTo(26.333333, 5);
    expect(layout.yaxis2.title.text).toMatch(/PSNR \(dB\)/);
    expect(layout.yaxis.title.text).toBe('loss barrier (MSE)');
    // One pair per width: no bars on the barriers, and the legend says so.
    const one = sweepFigure([{ width: 8, pairs: [rows[0]!.pairs[0]!] }], null, [8]).data as {
      name: string;
      error_y?: unknown;
    }[];
    expect(one[0]!.error_y).toBeUndefined();
    expect(one[0]!.name).toMatch(/1 pair per width/);
    expect(sweepCsv(rows).split('\n')).toHaveLength(2 * 3 + 2);
  });
});

describe('cloud: raw and aligned on one scale', () => {
  const group = (coords: number[][], meanDistance: number, referenceId: string | null): CloudGroup => ({
    arch: 'MLP 2→8→1',
    ids: coords.map((_, i) => `m${i}`),
    coords,
    explainedVarianceRatio: [0.6, 0.3],
    paths: [],
    meanDistance,
    referenceId,
  });
  const raw: CloudResult = {
    aligned: false,
    referenceId: null,
    groups: [
      group(
        [
          [4, 0],
          [-4, 1],
          [0, -2],
        ],
        6.5,
        null,
      ),
    ],
    entries: {},
  };
  const aligned: CloudResult = {
    aligned: true,
    referenceId: 'm0',
    groups: [
      group(
        [
          [1, 0.5],
          [-1, 0],
          [0, -0.5],
        ],
        1.25,
        'm0',
      ),
    ],
    entries: {},
  };

  it('one half-range from the widest map, applied to every axis of both maps', () => {
    const r = sharedHalfRange([raw, aligned], 'MLP 2→8→1', 2);
    expect(r).toBeCloseTo(4 * 1.12, 12);
    expect(sharedHalfRange([aligned], 'MLP 2→8→1', 2)).toBeCloseTo(1.12, 12);
    for (const res of [raw, aligned]) {
      const layout = cloudLayout(res, res.groups[0]!, 2, r) as {
        xaxis: { range: number[] };
        yaxis: { range: number[] };
        title: { text: string };
      };
      expect(layout.xaxis.range).toEqual([-r, r]);
      expect(layout.yaxis.range).toEqual([-r, r]);
    }
    const titles = [raw, aligned].map(
      (x) => (cloudLayout(x, x.groups[0]!, 2, r) as { title: { text: string } }).title.text,
    );
    expect(titles[0]).toMatch(/Raw weights \(3 models\).*mean pairwise distance 6\.50/);
    expect(titles[1]).toMatch(/mean pairwise distance 1\.25/);
    // 3-D: the same range on the scene's three axes.
    const scene = (
      cloudLayout(aligned, aligned.groups[0]!, 3, r) as { scene: Record<string, { range?: number[] }> }
    ).scene;
    expect(scene.zaxis!.range).toEqual([-r, r]);
  });

  it('marks the reference with an outline of its own, so the legend draws its group as circles', () => {
    const traces = cloudTraces(aligned, aligned.groups[0]!, 2) as {
      meta: string;
      x: number[];
      marker: { symbol?: unknown };
    }[];
    const models = traces.filter((t) => t.meta === 'models');
    expect(models.reduce((n, t) => n + t.x.length, 0)).toBe(3);
    for (const t of models) expect(t.marker.symbol).toBeUndefined();
    const ref = traces.filter((t) => t.meta === 'reference');
    expect(ref).toHaveLength(1);
    expect(ref[0]!.x).toEqual([1]);
    expect(ref[0]!.marker.symbol).toBe('diamond-open');
    expect(
      cloudTraces(raw, raw.groups[0]!, 2).some((t) => (t as { meta: string }).meta === 'reference'),
    ).toBe(false);
  });

  it('side by side, every architecture gets one row in both columns, and the note is said once', () => {
    expect(cloudArchs([raw, aligned])).toEqual(['MLP 2→8→1']);
    expect(architectureNote([raw, aligned])).toBeNull();
    // The raw map also holds a second architecture (mapped with another selection): a row for it.
    const wide = { ...raw.groups[0]!, arch: 'MLP 2→16→1' };
    const mixed: CloudResult = { ...raw, groups: [wide, raw.groups[0]!] };
    expect(cloudArchs([mixed, aligned, null])).toEqual(['MLP 2→16→1', 'MLP 2→8→1']);
    expect(architectureNote([mixed, aligned])).toMatch(/2 architectures.*own map/);
  });
});

describe('banner stack', () => {
  afterEach(() => appStore.setState({ banner: null }));

  it('a second message does not hide the first; each is dismissed on its own', () => {
    showBanner('error', 'Paths failed: boom');
    showBanner('info', 'This link was made by an older Weightscope.');
    let s = appStore.getState();
    expect(s.banners.map((b) => b.text)).toEqual([
      'Paths failed: boom',
      'This link was made by an older Weightscope.',
    ]);
    expect(s.banner?.text).toBe('This link was made by an older Weightscope.');
    dismissBanners(s.banners[1]!.id);
    s = appStore.getState();
    expect(s.banners.map((b) => b.kind)).toEqual(['error']);
    expect(s.banner?.text).toBe('Paths failed: boom');
  });

  it('errors and requests for files stay open; older notes fold away', () => {
    showBanner('info', 'note 1');
    showBanner('error', 'error 1');
    showBanner('info', 'Drop them on the page', true);
    showBanner('info', 'note 2');
    showBanner('info', 'note 3');
    const { open, earlier } = splitBanners(appStore.getState().banners);
    expect(open.map((b) => b.text)).toEqual(['error 1', 'Drop them on the page', 'note 3']);
    expect(earlier.map((b) => b.text)).toEqual(['note 1', 'note 2']);
  });

  it('a repeat is counted, not stacked; clearing the old single slot clears them all', () => {
    showBanner('error', 'same');
    showBanner('info', 'other');
    showBanner('error', 'same');
    const s = appStore.getState();
    expect(s.banners.map((b) => [b.text, b.count])).toEqual([
      ['other', 1],
      ['same', 2],
    ]);
    appStore.setState({ banner: null });
    expect(appStore.getState().banners).toEqual([]);
  });

  it('a message under a key is told again in place, not stacked; other keys and plain messages stay', () => {
    replaceBanner('engine-restart:1', 'error', 'The worker was restarted.');
    showBanner('error', 'Paths failed: boom');
    replaceBanner('engine-restart:2', 'error', 'The worker was restarted again.');
    replaceBanner('engine-restart:1', 'error', 'The worker was restarted. Alignment failed.');
    expect(appStore.getState().banners.map((b) => b.text)).toEqual([
      'Paths failed: boom',
      'The worker was restarted again.',
      'The worker was restarted. Alignment failed.',
    ]);
  });

  it('past the limit, old infos go before any error', () => {
    showBanner('error', 'first error');
    for (let i = 0; i < MAX_BANNERS + 2; i++) showBanner('info', `info ${i}`);
    const texts = appStore.getState().banners.map((b) => b.text);
    expect(texts).toHaveLength(MAX_BANNERS);
    expect(texts[0]).toBe('first error');
    expect(texts[texts.length - 1]).toBe(`info ${MAX_BANNERS + 1}`);
  });
});
