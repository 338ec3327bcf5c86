// The one contract between the UI and the product. Every call has a runtime input schema;
// each transport (Electron IPC, the web host, direct calls) validates with these schemas.
import { z } from 'zod';
import { CAM_METHOD_NAMES, LABEL_SOURCES, PREPROCESSING_PRESETS, RESIZE_MODES, VERDICTS } from './types';
import { CALL_NAMES, EVENT_NAMES } from './calls';
import { UserError } from './errors';
import { imageFilterSchema, queryInputSchemas, tagChangeSchema, tagNameSchema, viewStateSchema } from './query';
import type { Box, Explanation, IdWindow, QueryResult, SavedView, TagChange, VerdictChange } from './query';
import type { CallName, EventName } from './calls';
import type { AppInfo, BrowseResult, ClassScore, DatasetSummary, Heatmap, ImageMetrics, ImageRow, JobProgress, ModelSummary, RunInfo, SanityCheck } from './types';

const id = z.number().int().positive();
const jobId = z.string().min(1).max(100);
const filePath = z.string().min(1).max(4096);
/** A setup change: only the fields given change. `labelsFile` is read when labelSource is 'file'. */
const setupChange = z
  .object({
    preprocessing: z.enum(PREPROCESSING_PRESETS).optional(),
    resize: z.enum(RESIZE_MODES).optional(),
    labelSource: z.enum(LABEL_SOURCES).optional(),
    labelsFile: filePath.nullable().optional(),
    layer: z.string().min(1).max(500).optional(),
  })
  .strict();
/** What makes a run besides its dataset and model; each defaults to the import's (Grad-CAM, default layer, top-3 maps). */
const runChoice = {
  /** The registry's model; default: the active one. */
  modelId: id.optional(),
  method: z.enum(CAM_METHOD_NAMES).optional(),
  layer: z.string().min(1).max(500).optional(),
  camTopK: z.number().int().min(0).max(3).optional(),
};

