/** `weightscope train-inr --image IMG --seed N --steps N --out F [--models K]`: INRs, trained in Node. */
import path from 'node:path';
import { imageRegressionData, psnr } from '../../engine/inr';
import { kernelCoverage } from '../../engine/kernels/mlp-kernel';
import type { SplitMode } from '../../engine/kernels/split-pool';
import { ARCH_BOUNDS, describeArch, MAX_LAYERS } from '../../engine/model';
import { inrArch, initPopulation } from '../../engine/population';
import { missing, UsageError } from '../args';
import { startTf, BACKEND_FLAG } from '../backend';
import { fmt, type Command } from '../command';
import { loadImage } from '../data';
import { availableCores, KERNEL_FLAGS, SPLIT_FLAG } from '../kernel-pool';
import { checkOutPath, fileRef, writeModel } from '../output';
import { trainFused, trainTfjs } from '../train-runners';

/** Member k's output file: F itself for one member, else F with "-k" before its extension. */
export function memberPath(out: string, k: number, members: number): string {
  if (members === 1) return out;
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}-${k}${ext}`;
}

export const trainInr: Command = {
  name: 'train-inr',
  summary: 'Train INRs (coordinate → pixel MLPs) on an image with full-batch Adam.',
  usage:
    'train-inr --image IMG --seed N --steps N --out F [--models K] [--kernel auto|fused|tfjs] [--threads N] [--split auto|pixels|members] [--arch siren|relu] [--hidden 64,64,64] [--w0 30] [--lr 1e-3] [--size S] [--json]',
  spec: {
    positionals: { names: [], min: 0 },
    flags: {
      image: { kind: 'string', arg: 'IMG', help: 'target image: PNG, or .npy [H, W] / [H, W, C] in [0, 1]' },
      seed: {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: 2 ** 32 - 1,
        help: "initialisation seed (the app population's member 0 for this seed)",
      },
      steps: { kind: 'int', arg: 'N', min: 0, max: 1e7, help: 'Adam steps' },
      out: { kind: 'string', arg: 'F', help: 'output file: .pt/.pth (PyTorch), .npz, else safetensors' },
      arch: {
        kind: 'choice',
        choices: ['siren', 'relu'],
        help: 'SIREN (default) or ReLU with random Fourier features',
      },
      hidden: { kind: 'ints', arg: 'W,W,…', min: 1, max: 4096, help: 'hidden widths (default 64,64,64)' },
      w0: {
        kind: 'number',
        arg: 'N',
        min: ARCH_BOUNDS.w0[0],
        max: ARCH_BOUNDS.w0[1],
        help: 'SIREN frequency (default 30)',
      },
      fourier: {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: ARCH_BOUNDS.fourierFeatures[1],
        help: 'ReLU: random Fourier features, 0 = none (default 64)',
      },
      sigma: {
        kind: 'number',
        arg: 'S',
        min: ARCH_BOUNDS.fourierSigma[0],
        max: ARCH_BOUNDS.fourierSigma[1],
        help: 'ReLU: Fourier feature scale (default 10)',
      },
      lr: { kind: 'number', arg: 'LR', min: 0, help: 'Adam learning rate (default 1e-3)' },
      size: {
        kind: 'int',
        arg: 'S',
        min: 1,
        max: 4096,
        help: 'centre-crop to a square and resize to S×S (default: as given)',
      },
      models: {
        kind: 'int',
        arg: 'K',
        min: 1,
        max: 4096,
        help: 'population size: members 0…K−1 of the app population with this seed (default 1)',
      },
      ...KERNEL_FLAGS,
      ...SPLIT_FLAG,
      ...BACKEND_FLAG,
    },
  },
  details: `
The INR convention of SIREN, DWSNets and NFN: coordinates linspace(−1, 1) per axis, 'ij'
indexing, (row, col) → pixel in [0, 1]; loss MSE; PSNR = 10·log10(1/MSE). SIREN initialisation
follows Sitzmann et al. 2020. Colour images train 3 outputs, grayscale 1.

With --models K, K members train together (member k starts from the init the app gives member k
of a population with this seed) and member k is written to F with "-k" before the extension.
They train on the fused WebAssembly kernel split over worker threads unless the model is one it
does not cover (then tfjs, and "kernel" says so) or --kernel tfjs is given. With fewer members
than threads (--models 1 on a multi-core machine) each member's pixels are cut into a fixed number
of chunks (from the image size alone), the threads compute the chunks' gradients and one Adam step
follows their sum in chunk order: the same bits on any thread count (--split pixels forces it,
--split members turns it off).

