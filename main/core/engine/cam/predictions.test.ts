// Reading predictions: the top-k selection against a full sort, ties and all.
import { describe, expect, it } from 'vitest';
import { topClasses, topIndices } from './predictions';

/** The definition: every index sorted by value, largest first, ties by lower index. */
const bySort = (values: Float32Array, k: number) =>
  Array.from(values.keys())
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);

describe('topIndices', () => {
  it('gives a full sort’s first k, for any k, on values with many ties', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const length of [1, 5, 1000]) {
      // Few distinct values, so that ties are everywhere, including across the k-th place.
      const values = Float32Array.from({ length }, () => Math.round(random() * 20) - 10);
      for (const k of [0, 1, 3, 5, 17, length, length + 3]) {
        expect(topIndices(values, k), `length ${length}, k ${k}`).toEqual(bySort(values, k));
      }
    }
  });

  it('keeps the earlier index first among equal values', () => {
    expect(topIndices(new Float32Array([1, 3, 3, 2, 3]), 2)).toEqual([1, 2]);
    expect(topIndices(new Float32Array([-1, -1, -1]), 3)).toEqual([0, 1, 2]);
  });
});

describe('topClasses', () => {
  it('gives softmax probabilities of the top classes', () => {
    const top = topClasses(new Float32Array([0, Math.log(3), Math.log(6)]), 2);
    expect(top.map((t) => t.index)).toEqual([2, 1]);
    expect(top[0].prob).toBeCloseTo(0.6, 6);
    expect(top[1].prob).toBeCloseTo(0.3, 6);
  });
});
