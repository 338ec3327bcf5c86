// What the gallery asks the library for: a filtered, sorted list of image ids with facet counts, pages
// of rows, verdicts for many images at once, the expected-region box, and maps computed on demand.
import { z } from 'zod';
import { CAM_METHOD_NAMES, VERDICTS } from './types';
import type { CamMethod, ClassScore, Heatmap, ImageRow, Verdict } from './types';
import { CORRECTNESS, FILTER_LIMITS, MAX_ID_WINDOW, MAX_INLINE_ROWS, SORT_KEYS, VERDICT_FILTERS } from './query-values';
import type { Correctness, ImageFilter, ImageSort, VerdictFilter } from './query-values';

// The values and types the renderer uses too, which need no validator.
export * from './query-values';

const id = z.number().int().positive();

export const imageFilterSchema = z
  .object({
    predicted: z.array(z.number().int().min(0)).max(FILTER_LIMITS.predicted),
    truth: z.array(z.string().max(FILTER_LIMITS.truthChars)).max(FILTER_LIMITS.truth),
    correctness: z.array(z.enum(CORRECTNESS)).max(FILTER_LIMITS.correctness),
    verdicts: z.array(z.enum(VERDICT_FILTERS)).max(FILTER_LIMITS.verdicts),
    minConfidence: z.number().min(0).max(1),
    maxConfidence: z.number().min(0).max(1),
    search: z.string().max(FILTER_LIMITS.searchChars),
    suggested: z.boolean().optional(),
    groups: z.array(z.number().int().min(0)).max(FILTER_LIMITS.groups).optional(),
    tags: z.array(z.string().max(FILTER_LIMITS.tagChars)).max(FILTER_LIMITS.tags).optional(),
    failed: z.boolean().optional(),
  })
  .strict();

export const imageSortSchema = z.object({ key: z.enum(SORT_KEYS), descending: z.boolean() }).strict();

/** The schemas check exactly the types query-values.ts declares (a compile error here otherwise). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type FilterSchemaMatchesType = Holds<Same<z.infer<typeof imageFilterSchema>, ImageFilter>>;
export type SortSchemaMatchesType = Holds<Same<z.infer<typeof imageSortSchema>, ImageSort>>;

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
  /**
   * An `early` answer, given while the dataset's columns were being read: the ids, the count and the rows are
   * right; the facets are not counted yet (empty) and suggestedThreshold is null. Ask again without `early`.
   */
  pending?: true;
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
      /**
       * Answer at once while the dataset's columns are being read, when the query needs none of them (no filter,
       * file-name order): the window and the count from the library's index, the facets `pending`.
       */
      early: z.boolean().optional(),
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
  /** `runId`: the run whose maps the verdicts judge (default: each image's dataset's latest); a label error is the photo's. */
  setVerdicts: z
    .object({
      runId: id.optional(),
      changes: z
        .array(
          z
            .object({
              imageId: id,
              verdict: z.enum(VERDICTS).nullable(),
              exact: z.object({ run: z.enum(VERDICTS).nullable(), photo: z.enum(VERDICTS).nullable() }).strict().optional(),
            })
            .strict(),
        )
        .min(1)
        .max(100_000),
    })
    .strict(),
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
  /** The verdict the image is to show under the run. */
  verdict: Verdict | null;
  /**
   * setVerdicts' answer, for an undo: the run's own verdict and the photo's as they were, put back exactly when the
   * change is sent again (a label error and the run's own verdict can both be stored, the run's shown).
   */
  exact?: { run: Verdict | null; photo: Verdict | null };
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
