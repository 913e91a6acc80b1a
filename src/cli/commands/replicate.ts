/** `weightscope replicate rebasin|widths|repair|soup`: a paper's MNIST result, run now, in Node. */
import type { PathCurve } from '../../engine/paths/barrier';
import { UsageError, type ParsedArgs } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { packMnist } from '../mnist';
import { shardPortsFor } from '../kernel-pool';
import type { KernelChoice } from '../../engine/tf/classifier-path';

const PRESETS = ['rebasin', 'widths', 'repair', 'soup'] as const;
type Preset = (typeof PRESETS)[number];

const curveJson = (c: PathCurve) => ({
  alphas: Array.from(c.alphas),
  losses: Array.from(c.losses),
  accuracies: Array.from(c.metrics),
  barrier: c.barrier,
  accuracyDrop: c.metricBarrier,
});

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Training overrides every preset takes. */
function trainingOver(args: ParsedArgs): Record<string, number> {
  const out: Record<string, number> = {};
  const e = args.number('epochs');
  if (e !== undefined) out.epochs = e;
  const lr = args.number('lr');
  if (lr !== undefined) out.lr = lr;
  return out;
}

async function run(
  preset: Preset,
  args: ParsedArgs,
  paths: Set<string>,
): Promise<{ json: Record<string, unknown>; text: string[] }> {
  const mnist = packMnist();
  const seed = args.number('seed') ?? 0;
  const hidden = args.ints('hidden');
  const progress = (f: number, stage: string): void => {
    if (process.stderr.isTTY) process.stderr.write(`\r${stage} ${(100 * f).toFixed(0)}%   `);
  };
  const hooks = {
    onProgress: progress,
    kernel: { choice: (args.string('kernel') ?? 'auto') as KernelChoice, ports: shardPortsFor() },
    onPath: (_stage: string, p: string) => void paths.add(p),
  };
  switch (preset) {
    case 'rebasin': {
      const { REBASIN_DEFAULTS, runRebasinPreset } = await import('../../engine/classifier/presets/rebasin');
      const r = await runRebasinPreset(
        mnist,
        {
          seed,
          ...(hidden ? { hidden } : {}),
          training: { ...REBASIN_DEFAULTS.training, ...trainingOver(args) },
        },
        hooks,
      );
      return {
        json: {
          curves: r.curves.map((c) => ({
            method: c.method,
            train: curveJson(c.train),
            heldOut: curveJson(c.heldOut),
          })),
          endpointAccuracy: r.endpointAccuracy,
          notes: r.notes,
          paper: r.paper,
          seconds: r.seconds,
        },
        text: r.curves.map(
          (c) =>
            `${c.method.padEnd(10)} barrier train ${fmt(c.train.barrier)}, held-out ${fmt(c.heldOut.barrier)} nats; accuracy at α=½ ${pct(c.heldOut.metrics[Math.floor(c.heldOut.metrics.length / 2)]!)}`,
        ),
      };
    }
    case 'widths': {
      const { WIDTH_SWEEP_DEFAULTS, runWidthSweep } = await import('../../engine/classifier/presets/widths');
      const widths = args.ints('widths');
      const r = await runWidthSweep(
        mnist,
        {
          seed,
          ...(widths ? { widths } : {}),
          training: { ...WIDTH_SWEEP_DEFAULTS.training, ...trainingOver(args) },
        },
        hooks,
      );
      return {
        json: { points: r.points, paper: r.paper, seconds: r.seconds },
        text: r.points.map(
          (p) =>
            `width ${String(p.width).padStart(4)}: barrier naive ${fmt(p.naiveBarrier)}, aligned ${fmt(p.alignedBarrier)} nats`,
        ),
      };
    }
    case 'repair': {
      const { REPAIR_DEFAULTS, runRepairPreset } = await import('../../engine/classifier/presets/repair');
      const r = await runRepairPreset(
        mnist,
        {
          seed,
          ...(hidden ? { hidden } : {}),
          training: { ...REPAIR_DEFAULTS.training, ...trainingOver(args) },
        },
        hooks,
      );
      return {
        json: {
          endpoints: r.endpoints,
          midpoints: r.midpoints,
          notes: r.notes,
          paper: r.paper,
          seconds: r.seconds,
        },
        text: [
          `endpoints: mean accuracy ${pct(r.endpoints.accuracy)}`,
          ...r.midpoints.map(
            (m) => `α=½ ${m.label}: accuracy ${pct(m.accuracy)}, cross-entropy ${fmt(m.loss)}`,
          ),
          ...r.notes,
        ],
      };
    }
    case 'soup': {
      const { runSoupPreset } = await import('../../engine/classifier/presets/soup');
      const r = await runSoupPreset(mnist, { seed, ...(hidden ? { hidden } : {}) }, hooks);
      return {
        json: {
          base: r.base,
          ingredients: r.ingredients,
          bestSingle: r.bestSingle,
          uniformSoup: r.uniformSoup,
          greedySoup: r.greedySoup,
          paper: r.paper,
          seconds: r.seconds,
        },
        text: [
          `best single (by validation): ${pct(r.bestSingle.heldOutAccuracy)} held out`,
          `uniform soup of ${r.ingredients.length}: ${pct(r.uniformSoup.heldOutAccuracy)}`,
          `greedy soup of ${r.greedySoup.members.length}: ${pct(r.greedySoup.heldOutAccuracy)}`,
        ],
      };
    }
  }
}

