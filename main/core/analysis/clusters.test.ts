import { describe, expect, it } from 'vitest';
import { clusterCount, clusterMaps, signature } from './clusters';

/** A CAM-like blob: a Gaussian of 1.5 cells around (y, x). */
const spot = (y: number, x: number, size = 8) => ({
  h: size,
  w: size,
  values: Array.from({ length: size * size }, (_, i) => Math.exp(-((Math.floor(i / size) - y) ** 2 + ((i % size) - x) ** 2) / (2 * 1.5 ** 2))),
});

describe('heatmap clusters', () => {
  it('a signature is the area-averaged map normalised to sum 1', () => {
    const sig = signature({ h: 2, w: 2, values: [1, 0, 0, 3] }, 2);
    expect(Array.from(sig)).toEqual([0.25, 0, 0, 0.75]);
    // A 7×7 map onto 4×4: cells straddling a boundary are split by area, nothing is lost.
    const uniform = signature({ h: 7, w: 7, values: new Array(49).fill(2) }, 4);
    uniform.forEach((v) => expect(v).toBeCloseTo(1 / 16, 12));
  });

  it('separates maps that look at a corner from maps that look at the centre, largest group first', () => {
    const corner = [spot(0, 0), spot(0, 1), spot(1, 0), spot(1, 1), spot(0, 0)];
    const centre = [spot(4, 4), spot(3, 4), spot(4, 3)];
    const { assignment } = clusterMaps([...centre, ...corner], 2);
    expect(assignment.slice(3)).toEqual([0, 0, 0, 0, 0]);
    expect(assignment.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('is deterministic and picks a small k for a class', () => {
    const maps = [spot(0, 0), spot(7, 7), spot(0, 7), spot(7, 0), spot(4, 4)];
    expect(clusterMaps(maps, 3)).toEqual(clusterMaps(maps, 3));
    expect([clusterCount(3), clusterCount(16), clusterCount(500)]).toEqual([1, 2, 4]);
  });
});
