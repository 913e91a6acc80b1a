/**
 * The width-sweep preset: for each hidden width, train two independent SIRENs on the experiment's
 * image, then measure the lerp barrier before and after alignment (Entezari et al. 2022 conjecture
 * that wider networks, once permuted, sit in one basin: the aligned barrier should fall with width).
 * The trained pairs are scratch models: they are removed from the worker once measured.
 */
import { createStore, useStore } from 'zustand';
import { inrArch, memberSeeds } from '../../engine/population';
import type { ScoreTarget } from '../../workers/protocol';
import { ask, cancelJob, engine } from '../engine-client';
import { appStore, showBanner } from '../store';
import { loadTarget } from '../training';

export interface SweepConfig {
  widths: number[];
  /** Image side in pixels (the experiment's image, resized). */
  size: number;
  layers: number;
  steps: number;
}

export interface SweepRow {
  width: number;
  before: number;
  after: number;
}

export interface SweepState {
  config: SweepConfig;
  busy: boolean;
  jobId: number | null;
  /** 0..1 over the whole sweep, and what runs now. */
  fraction: number;
  label: string;
  rows: SweepRow[];
  /** The config and image the rows were measured with. */
  ranWith: (SweepConfig & { image: string }) | null;
}

/** Small enough to finish in a couple of minutes on tfjs-wasm. */
export const DEFAULT_SWEEP: SweepConfig = {
  widths: [8, 16, 32, 64, 128, 256],
  size: 16,
  layers: 2,
  steps: 200,
};

export const sweepStore = createStore<SweepState>(() => ({
  config: DEFAULT_SWEEP,
  busy: false,
  jobId: null,
  fraction: 0,
  label: '',
  rows: [],
  ranWith: null,
}));

export function useSweep<T>(selector: (s: SweepState) => T): T {
  return useStore(sweepStore, selector);
}

/** Validates and applies one config field; returns why not, or null. */
export function setSweepConfig(patch: Partial<SweepConfig>): string | null {
  const c = { ...sweepStore.getState().config, ...patch };
  if (
    c.widths.length === 0 ||
    c.widths.length > 10 ||
    c.widths.some((w) => !Number.isInteger(w) || w < 2 || w > 512)
  )
    return 'widths: 1 to 10 integers from 2 to 512';
  if (!Number.isInteger(c.size) || c.size < 8 || c.size > 64) return 'size: an integer from 8 to 64';
  if (!Number.isInteger(c.layers) || c.layers < 1 || c.layers > 5) return 'layers: an integer from 1 to 5';
  if (!Number.isInteger(c.steps) || c.steps < 1 || c.steps > 5000) return 'steps: an integer from 1 to 5000';
  sweepStore.setState({ config: c });
  return null;
}

let generation = 0;

function removeModels(ids: string[]): void {
  for (const id of ids) void ask('remove', { modelId: id }, 'ok').catch(() => undefined);
}

/** Trains the pair of one width; null when cancelled. */
async function trainPair(
  width: number,
  i: number,
  n: number,
  target: Awaited<ReturnType<typeof loadTarget>>,
  cfg: SweepConfig,
  mine: number,
): Promise<string[] | null> {
  const { spec, backend } = appStore.getState();
  const arch = inrArch(
    { ...spec.arch, activation: 'sine', hidden: Array.from({ length: cfg.layers }, () => width) },
    target.image.channels,
  );
  const seeds = memberSeeds({ size: 2, seed: spec.population.seed, initMode: 'independent' });
  const { id, result } = engine().call(
    'train',
    {
      arch,
      seeds,
      target: target.image,
      targetId: target.id,
      targetLabel: target.label,
      steps: cfg.steps,
      lr: spec.training.lr,
      evalEvery: Math.max(1, Math.floor(cfg.steps / 4)),
      batchFraction: 1,
      noiseSeed: spec.population.seed,
      // Reuse the backend the experiment calibrated: one calibration per width would cost more than the sweep.
      backend: backend?.name ?? spec.backend,
      group: `width sweep ${width}`,
    },
    {
      onProgress: (p) =>
        mine === generation &&
        sweepStore.setState({
          fraction: (i + 0.8 * (p.step / cfg.steps)) / n,
          label: `width ${width}: training 2 SIRENs, step ${p.step}/${cfg.steps}`,
        }),
    },
  );
  sweepStore.setState({ jobId: id });
  const reply = await result;
  if (reply.type !== 'trained') throw new Error(`engine answered ${reply.type} to train`);
  const ids = reply.payload.models.map((m) => m.id);
  if (reply.payload.cancelled || mine !== generation) {
    removeModels(ids);
    return null;
  }
  return ids;
}

/** Barriers of lerp and lerp-after-alignment between the pair. */
async function measure(
  ids: string[],
  target: ScoreTarget,
  mine: number,
): Promise<{ before: number; after: number } | null> {
  const { spec } = appStore.getState();
  const { id, result } = engine().call('paths', {
    aId: ids[0]!,
    bId: ids[1]!,
    kinds: ['lerp', 'lerp-aligned'],
    points: spec.paths.points,
    curveSteps: 0,
    curveSeed: 0,
    alignMethod: spec.alignment.method,
    target,
    filmstrip: 0,
  });
  sweepStore.setState({ jobId: id });
  const reply = await result;
  if (reply.type !== 'paths') throw new Error(`engine answered ${reply.type} to paths`);
  if (mine !== generation) return null;
  const get = (k: string) => reply.payload.curves.find((c) => c.kind === k)?.barrier;
  const before = get('lerp');
  const after = get('lerp-aligned');
  return before === undefined || after === undefined ? null : { before, after };
}

/** Runs the sweep with the current config on the experiment's image; rows appear as widths finish. */
export async function runWidthSweep(): Promise<void> {
  if (sweepStore.getState().busy) return;
  const cfg = sweepStore.getState().config;
  const spec = appStore.getState().spec;
  const mine = ++generation;
  sweepStore.setState({ busy: true, fraction: 0, label: 'loading the image…', rows: [], jobId: null });
  let pending: string[] = [];
  try {
    const target = await loadTarget({ ...spec, data: { ...spec.data, size: cfg.size } });
    sweepStore.setState({ ranWith: { ...cfg, image: `${target.label} ${cfg.size}×${cfg.size}` } });
    const n = cfg.widths.length;
    for (const [i, width] of cfg.widths.entries()) {
      if (mine !== generation) return;
      const ids = await trainPair(width, i, n, target, cfg, mine);
      if (!ids) return;
      pending = ids;
      sweepStore.setState({
        label: `width ${width}: aligning and measuring barriers`,
        fraction: (i + 0.85) / n,
      });
      const r = await measure(ids, { kind: 'image', id: target.id, image: target.image }, mine);
      removeModels(ids);
      pending = [];
      if (!r) return;
      sweepStore.setState((s) => ({ rows: [...s.rows, { width, ...r }], fraction: (i + 1) / n }));
    }
  } catch (e) {
    if (mine === generation)
      showBanner(
        'error',
        `Width sweep failed: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
      );
  } finally {
    removeModels(pending);
    if (mine === generation) sweepStore.setState({ busy: false, jobId: null, label: '' });
  }
}

/** Stops the sweep; widths finished so far stay on the chart. */
export function cancelWidthSweep(): void {
  const { jobId } = sweepStore.getState();
  generation++;
  cancelJob(jobId);
  sweepStore.setState({ busy: false, jobId: null, label: '' });
}
