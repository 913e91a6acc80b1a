import { deriveSeed } from './rng';
import { initModel, type Activation, type MlpArch, type Model } from './model';

/** The architecture settings a person edits (the experiment spec's `arch`). */
export interface ArchSettings {
  activation: Activation;
  hidden: number[];
  w0: number;
  fourierFeatures: number;
  fourierSigma: number;
  outputOffset: number;
}

/** Population settings: how many members, from which seed, sharing one init or not. */
export interface PopulationSettings {
  size: number;
  seed: number;
  initMode: 'independent' | 'shared';
}

/**
 * The INR architecture for an image with `channels` channels: (row, col) → pixel. SIREN uses
 * sine everywhere; the other activations get random Fourier features when `fourierFeatures` > 0.
 */
export function inrArch(s: ArchSettings, channels: number): MlpArch {
  const arch: MlpArch = { widths: [2, ...s.hidden, channels], activation: s.activation };
  if (s.activation === 'sine') arch.w0 = s.w0;
  else if (s.fourierFeatures > 0) arch.encoding = { features: s.fourierFeatures, sigma: s.fourierSigma };
  if (s.outputOffset !== 0) arch.outputOffset = s.outputOffset;
  return arch;
}

/** Each member's init seed: its own stream, or one shared init for all. */
export function memberSeeds(p: PopulationSettings): number[] {
  return Array.from({ length: p.size }, (_, k) => deriveSeed(p.seed, p.initMode === 'shared' ? 0 : k));
}

/**
 * Members trained from one shared init under full-batch Adam would stay identical, so in shared
 * mode each member sees its own seeded half of the pixels per step: the SGD noise of Frankle et
 * al. (2020). Independent members train full-batch.
 */
export function batchFraction(p: PopulationSettings): number {
  return p.initMode === 'shared' ? 0.5 : 1;
}

/** Initial models of a population. */
export function initPopulation(arch: MlpArch, p: PopulationSettings): Model[] {
  return memberSeeds(p).map((s) => initModel(arch, s));
}
