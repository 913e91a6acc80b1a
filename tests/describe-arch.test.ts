/** The architecture label every panel shows: widths joined by arrows, equal hidden widths counted once. */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, ACTIVATION_LABELS, archKey, describeArch } from '../src/engine/model';

describe('describeArch', () => {
  it('writes one hidden layer as its width, not as "×1"', () => {
    expect(describeArch({ widths: [784, 64, 10], activation: 'relu' })).toBe('ReLU 784→64→10');
  });

  it('counts a run of equal hidden widths and keeps unequal ones apart', () => {
    expect(describeArch({ widths: [2, 64, 64, 64, 1], activation: 'sine' })).toBe('SIREN 2→64×3→1 (w0=30)');
    expect(
      describeArch({ widths: [2, 32, 16, 1], activation: 'gelu', encoding: { features: 64, sigma: 10 } }),
    ).toBe('GELU 2→32→16→1 + RFF 64');
    expect(describeArch({ widths: [5, 4], activation: 'tanh' })).toBe('tanh 5→4');
    expect(describeArch({ widths: [2, 8, 8, 1], activation: 'sine', w0: 12 })).toBe('SIREN 2→8×2→1 (w0=12)');
  });

  it('names every activation the way papers write it', () => {
    expect(ACTIVATIONS.map((a) => ACTIVATION_LABELS[a])).toEqual(['ReLU', 'SIREN', 'tanh', 'GELU']);
  });

  it('keeps architectures that read alike apart in archKey', () => {
    const a = archKey({ widths: [2, 64, 64, 1], activation: 'relu' });
    expect(a).not.toBe(archKey({ widths: [2, 64, 1], activation: 'relu' }));
    expect(a).not.toBe(archKey({ widths: [2, 64, 64, 1], activation: 'gelu' }));
  });
});
