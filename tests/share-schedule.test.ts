/**
 * Which engine schedule a shared link carries (share.ts, trainedOnForLink) and when a replay
 * follows it (train-state.ts, linkSchedule): the schedule of the members the view uses, the one
 * each id resolves to in the workspace; none for views without trained members; and a replay
 * follows it only for the link's own population, not after the person changed the settings.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultExperiment,
  experimentTrainingHash,
  type EngineSchedule,
  type ExperimentSpec,
} from '../src/engine/experiment';
import { trainedOnForLink } from '../src/app/share';
import { linkSchedule } from '../src/app/features/train/train-state';
import type { ModelEntry } from '../src/workers/protocol';

const switchedRun: EngineSchedule = [
  { path: 'wasm', layout: 'split', fromStep: 0 },
  { path: 'fused', simd: 'relaxed', fromStep: 41 },
];
const fusedRun: EngineSchedule = [{ path: 'fused', simd: 'relaxed', fromStep: 0 }];

function members(spec: ExperimentSpec, run: EngineSchedule, first: number): ModelEntry[] {
  const hash = experimentTrainingHash(spec);
  return Array.from({ length: spec.population.size }, (_, k) => ({
    id: `m${first + k}`,
    ref: `member:${hash}/${k}`,
    trainedOn: run,
    name: `SIREN #${k + 1}`,
    arch: { widths: [2, 32, 32, 32, 1], activation: 'sine', w0: 30 },
    params: 2209,
    source: 'trained',
  }));
}

function pathsView(): ExperimentSpec {
  const spec = defaultExperiment();
  const hash = experimentTrainingHash(spec);
  spec.views.tab = 'paths';
  spec.paths.a = `member:${hash}/0`;
  spec.paths.b = `member:${hash}/3`;
  return spec;
}

describe('the engine schedule a link carries', () => {
  it('is the schedule of the members the view uses, as their ids resolve (the first run’s)', () => {
    const spec = pathsView();
    const models = [...members(spec, switchedRun, 1), ...members(spec, fusedRun, 20)];
    const { trainedOn, mixed } = trainedOnForLink(spec, models);
    expect(trainedOn).toEqual({ population: experimentTrainingHash(spec), schedule: switchedRun });
    expect(mixed).toBe(false);
    // The first run's member 0 is gone: endpoint a now resolves to the second run's.
    const { mixed: now } = trainedOnForLink(spec, models.slice(1));
    expect(now).toBe(true);
  });

  it('on the Train tab is the latest run’s', () => {
    const spec = defaultExperiment();
    const models = [...members(spec, switchedRun, 1), ...members(spec, fusedRun, 20)];
    expect(trainedOnForLink(spec, models).trainedOn.schedule).toEqual(fusedRun);
  });

  it('is none when the view uses no trained member', () => {
    const spec = defaultExperiment();
    spec.views.tab = 'paths'; // the sample SIRENs
    const models = members(spec, switchedRun, 1);
    expect(trainedOnForLink(spec, models).trainedOn).toEqual({ population: null, schedule: [] });
  });

  it('passes a replayed link’s own on when its members are not trained here yet', () => {
    const spec = pathsView();
    spec.trainedOn = { population: experimentTrainingHash(spec), schedule: switchedRun };
    expect(trainedOnForLink(spec, []).trainedOn).toEqual(spec.trainedOn);
  });

  it('is followed by a replay only for the link’s own population', () => {
    const spec = pathsView();
    spec.trainedOn = { population: experimentTrainingHash(spec), schedule: switchedRun };
    expect(linkSchedule(spec)).toEqual(switchedRun);
    spec.training.steps = 600; // the person changed the settings: another population
    expect(linkSchedule(spec)).toBeUndefined();
    expect(linkSchedule(defaultExperiment())).toBeUndefined();
  });
});
