/** `weightscope train-inr --image IMG --seed N --steps N --out F`: one INR, trained in Node. */
import { psnr } from '../../engine/inr';
import { ARCH_BOUNDS, describeArch, MAX_LAYERS } from '../../engine/model';
import { inrArch, initPopulation } from '../../engine/population';
import { missing, UsageError } from '../args';
import { startTf, BACKEND_FLAG } from '../backend';
import { fmt, type Command } from '../command';
import { imageData, loadImage } from '../data';
import { checkOutPath, fileRef, writeModel } from '../output';

export const trainInr: Command = {
  name: 'train-inr',
  summary: 'Train one INR (coordinate → pixel MLP) on an image with full-batch Adam.',
  usage:
    'train-inr --image IMG --seed N --steps N --out F [--arch siren|relu] [--hidden 64,64,64] [--w0 30] [--lr 1e-3] [--size S] [--json]',
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
      ...BACKEND_FLAG,
    },
  },
  details: `
The INR convention of SIREN, DWSNets and NFN: coordinates linspace(−1, 1) per axis, 'ij'
indexing, (row, col) → pixel in [0, 1]; loss MSE; PSNR = 10·log10(1/MSE). SIREN initialisation
follows Sitzmann et al. 2020. Colour images train 3 outputs, grayscale 1.

JSON fields: steps, finalLoss, psnr, out; also initialLoss, initialPsnr, backend.

Example:
  weightscope train-inr --image cat.png --size 64 --seed 1 --steps 2000 --out cat-1.safetensors --json`,
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
    const backend = await startTf(args);
    const { PopulationTrainer } = await import('../../engine/tf/trainer');
    const data = imageData(img);
    const trainer = new PopulationTrainer(
      initPopulation(arch, { size: 1, seed, initMode: 'independent' }),
      data,
      { lr },
    );
    try {
      const initialLoss = (await trainer.evaluate())[0]!;
      const every = Math.max(1, Math.round(steps / 10));
      for (let s = 1; s <= steps; s++) {
        trainer.step();
        if (process.stderr.isTTY && s % every === 0)
          process.stderr.write(`step ${s}/${steps}  loss ${fmt((await trainer.evaluate())[0]!)}\n`);
      }
      const finalLoss = (await trainer.evaluate())[0]!;
      const model = (await trainer.models())[0]!;
      writeModel(out, model, {
        command: 'train-inr',
        inputs: [fileRef(imagePath)],
        method: siren ? 'siren' : 'relu',
        options: { seed, steps, lr, size: size ?? null, backend },
        imageSize: `${img.width}x${img.height}`,
      });
      const json = {
        steps,
        finalLoss,
        psnr: psnr(finalLoss),
        out,
        initialLoss,
        initialPsnr: psnr(initialLoss),
        backend,
      };
      const text = [
        `${describeArch(arch)} on ${imagePath} (${img.width}×${img.height}, ${img.channels} channel(s)), seed ${seed}, ${steps} steps on ${backend}`,
        `loss ${fmt(initialLoss)} → ${fmt(finalLoss)}, PSNR ${fmt(psnr(finalLoss))} dB`,
        `wrote ${out}`,
      ].join('\n');
      return { json, text };
    } finally {
      trainer.dispose();
    }
  },
};
