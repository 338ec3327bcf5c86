// The renderer reads its stored filter and sort without zod (query-values.ts); it must accept exactly what the
// transports' schemas accept (query.ts), or a stored filter would be dropped, or sent and refused.
import { describe, expect, it } from 'vitest';
import { imageFilterSchema, imageSortSchema } from './query';
import { EMPTY_FILTER, FILTER_LIMITS, hasConditions, readImageFilter, readImageSort, type ImageFilter } from './query-values';

const FULL: ImageFilter = {
  predicted: [0, 3, 999],
  truth: ['cat', 'n02123045 tabby'],
  correctness: ['incorrect', 'unknown'],
  verdicts: ['none', 'misattended'],
  minConfidence: 0.2,
  maxConfidence: 0.9,
  search: '_cat/',
  suggested: true,
  groups: [0, 2],
  tags: ['blurry'],
  failed: false,
};

const long = (n: number): string => 'x'.repeat(n);
const many = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

/** Each value that one field may be set to, valid and not. */
const VARIANTS: Record<keyof ImageFilter, unknown[]> = {
  predicted: [[], [1.5], [-1], ['1'], [Number.NaN], many(FILTER_LIMITS.predicted, 1), many(FILTER_LIMITS.predicted + 1, 1), null, 3],
  truth: [[''], [long(FILTER_LIMITS.truthChars)], [long(FILTER_LIMITS.truthChars + 1)], [1], many(FILTER_LIMITS.truth + 1, 'a'), 'cat'],
  correctness: [['correct', 'incorrect', 'unknown'], ['correct', 'incorrect', 'unknown', 'unanalysed'], ['right'], [null]],
  verdicts: [['ok', 'label_error', 'unsure', 'none'], ['fine'], many(FILTER_LIMITS.verdicts + 1, 'ok')],
  minConfidence: [0, 1, -0.1, 1.1, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null],
  maxConfidence: [0.5, 2, undefined],
  search: ['', long(FILTER_LIMITS.searchChars), long(FILTER_LIMITS.searchChars + 1), 5, null],
  suggested: [undefined, false, 'yes', 1],
  groups: [undefined, [], [0.5], many(FILTER_LIMITS.groups, 0), many(FILTER_LIMITS.groups + 1, 0)],
  tags: [undefined, [long(FILTER_LIMITS.tagChars)], [long(FILTER_LIMITS.tagChars + 1)], many(FILTER_LIMITS.tags + 1, 't'), [3]],
  failed: [undefined, true, 'no'],
};

describe('readImageFilter and readImageSort', () => {
  it('accept exactly what the schemas accept, and return it unchanged', () => {
    const cases: unknown[] = [EMPTY_FILTER, FULL, null, undefined, [], 'filter', 7, { ...FULL, extra: 1 }];
    for (const key of Object.keys(FULL) as (keyof ImageFilter)[]) {
      const { [key]: _dropped, ...without } = FULL;
      cases.push(without);
      for (const value of VARIANTS[key]) cases.push({ ...FULL, [key]: value });
    }
    let accepted = 0;
    for (const value of cases) {
      const parsed = imageFilterSchema.safeParse(value);
      const read = readImageFilter(value);
      expect(read !== null, JSON.stringify(value)?.slice(0, 200)).toBe(parsed.success);
      if (parsed.success) {
        expect(read).toEqual(parsed.data);
        accepted++;
      }
    }
    // Both kinds were tried.
    expect(accepted).toBeGreaterThan(10);
    expect(cases.length - accepted).toBeGreaterThan(30);
  });

  it('read a sort as the schema does', () => {
    const cases: unknown[] = [
      { key: 'fileName', descending: false },
      { key: 'suspicion', descending: true },
      { key: 'confidence', descending: 'yes' },
      { key: 'size', descending: false },
      { key: 'fileName' },
      { key: 'fileName', descending: false, extra: 0 },
      null,
      ['fileName', false],
    ];
    for (const value of cases) expect(readImageSort(value) !== null, JSON.stringify(value)).toBe(imageSortSchema.safeParse(value).success);
  });
});

describe('hasConditions', () => {
  it('is false for the empty filter and a full confidence range, true for each single condition', () => {
    expect(hasConditions(EMPTY_FILTER)).toBe(false);
    expect(hasConditions({ ...EMPTY_FILTER, groups: undefined, tags: undefined, suggested: undefined, failed: undefined, search: '  ' })).toBe(false);
    const one: Partial<ImageFilter>[] = [
      { predicted: [0] }, { truth: ['cat'] }, { correctness: ['correct'] }, { verdicts: ['none'] }, { minConfidence: 0.1 },
      { maxConfidence: 0.9 }, { search: 'a' }, { suggested: true }, { failed: true }, { groups: [0] }, { tags: ['x'] },
    ];
    for (const patch of one) expect(hasConditions({ ...EMPTY_FILTER, ...patch }), JSON.stringify(patch)).toBe(true);
  });
});
