import { describe, expect, it } from 'vitest';
import { upsampleBilinear } from './upsample';

describe('upsampleBilinear', () => {
  it('blends between cell centres with half-pixel centres, clamped at the edges (cv2.resize INTER_LINEAR)', () => {
    // 2 × 2 cells [[0, 4], [8, 12]] to 4 × 4 pixels: a pixel centre at (p + 0.5) / 4 of the side lands at
    // (p + 0.5) / 2 − 0.5 cells, so −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1): weights 0, ¼, ¾, 1.
    const out = upsampleBilinear({ w: 2, h: 2, values: [0, 4, 8, 12] }, 4, 4);
    expect([...out]).toEqual([0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
  });

  it('works on non-square maps and outputs, keeping the raw values', () => {
    // 3 × 1 cells [0, 3, 6] to 2 pixels: centres at 0.25 and 0.75 of the width → 0.25 and 1.75 cells.
    expect([...upsampleBilinear({ w: 3, h: 1, values: [0, 3, 6] }, 2, 1)]).toEqual([0.75, 5.25]);
    // 1 × 2 cells [10, 20] to 1 × 3 pixels: 1/6, 1/2, 5/6 of the height → −0.1667 (0), 0.5, 1.1667 (1) cells.
    expect([...upsampleBilinear({ w: 1, h: 2, values: [10, 20] }, 1, 3)]).toEqual([10, 15, 20]);
  });

  it('places the photo inside the output and leaves the rest NaN', () => {
    // The photo covers pixels 1 and 2 of 4: their centres sit at ¼ and ¾ of the photo, on the 2 cells' centres.
    const out = upsampleBilinear({ w: 2, h: 1, values: [2, 6] }, 4, 1, { x: 1, y: 0, w: 2, h: 1 });
    expect(Number.isNaN(out[0]) && Number.isNaN(out[3])).toBe(true);
    expect([out[1], out[2]]).toEqual([2, 6]);
  });

  it('refuses a map whose values do not match its size', () => {
    expect(() => upsampleBilinear({ w: 2, h: 2, values: [1, 2, 3] }, 4, 4)).toThrow('A map of 2 × 2 cells needs 4 values, not 3.');
  });
});
