import { describe, expect, it } from 'vitest';
import { curveConvergenceNote } from '../src/app/features/paths/curve-check';

const alphas = Array.from({ length: 11 }, (_, i) => i / 10);

describe('curveConvergenceNote', () => {
  it('flags a trained curve whose loss peaks next to an endpoint', () => {
    const losses = alphas.map((_, i) => (i === 1 ? 2 : i === 0 || i === 10 ? 0.1 : 0.3));
    expect(curveConvergenceNote('bezier', alphas, losses)).toMatch(/next to A \(α = 0\.10\)/);
    expect(curveConvergenceNote('polychain', alphas, [...losses].reverse())).toMatch(
      /next to B \(α = 0\.90\)/,
    );
  });
  it('accepts a curve whose peak is in the middle, or that has no barrier', () => {
    const bump = alphas.map((t) => 0.1 + Math.sin(Math.PI * t));
    expect(curveConvergenceNote('bezier', alphas, bump)).toBeNull();
    const flat = alphas.map((t) => 0.1 + 0.05 * t);
    expect(curveConvergenceNote('bezier', alphas, flat)).toBeNull();
  });
  it('leaves straight paths alone (their peak near an end is a finding, not a training problem)', () => {
    const losses = alphas.map((_, i) => (i === 1 ? 2 : 0.1));
    expect(curveConvergenceNote('lerp', alphas, losses)).toBeNull();
  });
});
