// The gallery's score orders: the radix sort and the descending order drawn from it give exactly what a
// comparison sort by (value, row) gives, on values with ties, negatives, tiny and huge magnitudes and infinities.
import { describe, expect, it } from 'vitest';
import { descendingFrom, sortByValue } from './gallery-index';

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function values(count: number, seed: number): Float64Array {
  const next = random(seed);
  const special = [0, 1, -1, 0.5, 1e-300, -1e-300, 1e300, -1e300, Infinity, -Infinity, 0.1 + 0.2, 0.3];
  return Float64Array.from({ length: count }, () => {
    const r = next();
    if (r < 0.3) return special[Math.floor(next() * special.length)];
    if (r < 0.5) return Math.round(next() * 20) / 20; // many ties, as confidences rounded in a synthetic library
    return (next() - 0.3) * 10 ** Math.floor(next() * 12 - 6);
  });
}

const byComparison = (data: Float64Array, rows: Int32Array, sign: 1 | -1) =>
  Array.from(rows).sort((a, b) => sign * (data[a] - data[b]) || (data[a] === data[b] ? a - b : sign * (data[a] < data[b] ? -1 : 1)));

describe('score orders', () => {
  it.each([1, 2, 3])('sorts like a comparison sort by value then row, both ways (seed %i)', (seed) => {
    const data = values(5000, seed);
    // Every other row, as the rows with a score are a subset of the dataset.
    const rows = Int32Array.from({ length: 2500 }, (_, k) => k * 2);
    const ascending = sortByValue(data, rows);
    expect(Array.from(ascending)).toEqual(byComparison(data, rows, 1));
    expect(Array.from(descendingFrom(ascending, data))).toEqual(byComparison(data, rows, -1));
  });

  it('keeps rows of equal value in row order, and handles no rows and one row', () => {
    const data = new Float64Array([0.5, 0.25, 0.5, 0.5, 0.25]);
    const rows = Int32Array.from([0, 1, 2, 3, 4]);
    expect(Array.from(sortByValue(data, rows))).toEqual([1, 4, 0, 2, 3]);
    expect(Array.from(descendingFrom(sortByValue(data, rows), data))).toEqual([0, 2, 3, 1, 4]);
    expect(Array.from(sortByValue(data, new Int32Array(0)))).toEqual([]);
    expect(Array.from(sortByValue(data, Int32Array.from([3])))).toEqual([3]);
  });
});
