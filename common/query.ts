// What the gallery asks the library for: a filtered, sorted list of image ids with facet counts, pages
// of rows, verdicts for many images at once, the expected-region box, and maps computed on demand.
import { z } from 'zod';
import { CAM_METHOD_NAMES, VERDICTS } from './types';
import type { CamMethod, ClassScore, Heatmap, ImageRow, Verdict } from './types';

const id = z.number().int().positive();

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

export const imageFilterSchema = z
  .object({
    /** Top-1 class indices; empty: any. */
    predicted: z.array(z.number().int().min(0)).max(5000),
    /** True labels as stored (folder names); empty: any. */
    truth: z.array(z.string().max(500)).max(5000),
    correctness: z.array(z.enum(CORRECTNESS)).max(3),
    verdicts: z.array(z.enum(VERDICT_FILTERS)).max(5),
    /** Top-1 probability range, inclusive; images without a prediction only match the full range. */
    minConfidence: z.number().min(0).max(1),
    maxConfidence: z.number().min(0).max(1),
    /** Case-insensitive substring of the path relative to the dataset folder. */
    search: z.string().max(500),
    /** Only the images suggested for review: the SUGGESTED_SHARE of the run's images with the highest suspicion. */
    suggested: z.boolean().optional(),
    /** Heatmap groups (metrics.cluster, per predicted class) to keep; empty or absent: any. */
    groups: z.array(z.number().int().min(0)).max(100).optional(),
    /** Tags, any of them; empty or absent: any. */
    tags: z.array(z.string().max(200)).max(1000).optional(),
    /** Only the photos whose import failed (unreadable or broken files). */
    failed: z.boolean().optional(),
  })
  .strict();
export type ImageFilter = z.infer<typeof imageFilterSchema>;

export const imageSortSchema = z.object({ key: z.enum(SORT_KEYS), descending: z.boolean() }).strict();
export type ImageSort = z.infer<typeof imageSortSchema>;

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

/** A value of one facet and how many images would match if it were chosen (the other facets applied). */
export interface FacetCount<V> {
  value: V;
  label: string;
  count: number;
}

export interface QueryResult {
  /** The matching image ids in the requested order: all of them, or the window asked for (from `offset`). */
  ids: number[];
  /** Where `ids` starts in the whole ordered list of matches. */
  offset: number;
  /** How many images match the filter (the whole list, of which `ids` may be a window). */
  count: number;
  /** Images of the dataset, before filtering. */
  total: number;
  facets: {
    predicted: FacetCount<number>[];
    truth: FacetCount<string>[];
    correctness: FacetCount<Correctness>[];
    verdicts: FacetCount<VerdictFilter>[];
    /** How many images are suggested for review, with the other filters applied. */
    suggested: number;
    /** Heatmap groups (0 = the most common strategy of its class) with the other filters applied; empty before clustering. */
    groups: FacetCount<number>[];
    /** Every tag of the dataset with how many images have it, the other filters applied. */
    tags: FacetCount<string>[];
    /** How many photos failed to import, with the other filters applied. */
    failed: number;
    /** Top-1 confidence in CONFIDENCE_BINS equal bins (the last includes 1), the other filters but the confidence range applied. */
    confidence: number[];
  };
  /** The lowest suspicion that counts as suggested for review in this run; null when the run has no scores. */
  suggestedThreshold: number | null;
  /** The largest top-1 map value in the run, for a dataset-wide colour scale; 0 when there is none. */
  maxScale: number;
  /** How long the queries took in the library, in milliseconds (the rows asked for not included). */
  elapsedMs: number;
  /** The rows of the window's first images, when asked for (`rows`): what the first screen shows, without a getImages call. */
  rows?: ImageRow[];
}

/** A region where the evidence should be, as fractions of the upright image (0..1). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const boxSchema = z
  .object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().min(0).max(1), h: z.number().min(0).max(1) })
  .strict();

/** The most ids one call returns; a longer list (select-all of a large library) is read in windows of this size. */
export const MAX_ID_WINDOW = 100_000;

