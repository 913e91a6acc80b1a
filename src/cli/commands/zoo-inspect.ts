/** `weightscope zoo inspect Z`: members, architecture, labels and split of a zoo file. */
import { describeArch } from '../../engine/model';
import { labelCounts } from '../../engine/zoo/index';
import { ARCH_FLAGS, archFlags } from '../io';
import type { Command } from '../command';
import { archJson, loadZoo } from '../zoo-io';

export const zooInspect: Command = {
  name: 'zoo inspect',
  summary: 'Show what a zoo file holds: members, architecture, labels, split and columns.',
  usage: 'zoo inspect Z [--activation A] [--w0 N] [--json]',
  spec: { positionals: { names: ['Z'], min: 1 }, flags: { ...ARCH_FLAGS } },
  details: `
Z is an .npz or .safetensors zoo: layers.{i}.weight [N, out, in], layers.{i}.bias [N, out],
labels [N] (integers), optional split [N] (0 train, 1 validation, 2 test), optional settings
(safetensors __metadata__ "weightscope.zoo", or a meta.json entry in the npz), other per-member
arrays kept as columns. Without settings the widths come from the shapes and the activation
defaults to sine (w0 = 30); --activation / --w0 set them.

JSON fields: models, architecture {widths, activation, w0?, inferred}, labels [{label, count,
name?}], splits {train, val, test} (null when the file has none), columns [{name, shape}],
ignored, inr {height, width, channels} or null, source; classifiers (a classifier zoo's build
settings: labelBy, seeds, tasks, perLabel, hidden, size, digitsPerClass, epochs, batch, lr, seed) or null.

Example:
  weightscope zoo inspect mnist-zoo.npz --json`,
  async run(args) {
    const file = args.positionals[0]!;
    const zoo = loadZoo(file, archFlags(args));
    const names = zoo.meta.labelNames;
    const labels = labelCounts(zoo).map((l) => ({
      ...l,
      ...(names?.[l.label] !== undefined ? { name: names[l.label] } : {}),
    }));
    let splits: { train: number; val: number; test: number } | null = null;
    if (zoo.split) {
      splits = { train: 0, val: 0, test: 0 };
      for (const s of zoo.split) splits[s === 0 ? 'train' : s === 1 ? 'val' : 'test']++;
    }
    const json = {
      models: zoo.n,
      architecture: archJson(zoo),
      labels,
      splits,
      columns: zoo.columns.map((c) => ({ name: c.name, shape: c.shape })),
      ignored: zoo.meta.ignored,
      inr: zoo.meta.inr ?? null,
      source: zoo.meta.source ?? null,
      classifiers: zoo.meta.classifiers ?? null,
    };
    const text = [
      `${file}: ${zoo.n} members, ${describeArch(zoo.arch)}${zoo.meta.archInferred ? ' (activation assumed; set --activation)' : ''}`,
      `labels: ${labels.map((l) => `${l.name ?? l.label}×${l.count}`).join(', ')}`,
      `split: ${splits ? `${splits.train} train / ${splits.val} val / ${splits.test} test` : 'none (classify splits 80/10/10 by seed)'}`,
      ...(zoo.columns.length ? [`columns: ${zoo.columns.map((c) => c.name).join(', ')}`] : []),
    ].join('\n');
    return { json, text };
  },
};
