/**
 * The width-sweep preset: for each hidden width, train `pairs` independent pairs of SIRENs on the
 * experiment's image (one population of 2 × pairs seeds), then measure each pair's lerp barrier
 * before and after alignment and its endpoints' quality (Entezari et al. 2022 conjecture that wider
 * networks, once permuted, sit in one basin: the aligned barrier should fall with width). The
 * trained pairs are scratch models: they are removed from the worker once measured.
 */
import { createStore, useStore } from 'zustand';
import { inrArch, memberSeeds } from '../../../engine/population';
import type { ScoreTarget } from '../../../workers/protocol';
import { ask } from '../../engine-client';
import { cancelJob, idleJob, runJob, type JobRun, type JobState } from '../../jobs';
import type { ExperimentSpec } from '../../../engine/experiment/schema';
import { appStore, updateSpec } from '../../store';
import { loadTarget } from '../../data/targets';

/** The sweep's settings, part of the experiment spec (`paths.sweep`), so links carry them. */
export type SweepConfig = ExperimentSpec['paths']['sweep'];

/** One pair's numbers: barriers (MSE) and its two endpoints' loss (MSE) and PSNR (dB). */
export interface PairScore {
  before: number;
  after: number;
  lossA: number;
  lossB: number;
  psnrA: number;
  psnrB: number;
}

export interface SweepRow {
  width: number;
  pairs: PairScore[];
}

export interface SweepState {
  /** Progress `done` is the fraction 0..1 of the whole sweep, `label` what runs now. */
  job: JobState;
  rows: SweepRow[];
  /** The config and image the rows were measured with. */
  ranWith: (SweepConfig & { image: string }) | null;
}

export const sweepStore = createStore<SweepState>(() => ({
  job: idleJob(),
  rows: [],
  ranWith: null,
}));

export function useSweep<T>(selector: (s: SweepState) => T): T {
  return useStore(sweepStore, selector);
}

/** Validates and applies one setting (through the spec's schema); returns why not, or null. */
export function setSweepConfig(patch: Partial<SweepConfig>): string | null {
  return updateSpec((d) => Object.assign(d.paths.sweep, patch));
}

function removeModels(ids: string[]): void {
  for (const id of ids) void ask('remove', { modelId: id }).catch(() => undefined);
}

const step = (fraction: number, label: string) => ({ done: fraction, total: 1, label });

/** Trains the pairs of one width as one population; returns the model ids, pair by pair. */
async function trainPair(
  run: JobRun,
  width: number,
  i: number,
  n: number,
  target: Awaited<ReturnType<typeof loadTarget>>,
  cfg: SweepConfig,
): Promise<string[]> {
  const { spec, backend } = appStore.getState();
  const arch = inrArch(
    { ...spec.arch, activation: 'sine', hidden: Array.from({ length: cfg.layers }, () => width) },
    target.image.channels,
  );
  // Members 2k and 2k + 1 are pair k: with one pair, the same two seeds as before pairs existed.
  const seeds = memberSeeds({ size: 2 * cfg.pairs, seed: spec.population.seed, initMode: 'independent' });
  const trained = await run.call(
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
        run.progress(
          step(
            (i + 0.8 * (p.step / cfg.steps)) / n,
            `width ${width}: training ${2 * cfg.pairs} SIRENs, step ${p.step}/${cfg.steps}`,
          ),
        ),
      // Scratch models of a cancelled sweep leave the worker again.
      discard: (r) => removeModels(r.models.map((m) => m.id)),
    },
  );
  return trained.models.map((m) => m.id);
}

/** Barriers of lerp and lerp-after-alignment between the pair, and its endpoints' scores. */
async function measure(run: JobRun, ids: string[], target: ScoreTarget): Promise<PairScore> {
  const { spec } = appStore.getState();
  const curves = await run.call('paths', {
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
  const lerp = curves.find((c) => c.kind === 'lerp');
  const after = curves.find((c) => c.kind === 'lerp-aligned')?.barrier;
  if (!lerp || after === undefined) throw new Error('the engine returned no barrier');
  const last = lerp.losses.length - 1;
  return {
    before: lerp.barrier,
    after,
    lossA: lerp.losses[0]!,
    lossB: lerp.losses[last]!,
    psnrA: lerp.metrics[0]!,
    psnrB: lerp.metrics[last]!,
  };
}

/** Runs the sweep with the current config on the experiment's image; rows appear as widths finish. */
export async function runWidthSweep(): Promise<void> {
  if (sweepStore.getState().job.busy) return;
  const spec = appStore.getState().spec;
  const cfg = spec.paths.sweep;
  sweepStore.setState({ rows: [] });
  let pending: string[] = [];
  await runJob(
    sweepStore,
    (msg) => `Width sweep failed: ${msg}. The workspace is unchanged.`,
    async (run) => {
      run.progress(step(0, 'loading the image…'));
      try {
        const target = await run.step(loadTarget({ ...spec, data: { ...spec.data, size: cfg.size } }));
        sweepStore.setState({ ranWith: { ...cfg, image: `${target.label} ${cfg.size}×${cfg.size}` } });
        const n = cfg.widths.length;
        for (const [i, width] of cfg.widths.entries()) {
          pending = await trainPair(run, width, i, n, target, cfg);
          const pairs: PairScore[] = [];
          for (let k = 0; k < cfg.pairs; k++) {
            run.progress(
              step(
                (i + 0.8 + (0.2 * k) / cfg.pairs) / n,
                `width ${width}: aligning and measuring pair ${k + 1} of ${cfg.pairs}`,
              ),
            );
            const image: ScoreTarget = { kind: 'image', id: target.id, image: target.image };
            pairs.push(await measure(run, pending.slice(2 * k, 2 * k + 2), image));
          }
          removeModels(pending);
          pending = [];
          sweepStore.setState((s) => ({ rows: [...s.rows, { width, pairs }] }));
          run.progress(step((i + 1) / n, `width ${width}: done`));
        }
      } finally {
        removeModels(pending);
      }
    },
  );
}

/** Stops the sweep; widths finished so far stay on the chart. */
export function cancelWidthSweep(): void {
  cancelJob(sweepStore);
}

/** Mean, sample standard deviation, min and max of a few numbers (sd 0 for one). */
export interface Spread {
  mean: number;
  sd: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN, n };
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), n };
}

/** A width's barriers and endpoint quality over its pairs (endpoints: both models of every pair). */
export function rowSummary(row: SweepRow) {
  return {
    before: spread(row.pairs.map((p) => p.before)),
    after: spread(row.pairs.map((p) => p.after)),
    psnr: spread(row.pairs.flatMap((p) => [p.psnrA, p.psnrB])),
    loss: spread(row.pairs.flatMap((p) => [p.lossA, p.lossB])),
  };
}
