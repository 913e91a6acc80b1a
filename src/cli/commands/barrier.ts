/** `weightscope barrier A B --data D`: the loss along the path between two models. */
import { alignModels } from '../../engine/align/index';
import type { PathMethod } from '../../engine/paths/interpolate';
import { UsageError, missing } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { loadEvalData } from '../data';
import { imageSideFor, SIZE_FLAG } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModels } from '../io';

export const barrier: Command = {
  name: 'barrier',
  summary: 'Evaluate the loss along the path from A to B and report its barrier.',
  usage:
    'barrier A B --data D [--size S] [--align [--repair]] [--points N] [--method lerp|slerp|bezier|polychain [--curve-steps N]] [--json]',
  spec: {
    positionals: { names: ['A', 'B'], min: 2 },
    flags: {
      data: {
        kind: 'string',
        arg: 'D',
        help: 'an image (.png/.npy in [0, 1]) for INRs, or an .npz with x, y for a classifier',
      },
      align: { kind: 'bool', help: 'first align B to A by weight matching' },
      repair: {
        kind: 'bool',
        help: 'also evaluate the REPAIRed lerp path (needs --align; Jordan et al. 2023)',
      },
      points: { kind: 'int', arg: 'N', min: 2, max: 10000, help: 'α grid points on [0, 1] (default 25)' },
      method: {
        kind: 'choice',
        choices: ['lerp', 'slerp', 'bezier', 'polychain'],
        help: 'path: lerp (default), slerp per tensor, or a trained Bezier/polychain curve',
      },
      'curve-steps': {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: 1e6,
        help: 'bezier/polychain: Adam steps training the control point (default 500)',
      },
      seed: { kind: 'int', arg: 'N', min: 0, help: 'seed of weight matching with --align (default 0)' },
      ...SIZE_FLAG,
      ...ARCH_FLAGS,
      ...BACKEND_FLAG,
    },
  },
  details: `
Barrier (Entezari et al. 2022, Def. 1): max over α of L(θ_α) − ((1−α)·L(A) + α·L(B)). The loss is
MSE on the image's INR coordinate grid (metric "mse"), or mean cross-entropy of the logits
against the labels of a classification .npz (metric "cross-entropy"). An image is resized to the
training size the models record (weightscope.imageSize); --size overrides, and a size that
differs from the recorded one is warned about on stderr. All α are evaluated as
one batched population on tfjs (wasm by default).

--repair adds the path "lerp after alignment + REPAIR": every interior point has its hidden
pre-activation mean/std reset, on --data, to (1−α)·stats(A) + α·stats(B) and folded into W and b.

--method bezier|polychain first trains the curve's middle control point (Garipov et al. 2018;
4 t samples a step, lr 1e-3, seed --seed) on the fused WebAssembly kernel, or on tfjs where the
kernel does not cover the models (classifiers), then walks the curve.

JSON fields: alphas, losses, barrier, aligned, metric; also barrierAlpha, method; with --repair,
repaired: {losses, barrier, barrierAlpha}; with a curve, curve: {steps, kernel, loss, seconds}.

Example:
  weightscope barrier a.pt b.pt --align --data cat.png --activation sine --json`,
  async run(args) {
    const [pa, pb] = args.positionals as [string, string];
    const dataPath = args.string('data') ?? missing('data');
    const method = (args.string('method') ?? 'lerp') as PathMethod;
    const [a, b] = loadModels([pa, pb], archFlags(args));
    const { widths } = a!.model.arch;
    const side = imageSideFor(args.number('size'), [a!, b!]);
    const data = loadEvalData(dataPath, widths[0]!, widths[widths.length - 1]!, side);
    const aligned = args.flag('align');
    const repair = args.flag('repair');
    if (repair && !aligned) throw new UsageError('--repair interpolates aligned models: add --align');
    if (repair && method !== 'lerp')
      throw new UsageError('--repair follows the lerp path: drop --method slerp');
    const bModel = aligned
      ? alignModels(a!.model, b!.model, { method: 'weight', seed: args.number('seed') ?? 0 }).model
      : b!.model;
    await startTf(args);
    const { pathCurve } = await import('../../engine/paths/barrier');
    let trained: { steps: number; kernel: string; loss: number | null; seconds: number } | null = null;
    let control;
    if (method === 'bezier' || method === 'polychain') {
      const { kernelCurveCoverage, trainCurveOnKernel } = await import('../../engine/kernels/curve');
      const { trainCurve } = await import('../../engine/tf/curve');
      const uncovered = kernelCurveCoverage(a!.model, data);
      const t0 = performance.now();
      const r = await (uncovered ? trainCurve : trainCurveOnKernel)(a!.model, bModel, data, {
        kind: method,
        steps: args.number('curve-steps') ?? 500,
        seed: args.number('seed') ?? 0,
      });
      control = r.control;
      trained = {
        steps: r.steps,
        kernel: uncovered ? `tfjs (fused kernel: ${uncovered})` : 'fused wasm',
        loss: r.losses.length ? r.losses[r.losses.length - 1]! : null,
        seconds: (performance.now() - t0) / 1000,
      };
    } else if (args.has('curve-steps'))
      throw new UsageError('--curve-steps goes with --method bezier or polychain');
    const curve = await pathCurve(a!.model, bModel, data, {
      method,
      points: args.number('points') ?? 25,
      ...(control ? { control } : {}),
    });
    let repaired: { losses: number[]; barrier: number; barrierAlpha: number } | null = null;
    if (repair) {
      const { repairedLerpPath } = await import('../../engine/merge/index');
      const { pathCurveOf } = await import('../../engine/paths/barrier');
      const r = await pathCurveOf(repairedLerpPath(a!.model, bModel, data.x, data.n), data, {
        points: args.number('points') ?? 25,
      });
      repaired = { losses: Array.from(r.losses), barrier: r.barrier, barrierAlpha: r.barrierAlpha };
    }
    const metric = data.kind === 'regression' ? 'mse' : 'cross-entropy';
    const json = {
      alphas: Array.from(curve.alphas),
      losses: Array.from(curve.losses),
      barrier: curve.barrier,
      aligned,
      metric,
      barrierAlpha: curve.barrierAlpha,
      method,
      ...(repaired ? { repaired } : {}),
      ...(trained ? { curve: trained } : {}),
    };
    const n = curve.losses.length;
    const text = [
      `${method} path ${pa} → ${pb}${aligned ? ' (B aligned to A)' : ''}, ${n} points, ${metric}`,
      `loss at A ${fmt(curve.losses[0]!)}, at B ${fmt(curve.losses[n - 1]!)}, highest ${fmt(Math.max(...curve.losses))}`,
      `barrier ${fmt(curve.barrier)} at alpha ${fmt(curve.barrierAlpha)}`,
      ...(trained
        ? [`curve trained ${trained.steps} steps on ${trained.kernel} in ${fmt(trained.seconds)} s`]
        : []),
      ...(repaired
        ? [`with REPAIR: barrier ${fmt(repaired.barrier)} at alpha ${fmt(repaired.barrierAlpha)}`]
        : []),
    ].join('\n');
    return { json, text };
  },
};