export const inputSchemas = {
  getInfo: z.object({}).strict(),
  /**
   * `early`: answer at once while a large dataset's columns are being read (a library opened without its saved
   * columns), with that dataset's image count only (`countsPending`), instead of waiting for the read.
   */
  listDatasets: z.object({ early: z.boolean().optional() }).strict(),
  importFolder: z.object({ path: z.string().min(1).max(4096), ...runChoice }).strict(),
  cancelJob: z.object({ jobId }).strict(),
  listJobs: z.object({}).strict(),
  listRuns: z.object({ datasetId: id }).strict(),
  listImages: z.object({ datasetId: id, runId: id.optional() }).strict(),
  getImage: z.object({ imageId: id, runId: id.optional() }).strict(),
  /**
   * `runId`: the run whose map the verdict judges (default: the dataset's latest). "Label error" and the note belong
   * to the photo, and show under every run.
   */
  setReview: z
    .object({
      imageId: id,
      runId: id.optional(),
      /** Left out: the note alone (a verdict is set by setVerdicts). */
      verdict: z.enum(VERDICTS).nullable().optional(),
      note: z.string().max(20_000),
    })
    .strict(),
  /** `filter`: export what the gallery shows (default: every image); `bom`: a UTF-8 BOM for Excel. */
  exportCsv: z.object({ datasetId: id, runId: id.optional(), filter: imageFilterSchema.optional(), bom: z.boolean().optional() }).strict(),
  /** A new run (or the resumption of one) on a dataset already in the library; rescans its folder first. */
  startRun: z.object({ datasetId: id, ...runChoice }).strict(),
  pauseJob: z.object({ jobId }).strict(),
  resumeJob: z.object({ jobId }).strict(),
  ...queryInputSchemas,
  /** The self-contained HTML report of a run (default: the latest) with its reproducibility manifest; `filter`: of what the gallery shows. */
  exportHtml: z.object({ datasetId: id, runId: id.optional(), filter: imageFilterSchema.optional() }).strict(),
  /** The attention metrics and suspicion of an image's top-1 map in a run (default: the latest). */
  getMetrics: z.object({ imageId: id, runId: id.optional() }).strict(),
  /** Model randomisation on a sample of the run's images: recomputes and stores the similarity, with a warning. */
  sanityCheck: z.object({ runId: id, sample: z.number().int().min(1).max(500).optional(), topLayers: z.number().int().min(1).max(100).optional() }).strict(),
  /** Deletion/insertion AUC and blur drop for the run's top-1 maps (about 19 forward passes per image). */
  measureFaithfulness: z.object({ runId: id, limit: z.number().int().positive().optional() }).strict(),
  /** Rank correlation of each top-1 map with the same image and class in another run of the dataset. */
  compareRuns: z.object({ runId: id, otherRunId: id }).strict(),
  /** Groups each predicted class's maps by where they look; the group is stored per image. */
  clusterRun: z.object({ runId: id }).strict(),
  /** The library's models, the active one marked. */
  listModels: z.object({}).strict(),
  /** Adds a model folder or file (model.onnx, .h5, .keras) to the registry with a proposed setup; adding the same bytes again returns the entry. */
  addModel: z.object({ path: filePath, activate: z.boolean().optional() }).strict(),
  /**
   * Changes a model's setup. Runs made before keep their preprocessing, resize mode and layer (a run under another
   * preprocessing or resize mode is a new run, its options naming them); class names follow the setup in all its runs.
   */
  setModelSetup: z.object({ modelId: id, setup: setupChange }).strict(),
  /** The model imports and runs use when they name none. */
  setActiveModel: z.object({ modelId: id }).strict(),
  /** One photo through a model under a setup not yet saved: top classes and the map at the layer, nothing stored. */
  previewModel: z
    .object({ modelId: id, imageId: id.optional(), setup: setupChange.optional(), method: z.enum(CAM_METHOD_NAMES).optional() })
    .strict(),
  /**
   * A folder on the machine that runs the library (browser mode's picker): `~` is the home folder; default home.
   * `show`: folders with their photo counts, or also the model files, or also the labels files (.json, .txt).
   */
  browse: z.object({ path: filePath.optional(), show: z.enum(['folders', 'models', 'labels']).optional() }).strict(),
  /** Where the dataset's ground truth comes from (see DatasetLabelSource); relabels its images without running the model again. */
  setDatasetLabels: z
    .object({ datasetId: id, source: z.union([z.enum(['auto', 'none']), z.object({ level: z.number().int().min(1).max(100) }).strict()]) })
    .strict(),
  /** Gives a dataset another name in the library; its folder is not touched. */
  renameDataset: z.object({ datasetId: id, name: z.string().trim().min(1, 'a dataset needs a name').max(200) }).strict(),
  /** Forgets a dataset and all the library holds on it (runs, results, reviews, tags); its photos are never touched. */
  removeDataset: z.object({ datasetId: id }).strict(),
  /** Adds and removes tags on many images at once; answers each image's tags from before, for an undo. */
  setTags: z
    .object({
      imageIds: z.array(id).min(1).max(100_000),
      add: z.array(tagNameSchema).max(100).optional(),
      remove: z.array(tagNameSchema).max(100).optional(),
    })
    .strict(),
  /** Puts back whole tag sets (an undo of setTags). */
  restoreTags: z.object({ changes: z.array(tagChangeSchema).min(1).max(100_000) }).strict(),
  /** The saved views offered on a dataset: its own and those for every dataset. */
  listViews: z.object({ datasetId: id }).strict(),
  /** Saves a view under a name; a view of the same name and scope is replaced. `datasetId` null: for every dataset. */
  saveView: z
    .object({ datasetId: id.nullable(), name: z.string().trim().min(1, 'a view needs a name').max(100), state: viewStateSchema })
    .strict(),
  deleteView: z.object({ viewId: id }).strict(),
  /**
   * The absolute paths of the images (the flagged ones for retraining, or a filtered view): `list` a text file,
   * one path a line; `links` a folder of symbolic links made in `dir` on the machine that runs the library.
   */
  exportPaths: z
    .object({ datasetId: id, runId: id.optional(), filter: imageFilterSchema.optional(), kind: z.enum(['list', 'links']), dir: filePath.optional() })
    .strict(),
} as const satisfies Record<CallName, z.ZodType>;

export { CALL_NAMES, EVENT_NAMES };
export type { CallName, EventName };
export type CallInput<K extends CallName> = z.infer<(typeof inputSchemas)[K]>;

