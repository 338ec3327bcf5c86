// The gallery's query as values and types, without the validator: the filter and sort, their defaults and limits,
// the facet values, and a reader for a filter or sort stored by the page. The renderer imports these from here,
// not from query.ts, whose zod schemas (the transports' input checks) would add a quarter to its bundle.
import { VERDICTS, type Verdict } from './types';

/**
 * Top-1 against the ground truth: `unknown` the image has a prediction but no ground truth, `unanalysed` it has
 * no prediction in the run (not reached yet, cancelled before it, or failed), whatever its ground truth.
 */
export const CORRECTNESS = ['correct', 'incorrect', 'unknown', 'unanalysed'] as const;
export type Correctness = (typeof CORRECTNESS)[number];

/** A verdict filter value: one of the verdicts, or 'none' for images nobody has judged yet. */
export const VERDICT_FILTERS = ['none', ...VERDICTS] as const;
export type VerdictFilter = (typeof VERDICT_FILTERS)[number];

/** `suspicion`: the run's stored suspicion score; images without one come last either way. */
export const SORT_KEYS = ['fileName', 'confidence', 'suspicion'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** How many values each list of a filter may hold, and how long its strings may be (query.ts' schema checks the same). */
export const FILTER_LIMITS = {
  predicted: 5000,
  truth: 5000,
  truthChars: 500,
  correctness: 3,
  verdicts: 5,
  searchChars: 500,
  groups: 100,
  tags: 1000,
  tagChars: 200,
} as const;

export interface ImageFilter {
  /** Top-1 class indices; empty: any. */
  predicted: number[];
  /** True labels as stored (folder names); empty: any. */
  truth: string[];
  correctness: Correctness[];
  verdicts: VerdictFilter[];
  /** Top-1 probability range, inclusive; images without a prediction only match the full range. */
  minConfidence: number;
  maxConfidence: number;
  /** Case-insensitive substring of the path relative to the dataset folder. */
  search: string;
  /** Only the images suggested for review: the SUGGESTED_SHARE of the run's images with the highest suspicion. */
  suggested?: boolean;
  /** Heatmap groups (metrics.cluster, per predicted class) to keep; empty or absent: any. */
  groups?: number[];
  /** Tags, any of them; empty or absent: any. */
  tags?: string[];
  /** Only the photos whose import failed (unreadable or broken files). */
  failed?: boolean;
}

export interface ImageSort {
  key: SortKey;
  descending: boolean;
}

export const EMPTY_FILTER: ImageFilter = {
  predicted: [],
  truth: [],
  correctness: [],
  verdicts: [],
  minConfidence: 0,
  maxConfidence: 1,
  search: '',
  suggested: false,
  groups: [],
  tags: [],
  failed: false,
};

/** True when the filter leaves out any photo: a condition on any facet, the confidence range or the search. */
export function hasConditions(filter: ImageFilter): boolean {
  return (
    filter.predicted.length + filter.truth.length + filter.correctness.length + filter.verdicts.length > 0 ||
    filter.minConfidence > 0 ||
    filter.maxConfidence < 1 ||
    filter.search.trim() !== '' ||
    filter.suggested === true ||
    filter.failed === true ||
    (filter.groups?.length ?? 0) > 0 ||
    (filter.tags?.length ?? 0) > 0
  );
}

/** The gallery's order until the person picks another: by file name, A to Z. */
export const DEFAULT_SORT: ImageSort = { key: 'fileName', descending: false };

/** How many equal-width bins the confidence histogram has over 0..1. */
export const CONFIDENCE_BINS = 20;

/** The verdicts that flag a photo for a second look (the HTML report's "flagged", the "flagged only" export). */
export const FLAGGED_VERDICTS = ['misattended', 'label_error', 'unsure'] as const satisfies readonly Verdict[];

/**
 * "Suggested for review" is a share, not a fixed score: the suspicion score's scale depends on which of its
 * components are known (faithfulness, agreement, a drawn box), so a fixed cut would flag most of a run or none.
 * The images whose suspicion is at least the score of the run's top 10 % (at least one image; ties included).
 */
export const SUGGESTED_SHARE = 0.1;

/** The most ids one call returns; a longer list (select-all of a large library) is read in windows of this size. */
export const MAX_ID_WINDOW = 100_000;

/** The most rows a query returns with its answer (getImages takes 500 at a time). */
export const MAX_INLINE_ROWS = 200;

const FILTER_KEYS = new Set(Object.keys(EMPTY_FILTER));
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const listOf = (value: unknown, max: number, item: (v: unknown) => boolean): boolean => Array.isArray(value) && value.length <= max && value.every(item);
const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const text = (max: number) => (v: unknown): boolean => typeof v === 'string' && v.length <= max;
const oneOf = (values: readonly string[]) => (v: unknown): boolean => typeof v === 'string' && values.includes(v);
const share = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
const optional = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value);

/** A filter as stored (the page's preferences): itself when query.ts' schema would accept it as it is, else null. */
export function readImageFilter(value: unknown): ImageFilter | null {
  if (!isRecord(value) || !Object.keys(value).every((key) => FILTER_KEYS.has(key))) return null;
  const f = value;
  const L = FILTER_LIMITS;
  const ok =
    listOf(f.predicted, L.predicted, count) &&
    listOf(f.truth, L.truth, text(L.truthChars)) &&
    listOf(f.correctness, L.correctness, oneOf(CORRECTNESS)) &&
    listOf(f.verdicts, L.verdicts, oneOf(VERDICT_FILTERS)) &&
    share(f.minConfidence) &&
    share(f.maxConfidence) &&
    text(L.searchChars)(f.search) &&
    optional(f.suggested, (v) => typeof v === 'boolean') &&
    optional(f.groups, (v) => listOf(v, L.groups, count)) &&
    optional(f.tags, (v) => listOf(v, L.tags, text(L.tagChars))) &&
    optional(f.failed, (v) => typeof v === 'boolean');
  return ok ? (value as unknown as ImageFilter) : null;
}

/** A sort as stored: itself when query.ts' schema would accept it, else null. */
export function readImageSort(value: unknown): ImageSort | null {
  if (!isRecord(value) || !Object.keys(value).every((key) => key === 'key' || key === 'descending')) return null;
  return oneOf(SORT_KEYS)(value.key) && typeof value.descending === 'boolean' ? (value as unknown as ImageSort) : null;
}
