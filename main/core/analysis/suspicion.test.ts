import { describe, expect, it } from 'vitest';
import { averagePrecision, suspicionComponents, suspicionScore } from './suspicion';

describe('suspicion score', () => {
  it('rises in proportion to border mass up to a uniform map share (0.36), with nothing else known', () => {
    expect(suspicionScore({ borderMass: 0 })).toBe(0);
    expect(suspicionScore({ borderMass: 0.18 })).toBeCloseTo(0.5, 12);
    expect(suspicionScore({ borderMass: 0.36 })).toBeCloseTo(1, 12);
    expect(suspicionScore({ borderMass: 1 })).toBe(1);
  });

  it('counts a peak in the outer 10 % frame', () => {
    expect(suspicionComponents({ borderMass: 0, peakX: 0.07, peakY: 0.5 }).peakInBorder).toBe(1);
    expect(suspicionComponents({ borderMass: 0, peakX: 0.5, peakY: 0.93 }).peakInBorder).toBe(1);
    expect(suspicionComponents({ borderMass: 0, peakX: 0.21, peakY: 0.79 }).peakInBorder).toBe(0);
    expect(suspicionScore({ borderMass: 0.18, peakX: 0.07, peakY: 0.07 })).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('averages only the components that are known, with their weights', () => {
    const parts = suspicionComponents({ borderMass: 0.09, blurDrop: 0.25, agreement: 0, energyInBox: 0.5 });
    expect(Object.keys(parts).sort()).toEqual(['border', 'disagreement', 'offBox', 'unfaithful']);
    expect(parts.border).toBeCloseTo(0.25, 12);
    expect(parts.unfaithful).toBeCloseTo(0.75, 12);
    expect(parts.disagreement).toBeCloseTo(0.5, 12);
    expect(parts.offBox).toBeCloseTo(0.5, 12);
    // (1·0.25 + 0.5·0.75 + 0.5·0.5 + 1.5·0.5) / 3.5
    expect(suspicionScore({ borderMass: 0.09, blurDrop: 0.25, agreement: 0, energyInBox: 0.5 })).toBeCloseTo(1.625 / 3.5, 12);
    expect(suspicionScore({ borderMass: 0.09, blurDrop: null, agreement: undefined })).toBeCloseTo(0.25, 12);
  });
});

describe('average precision', () => {
  it('is 1 when every positive ranks first and the base rate-ish when they rank last', () => {
    expect(averagePrecision([0.9, 0.8, 0.1, 0.2], [true, true, false, false])).toBe(1);
    // positives at ranks 3 and 4: (1/3 + 2/4) / 2
    expect(averagePrecision([0.1, 0.2, 0.9, 0.8], [true, true, false, false])).toBeCloseTo((1 / 3 + 2 / 4) / 2, 12);
    expect(averagePrecision([0.5, 0.4], [false, false])).toBe(0);
  });
});