export interface CallOutputs extends Record<CallName, unknown> {
  getInfo: AppInfo;
  listDatasets: DatasetSummary[];
  importFolder: { jobId: string; datasetId: number; runId: number };
  cancelJob: { cancelled: boolean };
  listJobs: JobProgress[];
  listRuns: RunInfo[];
  listImages: ImageRow[];
  getImage: ImageRow;
  setReview: ImageRow;
  exportCsv: { fileName: string; csv: string };
  startRun: { jobId: string; datasetId: number; runId: number };
  pauseJob: { paused: boolean };
  resumeJob: { resumed: boolean };
  queryImages: QueryResult;
  queryImageIds: IdWindow;
  getImages: ImageRow[];
  /** The verdicts the images had before, in the same form, for an undo. */
  setVerdicts: { previous: VerdictChange[] };
  getExpectedBox: { box: Box | null };
  setExpectedBox: { box: Box | null };
  explainImage: Explanation;
  exportHtml: { fileName: string; html: string };
  getMetrics: { metrics: ImageMetrics | null };
  sanityCheck: SanityCheck;
  measureFaithfulness: { measured: number };
  compareRuns: { compared: number; meanAgreement: number | null };
  clusterRun: { groups: number };
  listModels: ModelSummary[];
  addModel: ModelSummary;
  setModelSetup: ModelSummary;
  setActiveModel: ModelSummary;
  /**
   * `imageId`: the photo used (the first sample photo when none was named), null when it is not in the library;
   * `photo`: that photo, upright and small (a thumbnail), as a JPEG data URL, to show it under the map either way.
   */
  previewModel: { imageId: number | null; photo: string; top: ClassScore[]; heatmap: Heatmap; layer: string };
  browse: BrowseResult;
  setDatasetLabels: DatasetSummary;
  renameDataset: DatasetSummary;
  removeDataset: { removed: boolean };
  setTags: { previous: TagChange[] };
  restoreTags: { previous: TagChange[] };
  listViews: SavedView[];
  saveView: SavedView;
  deleteView: { deleted: boolean };
  exportPaths: { kind: 'list'; fileName: string; text: string; count: number } | { kind: 'links'; dir: string; count: number };
}

export interface EventPayloads extends Record<EventName, unknown> {
  jobProgress: JobProgress;
}

export type MediaKind = 'thumb' | 'image';

/** What the service (core) implements; transports forward exactly these calls. */
export type Service = {
  [K in CallName]: (input: CallInput<K>) => Promise<CallOutputs[K]>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
};

/** What the renderer gets: the service calls plus transport-specific media URLs. */
export type Api = Service & {
  /** A URL the renderer can put in <img src>; served only for ids the database knows. */
  mediaUrl(kind: MediaKind, imageId: number): string;
  /** Desktop only: the native folder dialog. Absent in the browser mode (the UI shows a path field). */
  pickFolder?: () => Promise<string | null>;
  /** Desktop only: the native dialog for a model (a folder, or a .onnx, .h5, .keras file). Absent in the browser mode (the UI browses with `browse`). */
  pickModel?: () => Promise<string | null>;
  /** Desktop only: the native dialog for a labels file (.json or .txt). Absent in the browser mode (the UI browses with `browse`). */
  pickLabelsFile?: () => Promise<string | null>;
  /** Desktop only: the native path of a file or folder dropped on the window (a DOM File), or null. */
  pathForDroppedFile?: (file: unknown) => string | null;
  /** Desktop only: commands from the native menu; returns the unsubscribe function. */
  onMenuCommand?: (listener: (command: MenuCommand) => void) => () => void;
  /** Desktop only: the native save dialog, then the file written; the chosen path, or null when cancelled. */
  saveFile?: (suggestedName: string, content: string) => Promise<string | null>;
  /** Desktop only: shows the image's file in the system file manager. */
  revealImage?: (imageId: number) => Promise<void>;
};

/** What the native menu asks the UI to do; the UI owns the current dataset and view. */
export type MenuCommand =
  | { kind: 'imported'; datasetId: number; jobId: string }
  | { kind: 'openDataset'; datasetId: number }
  | { kind: 'exportCsv' }
  | { kind: 'toggleOverlay' }
  | { kind: 'showShortcuts' };

/** How many of the schema's complaints an error lists, and how long each may be: a large request must not get a larger answer. */
const MAX_ISSUES = 5;
const MAX_ISSUE_CHARS = 200;

/** Validates a call's input; throws a readable UserError naming the call and the first few problems. */
export function parseInput<K extends CallName>(call: K, input: unknown): CallInput<K> {
  const result = inputSchemas[call].safeParse(input ?? {});
  if (!result.success) {
    const { issues } = result.error;
    const listed = issues.slice(0, MAX_ISSUES).map((i) => clip(`${i.path.join('.') || '(input)'}: ${i.message}`, MAX_ISSUE_CHARS));
    const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
    throw new UserError(`Invalid input for ${call}: ${listed.join('; ')}${more}`);
  }
  return result.data as CallInput<K>;
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(inputSchemas, name);
}
