/** `weightscope align REF MODEL`: remove the permutation symmetry between two networks. */
import type { SignMode } from '../../engine/align/index';
import { UsageError } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { loadEvalData } from '../data';
import { imageSideFor, imageSizeOf, SIZE_FLAG } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModels } from '../io';
import { checkOutPath, fileRef, writeBytes, writeModel } from '../output';
import { permutationRecord } from '../../engine/align/permutation-export';
import { MAX_RESTARTS } from '../../engine/experiment/model-id';

export const align: Command = {
  name: 'align',
  summary: "Permute MODEL's hidden units (and flip signs, for odd activations) to match REF.",
  usage:
    'align REF MODEL [--method weight|activation|ste] [--signed auto|on|off] [--data D] [--size S] [--seed N] [--restarts N] [--out F] [--permutations F.json] [--json]',
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
      restarts: {
        kind: 'int',
        arg: 'N',
        min: 1,
        max: MAX_RESTARTS,
        help: 'try seeds seed … seed+N−1 and keep the best objective (default 1)',
      },
      permutations: {
        kind: 'string',
        arg: 'F',
        help: 'write the permutations (per layer index arrays and signs) as JSON',
      },
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

With --restarts N, seeds seed … seed+N−1 are tried and the best objective kept (weight and
activation: the highest; ste: the lowest midpoint loss). The permutations (per hidden layer the
index array and ±1 signs: aligned unit i is MODEL's unit perm[i] times signs[i]) go to
--permutations F as JSON, and into a safetensors --out's metadata as weightscope.permutation.

JSON fields: method, sweeps, objectiveBefore, objectiveAfter, maxOutputDiff, proved, tolerance, out
(null without --out); also signed, outputScale, restarts ([{seed, objective}]), bestRestart and
permutations (the JSON file, or null); for ste also midpointLoss, weightMatchingLoss, bestStep.

Example:
  weightscope align a.safetensors b.safetensors --out b-aligned.safetensors --json`,
  async run(args) {
    const [pref, pmodel] = args.positionals as [string, string];
    const method = (args.string('method') ?? 'weight') as 'weight' | 'activation' | 'ste';
    if (method === 'ste' && !args.string('data'))
      throw new UsageError('--method ste trains on data: give --data D (an image, or an .npz with x, y)');
    const out = args.string('out') ?? null;
    if (out) checkOutPath(out);
    const permOut = args.string('permutations') ?? null;
    if (permOut) checkOutPath(permOut);
    const [ref, model] = loadModels([pref, pmodel], archFlags(args));
    const arch = ref!.model.arch;
    const dataPath = args.string('data');
    const side = dataPath ? imageSideFor(args.number('size'), [ref!, model!]) : undefined;
    const data = dataPath
      ? loadEvalData(dataPath, arch.widths[0]!, arch.widths[arch.widths.length - 1]!, side)
      : undefined;
    const seed = args.number('seed') ?? 0;
    if (method === 'ste') await startTf(args);
    const { matchWithRestarts } = await import('../../engine/tf/matching');
    const runs = await matchWithRestarts(ref!.model, model!.model, method, args.number('restarts') ?? 1, {
      signed: (args.string('signed') ?? 'auto') as SignMode,
      seed,
      ...(data ? { data } : {}),
      ...(args.has('steps') ? { steSteps: args.number('steps')! } : {}),
    });
    const r = runs.best;
    const kept = runs.restarts[runs.bestIndex]!;
    const [refFile, modelFile] = [fileRef(pref), fileRef(pmodel)];
    const permutation = JSON.stringify(
      permutationRecord(
        r.model.arch,
        r.perms,
        r.signs,
        {
          method,
          reference: { name: refFile.name, id: `file:${refFile.sha256}` },
          model: { name: modelFile.name, id: `file:${modelFile.sha256}` },
          seed: kept.seed,
          objective: { ...runs.objective, value: kept.objective },
          restarts: runs.restarts,
        },
        model!.layout,
      ),
    );
    if (permOut) writeBytes(permOut, permutation);
    if (out)
      writeModel(
        out,
        r.model,
        {
          command: 'align',
          inputs: [pref, pmodel, ...(dataPath ? [dataPath] : [])].map(fileRef),
          method,
          options: { signed: r.signed, seed, restarts: runs.restarts.length, size: side ?? null },
          ...imageSizeOf(model!.contents.metadata),
          extra: { 'weightscope.permutation': permutation },
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
      restarts: runs.restarts,
      bestRestart: runs.bestIndex,
      permutations: permOut,
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
      runs.restarts.length > 1
        ? `restarts (seed: ${runs.objective.name}): ${runs.restarts.map((x, i) => `${i === runs.bestIndex ? '*' : ''}${x.seed}: ${fmt(x.objective)}`).join(', ')}`
        : '',
      out ? `wrote ${out}` : 'no --out given; nothing written',
      permOut ? `wrote the permutations to ${permOut}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { json, text };
  },
};
