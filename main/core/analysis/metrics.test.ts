// Metric values on hand-made maps with known answers.
import { describe, expect, it } from 'vitest';
import {
  areaAboveHalfMax,
  attentionMetrics,
  borderMass,
  energyInBox,
  entropy,
  gini,
  peak,
  pointingHit,
  rankCorrelation,
  type MapGrid,
} from './metrics';

const grid = (h: number, w: number, f: (y: number, x: number) => number): MapGrid => ({
  h,
  w,
  values: Array.from({ length: h * w }, (_, i) => f(Math.floor(i / w), i % w)),
});

describe('attention metrics on hand-made maps', () => {
  const uniform = grid(10, 10, () => 1);
  const centre = grid(10, 10, (y, x) => (y === 5 && x === 5 ? 1 : 0));
  const frame = grid(10, 10, (y, x) => (y === 0 || x === 0 || y === 9 || x === 9 ? 1 : 0));

  it('border mass: the frame of a 10×10 map is exactly its outer ring of cells', () => {
    expect(borderMass(uniform)).toBeCloseTo(36 / 100, 12);
    expect(borderMass(centre)).toBeCloseTo(0, 12);
    expect(borderMass(frame)).toBeCloseTo(1, 12);
    // On a 7×7 map the 10 % frame covers 70 % of each edge cell: the uniform answer stays 1 − 0.8².
    expect(borderMass(grid(7, 7, () => 1))).toBeCloseTo(0.36, 12);
  });

  it('entropy and Gini: uniform vs one hot cell', () => {
    expect(entropy(uniform)).toBeCloseTo(1, 12);
    expect(entropy(centre)).toBe(0);
    expect(gini(uniform)).toBeCloseTo(0, 12);
    expect(gini(centre)).toBeCloseTo(1, 12);
    // Two equal cells out of four: entropy log 2 / log 4 = 0.5; Gini ((2·(3+4)/(4·2)) − 5/4)·4/3 = 2/3.
    const half = { h: 2, w: 2, values: [0, 1, 0, 1] };
    expect(entropy(half)).toBeCloseTo(0.5, 12);
    expect(gini(half)).toBeCloseTo(2 / 3, 12);
  });

  it('peak and area above half maximum', () => {
    const map = { h: 2, w: 4, values: [0, 0.5, 0.2, 0, 0, 1, 0.49, 0] };
    expect(peak(map)).toEqual({ x: 1.5 / 4, y: 1.5 / 2, index: 5 });
    expect(areaAboveHalfMax(map)).toBe(2 / 8);
    expect(attentionMetrics(map)).toMatchObject({ peakX: 0.375, peakY: 0.75, areaAboveHalfMax: 0.25 });
  });

  it('pointing game and energy in the expected box', () => {
    const box = { x0: 0.5, y0: 0.5, x1: 1, y1: 1 };
    expect(pointingHit(centre, box)).toBe(true);
    expect(pointingHit(centre, { x0: 0, y0: 0, x1: 0.5, y1: 0.5 })).toBe(false);
    expect(energyInBox(uniform, box)).toBeCloseTo(0.25, 12);
    expect(energyInBox(centre, box)).toBeCloseTo(1, 12);
    // A box covering half of one cell gets half that cell's mass.
    expect(energyInBox({ h: 1, w: 2, values: [1, 1] }, { x0: 0, y0: 0, x1: 0.25, y1: 1 })).toBeCloseTo(0.25, 12);
  });

  it('rank correlation: identical, reversed, monotone transform, ties', () => {
    const a = { h: 1, w: 5, values: [1, 2, 3, 4, 5] };
    expect(rankCorrelation(a, a)).toBeCloseTo(1, 12);
    expect(rankCorrelation(a, { h: 1, w: 5, values: [5, 4, 3, 2, 1] })).toBeCloseTo(-1, 12);
    expect(rankCorrelation(a, { h: 1, w: 5, values: [1, 4, 9, 16, 25] })).toBeCloseTo(1, 12);
    expect(rankCorrelation(a, { h: 1, w: 5, values: [7, 7, 7, 7, 7] })).toBe(0);
    // x = 1..4, y = [1, 1, 2, 2] → ranks [1.5, 1.5, 3.5, 3.5]: ρ = 4 / √(5 · 4) = 0.894427…
    expect(rankCorrelation({ h: 1, w: 4, values: [1, 2, 3, 4] }, { h: 1, w: 4, values: [1, 1, 2, 2] })).toBeCloseTo(4 / Math.sqrt(20), 12);
    expect(() => rankCorrelation(a, { h: 5, w: 1, values: [1, 2, 3, 4, 5] })).toThrow(/differ in size/);
  });
});