export const replicate: Command = {
  name: 'replicate',
  summary: "Run one of the papers' MNIST experiments now and print its numbers beside the paper's.",
  usage:
    'replicate rebasin|widths|repair|soup [--epochs N] [--lr LR] [--hidden W,W,…] [--widths W,W,…] [--seed N] [--kernel auto|fused|tfjs] [--json]',
  spec: {
    positionals: { names: ['PRESET'], min: 1 },
    flags: {
      epochs: { kind: 'int', arg: 'N', min: 1, max: 1000, help: "training epochs (default: the preset's)" },
      lr: { kind: 'number', arg: 'LR', min: 1e-12, max: 10, help: "learning rate (default: the preset's)" },
      hidden: {
        kind: 'ints',
        arg: 'W,W,…',
        min: 8,
        max: 1024,
        help: 'hidden widths (rebasin, repair, soup)',
      },
      widths: {
        kind: 'ints',
        arg: 'W,W,…',
        min: 8,
        max: 1024,
        help: 'widths to sweep (widths; default 32,64,128,256,512)',
      },
      seed: {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: 2 ** 32 - 1,
        help: 'seed of inits and batch orders (default 0)',
      },
      kernel: {
        kind: 'choice',
        choices: ['auto', 'fused', 'tfjs'],
        help: 'train on the fused WebAssembly kernel (members over worker threads) or tfjs (default auto)',
      },
      ...BACKEND_FLAG,
    },
  },
  details: `
rebasin: Git Re-Basin Fig. 2 (two 784-512x3-10 MLPs; loss and accuracy along lerp, naive, weight
and activation matching, on train and held-out digits). widths: barrier vs width, naive and
weight-matched. repair: accuracy at alpha = 1/2 of a deep narrow MLP pair, naive and aligned
(REPAIR when the engine has it). soup: model soups (best single vs uniform vs greedy soup).
Data: the app's MNIST split (9,000 training digits, 1,000 held out). Each result is computed
when the command runs; the JSON carries the paper's claim in "paper", and "kernel" says where the
models trained (the fused kernel, or tfjs and why; paths of several stages joined by "; ").

Example:
  weightscope replicate rebasin --epochs 3 --json > rebasin.json`,
  async run(args) {
    const preset = args.positionals[0]!;
    if (!(PRESETS as readonly string[]).includes(preset))
      throw new UsageError(`unknown preset "${preset}"; presets: ${PRESETS.join(', ')}`);
    const backend = await startTf(args);
    const paths = new Set<string>();
    const r = await run(preset as Preset, args, paths);
    if (process.stderr.isTTY) process.stderr.write('\n');
    const paper = r.json.paper as { citation: string; reported: string };
    const kernel = [...paths].join('; ');
    return {
      json: { preset, ...r.json, backend, kernel },
      text: [...r.text, `trained on ${kernel}`, '', `paper: ${paper.citation}`, paper.reported].join('\n'),
    };
  },
};