/** The most rows a query returns with its answer (getImages takes 500 at a time). */
export const MAX_INLINE_ROWS = 200;

/** A window of the ordered matches of a query. */
export interface IdWindow {
  ids: number[];
  offset: number;
  /** How many images match the filter. */
  count: number;
  /** Images of the dataset, before filtering. */
  total: number;
}

export const queryInputSchemas = {
  queryImages: z
    .object({
      datasetId: id,
      runId: id.optional(),
      filter: imageFilterSchema,
      sort: imageSortSchema,
      /** A window of the ordered matches (the gallery asks for the rows it shows); without one, every id. */
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(0).max(MAX_ID_WINDOW).optional(),
      /** How many of the window's first images to return as rows too (the first screen), as getImages would. */
      rows: z.number().int().min(0).max(MAX_INLINE_ROWS).optional(),
    })
    .strict(),
  /** Another window of the same list, without the facet counts: the grid scrolling, a shift-range, select-all. */
  queryImageIds: z
    .object({
      datasetId: id,
      runId: id.optional(),
      filter: imageFilterSchema,
      sort: imageSortSchema,
      offset: z.number().int().min(0),
      limit: z.number().int().min(0).max(MAX_ID_WINDOW),
    })
    .strict(),
  getImages: z.object({ imageIds: z.array(id).max(500), runId: id.optional() }).strict(),
  setVerdicts: z.object({ changes: z.array(z.object({ imageId: id, verdict: z.enum(VERDICTS).nullable() }).strict()).min(1).max(100_000) }).strict(),
  getExpectedBox: z.object({ imageId: id }).strict(),
  setExpectedBox: z.object({ imageId: id, box: boxSchema.nullable() }).strict(),
  explainImage: z
    .object({
      imageId: id,
      runId: id.optional(),
      classIndex: z.number().int().min(0),
      method: z.enum(CAM_METHOD_NAMES),
      /** One of AppInfo.model.candidateLayers; default: the engine's layer. */
      layer: z.string().min(1).max(200).optional(),
    })
    .strict(),
} as const;

/** A tag as people type it: trimmed, no commas (the tag box splits on them), no control characters. */
export const tagNameSchema = z
  .string()
  .trim()
  .min(1, 'a tag cannot be empty')
  .max(50, 'a tag has at most 50 characters')
  .regex(/^[^,\p{Cc}]+$/u, 'a tag has no commas or control characters');

/** An image's whole set of tags, before or after a change (for an undo). */
export interface TagChange {
  imageId: number;
  tags: string[];
}

export const tagChangeSchema = z.object({ imageId: id, tags: z.array(tagNameSchema).max(100) }).strict();

/** How the overlay is drawn, as a saved view keeps it (the renderer checks the colour map name). */
export const overlayStateSchema = z
  .object({
    visible: z.boolean(),
    opacity: z.number().min(0).max(1),
    colormap: z.string().min(1).max(40),
    threshold: z.number().min(1).max(100),
    scale: z.enum(['image', 'dataset']),
  })
  .strict();

/** What a saved view brings back: the filters, the sort and the overlay settings. */
export const viewStateSchema = z.object({ filter: imageFilterSchema, sort: imageSortSchema, overlay: overlayStateSchema }).strict();
export type ViewState = z.infer<typeof viewStateSchema>;

export interface SavedView {
  id: number;
  /** The dataset it belongs to; null: offered on every dataset. */
  datasetId: number | null;
  name: string;
  state: ViewState;
  createdAt: string;
}

export interface VerdictChange {
  imageId: number;
  verdict: Verdict | null;
}

export interface Explanation {
  /** The top-5 classes of this image. */
  top: ClassScore[];
  heatmap: Heatmap;
  method: CamMethod;
  layer: string;
  /** Whether it came from the library rather than the engine. */
  cached: boolean;
}