JSON fields: steps, finalLoss, psnr, out (member 0); also initialLoss, initialPsnr, backend,
models, kernel (which path ran), threads, split (what the threads split: {"by": "pixels",
"chunks": C}, or {"by": "members", "why": …}; null on tfjs), modelStepsPerSecond (members × steps per second after
the first two steps; null below 3 steps), and with K > 1 outs, finalLosses, psnrs.

Example:
  weightscope train-inr --image cat.png --size 64 --seed 1 --steps 2000 --out cat-1.safetensors --json
  weightscope train-inr --image cat.png --size 64 --seed 1 --steps 500 --models 32 --out zoo/cat.safetensors --json`,
  async run(args) {
    const imagePath = args.string('image') ?? missing('image');
    const seed = args.number('seed') ?? missing('seed');
    const steps = args.number('steps') ?? missing('steps');
    const out = args.string('out') ?? missing('out');
    const size = args.number('size');
    checkOutPath(out);
    const lr = args.number('lr') ?? 1e-3;
    const siren = (args.string('arch') ?? 'siren') === 'siren';
    const hidden = args.ints('hidden') ?? [64, 64, 64];
    if (hidden.length > MAX_LAYERS - 1)
      throw new UsageError(
        `--hidden lists ${hidden.length} layers; an MLP has at most ${MAX_LAYERS} linear layers`,
      );
    const img = loadImage(imagePath, size);
    const arch = inrArch(
      {
        activation: siren ? 'sine' : 'relu',
        hidden,
        w0: args.number('w0') ?? 30,
        fourierFeatures: args.number('fourier') ?? 64,
        fourierSigma: args.number('sigma') ?? 10,
        outputOffset: 0,
      },
      img.channels,
    );
    const members = args.number('models') ?? 1;
    const choice = args.string('kernel') ?? 'auto';
    const uncovered = kernelCoverage(arch);
    if (choice === 'fused' && uncovered) throw new UsageError(`--kernel fused: ${uncovered}`);
    const fused = choice !== 'tfjs' && uncovered === null;
    const models = initPopulation(arch, { size: members, seed, initMode: 'independent' });
    const data = imageRegressionData(img);
    const run = fused
      ? await trainFused(
          models,
          data,
          lr,
          steps,
          args.number('threads') ?? availableCores(),
          (args.string('split') ?? 'auto') as SplitMode,
        )
      : await trainTfjs(models, data, lr, steps, await startTf(args));
    const backend = fused ? 'fused-kernel' : run.kernel.replace('tfjs ', '');
    const outs = run.models.map((model, k) => {
      const file = memberPath(out, k, members);
      writeModel(file, model, {
        command: 'train-inr',
        inputs: [fileRef(imagePath)],
        method: siren ? 'siren' : 'relu',
        options: { seed, member: k, steps, lr, size: size ?? null, backend, kernel: run.kernel },
        imageSize: `${img.width}x${img.height}`,
      });
      return file;
    });
    const initialLoss = run.initialLoss[0]!;
    const finalLoss = run.finalLoss[0]!;
    const rate = run.modelStepsPerSecond === null ? null : Number(run.modelStepsPerSecond.toPrecision(4));
    const json = {
      steps,
      finalLoss,
      psnr: psnr(finalLoss),
      out: outs[0]!,
      initialLoss,
      initialPsnr: psnr(initialLoss),
      backend,
      models: members,
      kernel: run.kernel,
      threads: run.threads,
      split: run.split,
      modelStepsPerSecond: rate,
      ...(members > 1
        ? { outs, finalLosses: Array.from(run.finalLoss), psnrs: Array.from(run.finalLoss, (l) => psnr(l)) }
        : {}),
    };
    const mean = run.finalLoss.reduce((a, b) => a + b, 0) / members;
    const text = [
      `${describeArch(arch)} on ${imagePath} (${img.width}×${img.height}, ${img.channels} channel(s)), seed ${seed}, ${members} member(s), ${steps} steps on ${run.kernel}${uncovered && choice !== 'tfjs' ? ` (fused kernel: ${uncovered})` : ''}`,
      `loss ${fmt(initialLoss)} → ${fmt(finalLoss)}, PSNR ${fmt(psnr(finalLoss))} dB${members > 1 ? ` (member 0; mean loss ${fmt(mean)})` : ''}`,
      rate === null ? '' : `${fmt(rate)} model-steps/s`,
      members > 1 ? `wrote ${outs[0]} … ${outs[members - 1]}` : `wrote ${out}`,
    ]
      .filter(Boolean)
      .join('\n');
    return { json, text };
  },
};
