// The gallery's score orders: the radix sort and the descending order drawn from it give exactly what a
// comparison sort by (value, row) gives, on values with ties, negatives, tiny and huge magnitudes and infinities.
// The facet counts and matches of random filters over random columns equal their definition, written out row by
// row here, through verdicts written between the queries.
import { describe, expect, it } from 'vitest';
import { CONFIDENCE_BINS, CORRECTNESS, VERDICT_FILTERS, type ImageFilter } from '../../../common/query';
import { VERDICTS } from '../../../common/types';
import type { Db } from './database';
import { type ColumnData, type Counts, descendingFrom, GalleryColumns, NONE, scoreOrders, sortByValue } from './gallery-index';

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

/** Random columns of `n` rows with every kind of missing value: no prediction, no truth, no score, no group, no tag. */
function randomColumns(n: number, seed: number): ColumnData {
  const next = random(seed);
  const pick = (count: number) => Math.floor(next() * count);
  const pred = Int32Array.from({ length: n }, () => (next() < 0.1 ? NONE : pick(12)));
  const prob = Float64Array.from(pred, (p) => (p === NONE ? NaN : next() < 0.05 ? 1 : Math.round(next() * 200) / 200));
  const truthNames = ['cat', 'dog', 'Fox', 'owl', 'eel'];
  const truth = Int32Array.from({ length: n }, () => (next() < 0.15 ? NONE : pick(truthNames.length)));
  const correctness = Uint8Array.from({ length: n }, (_, row) =>
    pred[row] === NONE ? 3 : truth[row] === NONE ? 2 : pred[row] % truthNames.length === truth[row] ? 0 : 1,
  );
  const verdict = Uint8Array.from({ length: n }, () => (next() < 0.6 ? 0 : pick(VERDICT_FILTERS.length)));
  const suspicion = Float64Array.from(pred, (p) => (p === NONE || next() < 0.1 ? NaN : next()));
  const grp = Int32Array.from(pred, (p) => (p === NONE || next() < 0.2 ? NONE : pick(6)));
  const failed = Uint8Array.from(pred, (p) => (p === NONE && next() < 0.5 ? 1 : 0));
  const names = ['blurry', 'Odd', 'retake', 'crop'];
  const rowTags = Array.from({ length: n }, () => (next() < 0.6 ? [] : names.map((_, t) => t).filter(() => next() < 0.4)));
  const start = new Int32Array(n + 1);
  rowTags.forEach((tags, row) => (start[row + 1] = start[row] + tags.length));
  const ids = Int32Array.from({ length: n }, (_, row) => row + 1);
  const pos = Int32Array.from({ length: n + 1 }, (_, id) => id - 1);
  return {
    ...{ datasetId: 1, runId: 1, n, ids, pred, prob, truth, truthNames, correctness, verdict, suspicion, grp, failed, pos },
    maxPred: Math.max(...pred),
    maxGroup: Math.max(...grp),
    tags: { names, start, list: Int32Array.from(rowTags.flat()) },
  };
}

function randomFilter(next: () => number): ImageFilter {
  const some = <T>(values: readonly T[], chance: number): T[] => (next() < chance ? values.filter(() => next() < 0.4) : []);
  const ranged = next() < 0.3;
  const [low, high] = [next(), next()].sort((a, b) => a - b);
  return {
    predicted: some([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 40], 0.4),
    truth: some(['cat', 'dog', 'Fox', 'owl', 'eel', 'fox'], 0.3),
    correctness: some(CORRECTNESS, 0.3),
    verdicts: some(VERDICT_FILTERS, 0.3),
    minConfidence: ranged ? Math.round(low * 10) / 10 : 0,
    maxConfidence: ranged ? Math.round(high * 10) / 10 : 1,
    search: '',
    suggested: next() < 0.2,
    groups: some([0, 1, 2, 3, 4, 5, 9], 0.3),
    tags: some(['BLURRY', 'odd', 'retake', 'crop', 'none such'], 0.3),
    failed: next() < 0.1,
  };
}

