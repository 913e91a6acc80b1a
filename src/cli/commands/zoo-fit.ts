/** `weightscope zoo fit`: one INR per MNIST digit (or one image under many seeds), saved as a zoo. */
import { packMnist } from '../../../scripts/mnist';
import { describeArch, type MlpArch } from '../../engine/model';
import { mnistTargets, seedTargets, type ZooTargets } from '../../engine/zoo/sources';
import { ZooError } from '../../engine/zoo/types';
import { CliError, missing, UsageError } from '../args';
import { BACKEND_FLAG, startTf } from '../backend';
import { fmt, type Command } from '../command';
import { loadImage } from '../data';
import { saveZoo, zooFormat } from '../zoo-io';
import { availableCores, KERNEL_FLAGS, nodeShardPorts } from '../kernel-pool';
import { fitZooOnKernel, kernelZooCoverage } from '../../engine/kernels/zoo-fit';
import { CLASSIFIER_FLAGS, fitClassifierZoo } from './zoo-fit-classifiers';

export const zooFit: Command = {
  name: 'zoo fit',
  summary:
    'Fit a zoo of SIRENs (one per MNIST digit, or one image under many seeds), or train a zoo of MNIST classifiers labelled by seed or task.',
  usage:
    'zoo fit --source mnist --per-class N [--classes 0,1,…] [--steps S] [--psnr P] [--seed N] --out Z [--json]\n' +
    '       weightscope zoo fit --source image --image IMG --count N [--steps S] [--psnr P] [--seed N] --out Z\n' +
    '       weightscope zoo fit --source classifiers [--label-by seed|task] [--seeds L | --tasks "0,1;2,3"] [--per-label N]\n' +
    '         [--hidden W] [--size S] [--digits N] [--epochs E] [--minibatch B] [--lr LR] [--seed N] --out Z',
  spec: {
    positionals: { names: [], min: 0 },
    flags: {
      source: {
        kind: 'choice',
        choices: ['mnist', 'image', 'classifiers'],
        help: 'MNIST-digit INRs (default), one image under seeds, or MNIST classifiers',
      },
      'per-class': { kind: 'int', arg: 'N', min: 1, max: 1000, help: 'mnist: digits per class' },
      classes: { kind: 'ints', arg: 'C,C,…', min: 0, max: 9, help: 'mnist: which digits (default all ten)' },
      image: { kind: 'string', arg: 'IMG', help: 'image: PNG or .npy in [0, 1]' },
      count: { kind: 'int', arg: 'N', min: 2, max: 100_000, help: 'image: members (seeds 0…N−1)' },
      size: { kind: 'int', arg: 'S', min: 2, max: 256, help: 'grid S×S (default 28, as DWSNets)' },
      steps: { kind: 'int', arg: 'S', min: 1, max: 1e6, help: 'most Adam steps per member (default 1000)' },
      psnr: {
        kind: 'number',
        arg: 'P',
        min: 1,
        max: 200,
        help: 'stop a member at this PSNR in dB (default 40)',
      },
      seed: {
        kind: 'int',
        arg: 'N',
        min: 0,
        max: 2 ** 32 - 1,
        help: 'seed of the digit choice and the inits (default 0)',
      },
      hidden: { kind: 'ints', arg: 'W,W', min: 1, max: 1024, help: 'hidden widths (default 32,32)' },
      w0: { kind: 'number', arg: 'N', min: 1e-6, help: 'SIREN frequency (default 30)' },
      lr: { kind: 'number', arg: 'LR', min: 0, help: 'Adam learning rate (default 1e-3)' },
      batch: {
        kind: 'int',
        arg: 'B',
        min: 1,
        max: 4096,
        help: 'members trained at once (fused kernel: per thread, default 32; tfjs: the largest that fits 256 MB)',
      },
      out: { kind: 'string', arg: 'Z', help: 'output zoo, .npz or .safetensors' },
      ...KERNEL_FLAGS,
      ...CLASSIFIER_FLAGS,
      ...BACKEND_FLAG,
    },
  },
  details: `
The DWSNets MNIST-INR setting by default: SIREN 2→32→32→1, w0 = 30, 28×28 grid (coordinates
linspace(−1, 1), 'ij'), full-batch Adam, each member stopped at --psnr or --steps. Members
train on the fused WebAssembly kernel, batches of them on every core (--threads), unless
--kernel tfjs is given (then one batched tfjs program); finished members' slots are refilled. Member k's init
seed is derived from --seed and its digit's index, so a zoo replays from its seed.

JSON fields: models, architecture {widths, activation, w0}, meanPsnr, seconds, out; also
batchSize (members per kernel shard, or the tfjs batch), backend, kernel (which path ran),
labels (distinct), source.

--source classifiers trains ReLU MLPs (size²→hidden→10, default 14×14→16→10) on MNIST digits
with the classifier trainer (Adam, minibatches), each label's members as one population. By
task (default): label t = the t-th class subset of --tasks; each member has its own init and
trains on that subset's digits. By seed: label l = init l of --seeds; its members share that
init and differ only by their batch order. Held-out accuracy is measured on the app's 1,000
scoring digits of the member's classes. The file keeps the columns seed and accuracy and the
settings under "classifiers" in its metadata. JSON fields: models, architecture, meanAccuracy,
seconds, out, backend, labelBy, labels (names), source.

Examples:
  weightscope zoo fit --source mnist --per-class 10 --out mnist-zoo.npz --json
  weightscope zoo fit --source classifiers --label-by task --tasks "0-4/5-9" --per-label 20 --out tasks.npz`,
  async run(args) {
    const out = args.string('out') ?? missing('out');
    zooFormat(out);
    const source = args.string('source') ?? 'mnist';
    if (source === 'classifiers') return fitClassifierZoo(args, out);
    const notInr = Object.keys(CLASSIFIER_FLAGS).filter((f) => args.has(f));
    if (notInr.length) throw new UsageError(`--${notInr.join(', --')}: only with --source classifiers`);
    const seed = args.number('seed') ?? 0;
    const size = args.number('size');
    let targets: ZooTargets;
    try {
      if (source === 'mnist') {
        if (args.has('image') || args.has('count'))
          throw new UsageError('--image and --count go with --source image');
        targets = mnistTargets(packMnist(), {
          perClass: args.number('per-class') ?? missing('per-class'),
          seed,
          size: size ?? 28,
          ...(args.ints('classes') ? { classes: args.ints('classes')! } : {}),
        });
      } else {
        const imagePath = args.string('image') ?? missing('image');
        const img = loadImage(imagePath, size ?? 28);
        targets = seedTargets(img, args.number('count') ?? missing('count'), imagePath.replace(/^.*\//, ''));
      }
    } catch (e) {
      if (e instanceof ZooError) throw new CliError(e.message);
      throw e;
    }
    const arch: MlpArch = {
      widths: [2, ...(args.ints('hidden') ?? [32, 32]), targets.channels],
      activation: 'sine',
      w0: args.number('w0') ?? 30,
    };
    const choice = args.string('kernel') ?? 'auto';
    const uncovered = kernelZooCoverage(arch);
    if (choice === 'fused' && uncovered) throw new UsageError(`--kernel fused: ${uncovered}`);
    const fitOpts = {
      arch,
      maxSteps: args.number('steps') ?? 1000,
      targetPsnr: args.number('psnr') ?? 40,
      seed,
      lr: args.number('lr') ?? 1e-3,
      ...(args.has('batch') ? { batchSize: args.number('batch')! } : {}),
      onProgress: (p: { done: number; total: number; meanPsnr: number; etaMs: number | null }) => {
        if (process.stderr.isTTY)
          process.stderr.write(
            `${p.done}/${p.total} INRs, mean ${fmt(p.meanPsnr, 3)} dB, ETA ${p.etaMs === null ? '…' : `${Math.round(p.etaMs / 1000)} s`}\n`,
          );
      },
    };
    let backend: string;
    let kernel: string;
    let r;
    if (choice !== 'tfjs' && uncovered === null) {
      const ports = nodeShardPorts(targets.targets.length, args.number('threads') ?? availableCores());
      r = await fitZooOnKernel(targets, fitOpts, ports);
      backend = 'fused-kernel';
      kernel = `fused wasm ${r.flavour} × ${r.workers} thread${r.workers > 1 ? 's' : ''}`;
    } else {
      backend = await startTf(args);
      const { fitZoo } = await import('../../engine/tf/zoo-fit');
      r = await fitZoo(targets, fitOpts);
      kernel = `tfjs ${backend}${uncovered && choice !== 'tfjs' ? ` (fused kernel: ${uncovered})` : ''}`;
    }
    if (!r.zoo) throw new CliError(`only ${r.done} member(s) finished; a zoo needs at least 2`);
    saveZoo(out, r.zoo);
    const json = {
      models: r.zoo.n,
      architecture: r.zoo.arch,
      meanPsnr: r.meanPsnr,
      seconds: r.seconds,
      out,
      batchSize: r.batchSize,
      backend,
      kernel,
      labels: [...new Set(r.zoo.labels)].sort((a, b) => a - b),
      source: targets.source,
    };
    const text = [
      `${r.zoo.n} × ${describeArch(arch)} on ${targets.source} (${targets.height}×${targets.width}), batch ${r.batchSize}, ${kernel}`,
      `mean PSNR ${fmt(r.meanPsnr, 3)} dB in ${fmt(r.seconds, 3)} s (${fmt(r.zoo.n / r.seconds, 3)} INRs/s)`,
      `wrote ${out}`,
    ].join('\n');
    return { json, text };
  },
};
