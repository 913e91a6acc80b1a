/**
 * What replaying a shared link will do, before it does it: the models its view uses (so only
 * those files are asked for, and training runs only when a trained member is needed), and an
 * estimate of the work, so a link cannot start hours of computation before the person sees it.
 */
import type { ExperimentSpec } from './schema';

/**
 * Above this many GFLOP (about a minute or more of a laptop CPU's tfjs-wasm, which runs these
 * workloads at 1–5 GFLOP/s) a link shows what it will run and asks first. The default experiment
 * is ~55 GFLOP.
 */
export const LINK_COST_THRESHOLD_GFLOP = 200;

/** The model ids the spec's shown view uses (nulls, "not chosen", left out). */
export function modelsUsedByView(spec: ExperimentSpec): string[] {
  const ids: (string | null)[] = [];
  switch (spec.views.tab) {
    case 'align':
      ids.push(spec.alignment.reference, ...spec.alignment.models);
      break;
    case 'paths':
      ids.push(spec.paths.a, spec.paths.b);
      break;
    case 'landscape':
      ids.push(...spec.views.landscape.anchors);
      break;
    case 'cloud':
      ids.push(spec.alignment.reference);
      break;
    case 'merge': {
      // The recipe's inputs, base and reference: merges inside it are rebuilt from their ids.
      const r = spec.merge.recipe;
      if (r) ids.push(...r.models, r.base, r.align?.reference ?? null);
      break;
    }
    default:
      break;
  }
  return [...new Set(ids.filter((x): x is string => x !== null))];
}

/** True when replaying the view needs the experiment's own population trained. */
export function needsTraining(spec: ExperimentSpec, hash: string): boolean {
  if (spec.views.tab === 'train') return true;
  return modelsUsedByView(spec).some((s) => s.includes(`member:${hash}/`));
}

export interface ReplayCost {
  /** Estimated floating-point work, in GFLOP. */
  gflop: number;
  /** What will run, in words, one line per part. */
  lines: string[];
}

/** Parameters of the spec's INR (3 output channels, the most an image has). */
function inrParams(spec: ExperimentSpec): number {
  const { hidden, activation, fourierFeatures } = spec.arch;
  const inputs = activation !== 'sine' && fourierFeatures > 0 ? 2 * fourierFeatures : 2;
  const widths = [inputs, ...hidden, 3];
  let n = 0;
  for (let i = 0; i + 1 < widths.length; i++) n += widths[i]! * widths[i + 1]! + widths[i + 1]!;
  return n;
}

/**
 * Estimates the replay's work: training (6 FLOP per parameter per pixel per step: forward,
 * backward, update), Bezier/polychain curve training, and the landscape grid's evaluations.
 * `trains` says whether the replay trains the population (needsTraining).
 */
export function replayCost(spec: ExperimentSpec, trains: boolean): ReplayCost {
  const pixels = spec.data.size ** 2;
  const params = inrParams(spec);
  const lines: string[] = [];
  let flop = 0;
  if (trains) {
    const k = spec.population.size;
    const steps = spec.training.steps;
    flop += 6 * k * params * pixels * steps;
    lines.push(
      `train ${k} model${k === 1 ? '' : 's'} of ${params.toLocaleString('en-US')} parameters on a ${spec.data.size}×${spec.data.size} image for ${steps.toLocaleString('en-US')} steps`,
    );
  }
  if (spec.views.tab === 'paths') {
    const curves = spec.paths.kinds.filter((k) => k === 'bezier' || k === 'polychain').length;
    lines.push(`walk ${spec.paths.kinds.length} path kind(s) at ${spec.paths.points} points`);
    if (curves > 0) {
      flop += 6 * curves * params * pixels * spec.paths.curveSteps;
      lines.push(`train ${curves} curve(s) for ${spec.paths.curveSteps} steps`);
    }
  }
  if (spec.views.tab === 'landscape') {
    const r = spec.views.landscape.resolution;
    flop += 2 * r * r * params * pixels;
    lines.push(`evaluate a ${r}×${r} loss plane`);
  }
  if (spec.views.tab === 'align') {
    const n = Math.max(1, spec.alignment.models.length);
    const { method, restarts, steSteps } = spec.alignment;
    const ste = method === 'ste' ? `, ${steSteps} steps` : '';
    lines.push(
      `align ${n} model${n === 1 ? '' : 's'} (${method} matching${ste}${restarts > 1 ? `, ${restarts} restarts` : ''})`,
    );
    // STE trains steSteps steps of the midpoint's loss (forward + backward) per model and restart.
    if (method === 'ste') flop += 6 * steSteps * n * restarts * params * pixels;
  }
  return { gflop: flop / 1e9, lines };
}