/** The facet counts and matches by their definition: a row counts for a facet when it meets every other condition. */
function reference(data: ColumnData, filter: ImageFilter, threshold: number) {
  const lower = (text: string) => text.toLowerCase();
  const tagsOf = (row: number) => Array.from(data.tags.list.subarray(data.tags.start[row], data.tags.start[row + 1]));
  const ranged = filter.minConfidence > 0 || filter.maxConfidence < 1;
  const meets: Record<string, (row: number) => boolean> = {
    predicted: (row) => filter.predicted.length === 0 || filter.predicted.includes(data.pred[row]),
    truth: (row) => filter.truth.length === 0 || (data.truth[row] !== NONE && filter.truth.includes(data.truthNames[data.truth[row]])),
    correctness: (row) => filter.correctness.length === 0 || filter.correctness.includes(CORRECTNESS[data.correctness[row]]),
    verdicts: (row) => filter.verdicts.length === 0 || filter.verdicts.includes(VERDICT_FILTERS[data.verdict[row]]),
    suggested: (row) => !filter.suggested || data.suspicion[row] >= threshold,
    groups: (row) => !filter.groups?.length || filter.groups.includes(data.grp[row]),
    tags: (row) => !filter.tags?.length || tagsOf(row).some((t) => filter.tags!.map(lower).includes(lower(data.tags.names[t]))),
    failed: (row) => !filter.failed || data.failed[row] === 1,
    confidence: (row) => !ranged || (data.prob[row] >= filter.minConfidence && data.prob[row] <= filter.maxConfidence),
  };
  const rows = Array.from({ length: data.n }, (_, row) => row);
  const counted = (facet: string) => rows.filter((row) => Object.entries(meets).every(([name, test]) => name === facet || test(row)));
  const histogram = (facet: string, size: number, value: (row: number) => number[]) => {
    const counts = new Array<number>(size).fill(0);
    for (const row of counted(facet)) for (const v of value(row)) counts[v]++;
    return counts;
  };
  const known = (v: number) => (v === NONE ? [] : [v]);
  return {
    counts: {
      predicted: histogram('predicted', data.maxPred + 1, (row) => known(data.pred[row])),
      truth: histogram('truth', data.truthNames.length, (row) => known(data.truth[row])),
      correctness: histogram('correctness', CORRECTNESS.length, (row) => [data.correctness[row]]),
      verdicts: histogram('verdicts', VERDICT_FILTERS.length, (row) => [data.verdict[row]]),
      suggested: counted('suggested').filter((row) => data.suspicion[row] >= threshold).length,
      groups: histogram('groups', data.maxGroup + 1, (row) => known(data.grp[row])),
      tags: histogram('tags', data.tags.names.length, tagsOf),
      failed: counted('failed').filter((row) => data.failed[row] === 1).length,
      confidence: histogram('confidence', CONFIDENCE_BINS, (row) =>
        Number.isNaN(data.prob[row]) ? [] : [Math.min(Math.floor(data.prob[row] * CONFIDENCE_BINS), CONFIDENCE_BINS - 1)],
      ),
    },
    matches: rows.filter((row) => Object.values(meets).every((test) => test(row))),
  };
}

const plain = (counts: Counts) => Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, typeof value === 'number' ? value : Array.from(value)]));

describe('facet counts and matches over the columns', () => {
  it.each([1, 2, 3, 4])('equal their definition for random filters, sorts and thresholds, through verdicts written between them (seed %i)', (seed) => {
    const data = randomColumns(1500, seed);
    const columns = new GalleryColumns(null as unknown as Db, data);
    const next = random(seed * 101);
    for (let round = 0; round < 40; round++) {
      const filter = randomFilter(next);
      const threshold = next() < 0.2 ? null : Math.round(next() * 10) / 10;
      const state = columns.state(filter, threshold);
      const expected = reference(data, filter, threshold ?? Infinity);
      expect(plain(state.counts), JSON.stringify(filter)).toEqual(expected.counts);
      expect(Array.from(columns.matches(state, { key: 'fileName', descending: false }))).toEqual(expected.matches);
      expect(Array.from(columns.matches(state, { key: 'fileName', descending: true }))).toEqual([...expected.matches].reverse());
      const { descending } = scoreOrders(data.prob);
      const kept = new Set(expected.matches);
      expect(Array.from(columns.matches(state, { key: 'confidence', descending: true }))).toEqual(Array.from(descending).filter((row) => kept.has(row)));
      // Verdicts written in place: the kept states' counts follow them (checked when a later round asks a kept filter again).
      const changes = Array.from({ length: 20 }, () => ({ imageId: 1 + Math.floor(next() * data.n), verdict: next() < 0.5 ? null : VERDICTS[Math.floor(next() * VERDICTS.length)] }));
      columns.patchVerdicts(changes);
      const again = columns.state(filter, threshold);
      expect(plain(again.counts)).toEqual(reference(data, filter, threshold ?? Infinity).counts);
    }
  });
});
