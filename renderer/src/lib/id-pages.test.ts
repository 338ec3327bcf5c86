import { describe, expect, it } from 'vitest';
import { pageRuns, pagesOf } from './id-pages';

describe('pagesOf', () => {
  it('names the pages an index range touches, the end excluded', () => {
    expect(pagesOf(0, 500, 500)).toEqual([0]);
    expect(pagesOf(0, 501, 500)).toEqual([0, 1]);
    expect(pagesOf(499, 501, 500)).toEqual([0, 1]);
    expect(pagesOf(500, 1000, 500)).toEqual([1]);
    expect(pagesOf(1200, 2600, 500)).toEqual([2, 3, 4, 5]);
  });

  it('is empty for an empty or reversed range', () => {
    expect(pagesOf(10, 10, 500)).toEqual([]);
    expect(pagesOf(20, 10, 500)).toEqual([]);
  });
});

describe('pageRuns', () => {
  it('groups consecutive pages into one request, in order, duplicates once', () => {
    expect(pageRuns([5, 1, 2, 3, 2, 9, 8], 200)).toEqual([
      { first: 1, last: 3 },
      { first: 5, last: 5 },
      { first: 8, last: 9 },
    ]);
  });

  it('never puts more than maxPages pages in one request', () => {
    expect(pageRuns([0, 1, 2, 3, 4, 5, 6], 3)).toEqual([
      { first: 0, last: 2 },
      { first: 3, last: 5 },
      { first: 6, last: 6 },
    ]);
    expect(pageRuns([], 3)).toEqual([]);
  });
});
