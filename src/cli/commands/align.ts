/** `weightscope align REF MODEL`: remove the permutation symmetry between two networks. */
import type { SignMode } from '../../engine/align/index';
import { UsageError } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { loadEvalData } from '../data';
import { imageSideFor, imageSizeOf, SIZE_FLAG } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModels } from '../io';
import { checkOutPath, fileRef, writeModel } from '../output';

export const align: Command = {
  name: 'align',
  summary: "Permute MODEL's hidden units (and flip signs, for odd activations) to match REF.",
  usage:
    'align REF MODEL [--method weight|activation|ste] [--signed auto|on|off] [--data D] [--size S] [--seed N] [--out F] [--json]',
  spec: {
    positionals: { names: ['REF', 'MODEL'], min: 2 },
    flags: {
      method: {
        kind: 'choice',
        choices: ['weight', 'activation', 'ste'],
        help: 'weight matching (default), activation matching, or STE matching (needs --data)',
      },
      signed: {
        kind: 'choice',
        choices: ['auto', 'on', 'off'],
        help: 'sign symmetry: auto = on for sine and tanh (default)',
      },
      data: {
        kind: 'string',
        arg: 'D',
        help: 'activation matching inputs: an image (its INR grid) or an .npz with x',
      },
      seed: {
        kind: 'int',
        arg: 'N',
        min: 0,
        help: 'seed of the sweep order and the random probe batch (default 0)',
      },
      steps: { kind: 'int', arg: 'N', min: 0, max: 100000, help: 'STE gradient steps (default 30)' },
      out: {
        kind: 'string',
        arg: 'F',
        help: 'write the aligned MODEL: .pt/.pth (PyTorch), .npz, else safetensors',
      },
      ...SIZE_FLAG,
      ...ARCH_FLAGS,
      ...BACKEND_FLAG,
    },
  },
  details: `
Weight matching is Git Re-Basin's Alg. 1 (Ainsworth et al. 2023): coordinate sweeps of linear
assignments maximising Σ⟨REF, π(MODEL)⟩ until a sweep improves nothing. Activation matching
correlates hidden units over a batch: the coordinate grid of --data's image, the x of a
classification .npz, or 1024 seeded points in [−1, 1]^inputs. The aligned model computes the
same function as MODEL. STE matching (Alg. 2) trains a proxy of MODEL so that the midpoint of REF
and π(MODEL) has low loss on --data, re-solving π by weight matching each step, and keeps the best
π (weight matching's own is the first candidate, so it is never worse); maxOutputDiff is the proof (max |f(MODEL) − f(aligned)| on a probe batch).

JSON fields: method, sweeps, objectiveBefore, objectiveAfter, maxOutputDiff, proved, tolerance, out
(null without --out); also signed and outputScale; for ste also midpointLoss,
weightMatchingLoss, bestStep.

Example:
  weightscope align a.safetensors b.safetensors --out b-aligned.safetensors --json`,
  async run(args) {
    const [pref, pmodel] = args.positionals as [string, string];
    const method = (args.string('method') ?? 'weight') as 'weight' | 'activation' | 'ste';
    if (method === 'ste' && !args.string('data'))
      throw new UsageError('--method ste trains on data: give --data D (an image, or an .npz with x, y)');
    const out = args.string('out') ?? null;
    if (out) checkOutPath(out);
    const [ref, model] = loadModels([pref, pmodel], archFlags(args));
    const arch = ref!.model.arch;
    const dataPath = args.string('data');
    const side = dataPath ? imageSideFor(args.number('size'), [ref!, model!]) : undefined;
    const data = dataPath
      ? loadEvalData(dataPath, arch.widths[0]!, arch.widths[arch.widths.length - 1]!, side)
      : undefined;
    const seed = args.number('seed') ?? 0;
    if (method === 'ste') await startTf(args);
    const { matchModels } = await import('../../engine/tf/matching');
    const r = await matchModels(ref!.model, model!.model, method, {
      signed: (args.string('signed') ?? 'auto') as SignMode,
      seed,
      ...(data ? { data } : {}),
      ...(args.has('steps') ? { steSteps: args.number('steps')! } : {}),
    });
    if (out)
      writeModel(
        out,
        r.model,
        {
          command: 'align',
          inputs: [pref, pmodel, ...(dataPath ? [dataPath] : [])].map(fileRef),
          method,
          options: { signed: r.signed, seed, size: side ?? null },
          ...imageSizeOf(model!.contents.metadata),
        },
        model!.layout,
      );
    const json = {
      method: r.method,
      sweeps: r.sweeps,
      objectiveBefore: r.objectiveBefore,
      objectiveAfter: r.objectiveAfter,
      maxOutputDiff: r.maxOutputDiff,
      proved: r.proved,
      tolerance: r.tolerance,
      out,
      signed: r.signed,
      outputScale: r.outputScale,
      ...('midpointLoss' in r
        ? { midpointLoss: r.midpointLoss, weightMatchingLoss: r.weightMatchingLoss, bestStep: r.bestStep }
        : {}),
    };
    const text = [
      `${method} matching of ${pmodel} to ${pref}${r.signed ? ' (signed)' : ''}: ${r.sweeps} sweep(s)`,
      `objective ${fmt(r.objectiveBefore)} → ${fmt(r.objectiveAfter)}`,
      `max output difference ${r.maxOutputDiff.toExponential(2)} (output scale ${fmt(r.outputScale)})`,
      r.proved
        ? `proved: the aligned model computes the same function (difference ≤ ${r.tolerance.toExponential(1)})`
        : `NOT proved: the difference exceeds the tolerance ${r.tolerance.toExponential(1)}`,
      out ? `wrote ${out}` : 'no --out given; nothing written',
    ].join('\n');
    return { json, text };
  },
};
