/**
 * Classifier zoos, engine side: task lists, who trains from which seeds, the one settings check,
 * and the settings a zoo file records (round trip; a partial or out-of-range record refused).
 * Building them through the worker and the CLI is in zoo-worker.test.ts and cli-zoo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { initModel } from '../src/engine/model';
import {
  classifierPlan,
  classifierZooProblems,
  DEFAULT_CLASSIFIER_ZOO,
  formatTasks,
  parseTasks,
} from '../src/engine/zoo/classifier-source';
import {
  parseZooMeta,
  readZoo,
  writeZooNpz,
  writeZooSafetensors,
  zooFromModels,
} from '../src/engine/zoo/index';

describe('classifier zoo settings', () => {
  it('parse task lists with ranges, and write them back', () => {
    expect(parseTasks('0,1;2-4 / 5,9')).toEqual([
      [0, 1],
      [2, 3, 4],
      [5, 9],
    ]);
    expect(
      formatTasks([
        [0, 1],
        [2, 3, 4],
        [5, 9],
      ]),
    ).toBe('0-1;2-4;5,9');
    expect(() => parseTasks('0,1;2-x')).toThrow(/task "2-x"/);
    expect(() => parseTasks('0,1;3-12')).toThrow(/class 12 does not exist/);
  });

  it('name every problem at once', () => {
    const p = classifierZooProblems({
      ...DEFAULT_CLASSIFIER_ZOO,
      tasks: [[0, 1], [2]],
      hidden: [4],
      size: 40,
      epochs: 0,
    });
    expect(p.join('\n')).toMatch(/task 2 must list at least two/);
    expect(p.join('\n')).toMatch(/hidden layer 1 has 4 units/);
    expect(p.join('\n')).toMatch(/input grid must be 4 to 28/);
    expect(p.join('\n')).toMatch(/epochs must be/);
    expect(classifierZooProblems(DEFAULT_CLASSIFIER_ZOO)).toEqual([]);
  });

  it('by seed, a label shares one init and varies the batch order; by task, every member has its own init', () => {
    const bySeed = classifierPlan({ ...DEFAULT_CLASSIFIER_ZOO, labelBy: 'seed', seeds: 3, perLabel: 4 });
    expect(bySeed.map((g) => g.name)).toEqual(['init 0', 'init 1', 'init 2']);
    for (const g of bySeed) {
      expect(new Set(g.initSeeds).size).toBe(1);
      expect(new Set(g.batchSeeds).size).toBe(4);
      expect(g.classes).toHaveLength(10);
    }
    expect(new Set(bySeed.map((g) => g.initSeeds[0])).size).toBe(3);
    const byTask = classifierPlan({ ...DEFAULT_CLASSIFIER_ZOO, perLabel: 4 });
    expect(byTask.map((g) => g.name)).toEqual(['0-1', '2-3', '4-5', '6-7', '8-9']);
    expect(new Set(byTask.flatMap((g) => g.initSeeds)).size).toBe(20);
    // Reproducible from the seed alone.
    expect(classifierPlan({ ...DEFAULT_CLASSIFIER_ZOO, perLabel: 4 })).toEqual(byTask);
  });
});

describe('the settings a classifier zoo file records', () => {
  const arch = { widths: [16, 8, 10], activation: 'relu' as const };
  const zoo = zooFromModels([initModel(arch, 1), initModel(arch, 2)], [0, 1], {
    meta: {
      source: 'classifiers:mnist:task',
      labelNames: ['0-1', '2-3'],
      classifiers: DEFAULT_CLASSIFIER_ZOO,
    },
  });

  it.each([
    ['npz', writeZooNpz],
    ['safetensors', writeZooSafetensors],
  ] as const)('round-trip through %s', (ext, write) => {
    const back = readZoo({ name: `z.${ext}`, bytes: write(zoo) });
    expect(back.meta.classifiers).toEqual(DEFAULT_CLASSIFIER_ZOO);
    expect(back.arch).toEqual(arch);
  });

  it('a partial or out-of-range record is refused with the reason', () => {
    const { seeds: _s, ...partial } = DEFAULT_CLASSIFIER_ZOO;
    expect(() => parseZooMeta(JSON.stringify({ classifiers: partial }), 'z.npz')).toThrow(
      /"classifiers" lacks seeds/,
    );
    expect(() =>
      parseZooMeta(JSON.stringify({ classifiers: { ...DEFAULT_CLASSIFIER_ZOO, perLabel: -3 } }), 'z.npz'),
    ).toThrow(/members per label must be/);
    expect(() => parseZooMeta(JSON.stringify({ classifiers: [1, 2] }), 'z.npz')).toThrow(/must be an object/);
  });
});
