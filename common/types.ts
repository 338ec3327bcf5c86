// Domain types shared by every layer. No Node, no DOM, no Electron here.

export const VERDICTS = ['ok', 'misattended', 'label_error', 'unsure'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** How a verdict, or none yet, is named for a person: in the gallery, its facets and the HTML report. */
export const VERDICT_LABELS: Readonly<Record<Verdict | 'none', string>> = {
  none: 'Not reviewed',
  ok: 'OK',
  misattended: 'Misattended',
  label_error: 'Label error',
  unsure: 'Unsure',
};

/** The class-activation methods a run can use (the engine's names). */
export const CAM_METHOD_NAMES = [
  'GradCAM',
  'HiResCAM',
  'GradCAMPlusPlus',
  'XGradCAM',
  'LayerCAM',
  'ScoreCAM',
  'EigenCAM',
  'GradCAMElementWise',
] as const;
export type CamMethod = (typeof CAM_METHOD_NAMES)[number];

/**
 * The run an import makes unless asked otherwise: Grad-CAM, the top 3 classes of each image with a map for each.
 * Its layer is the model's own default (ModelSetup.layer), which main/core's resolveLayer checks.
 */
export const DEFAULT_RUN: { readonly method: CamMethod; readonly topK: number; readonly camTopK: number } = {
  method: 'GradCAM',
  topK: 3,
  camTopK: 3,
};

/** How a model wants its input scaled: see README "Use your own model". */
export const PREPROCESSING_PRESETS = ['mobilenet', 'caffe', 'torch', 'raw'] as const;
export type PreprocessingPreset = (typeof PREPROCESSING_PRESETS)[number];

/**
 * How the scan stage brings a photo to the model's square input: `stretch` the whole photo (ignores the aspect
 * ratio), `centre-crop` the short side to the input and cut the middle, `letterbox` the long side, padded black.
 */
export const RESIZE_MODES = ['stretch', 'centre-crop', 'letterbox'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

/** What a model was added from. */
export const MODEL_FORMATS = ['onnx', 'tfjs-layers', 'tfjs-graph', 'keras-h5', 'keras-v3'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/**
 * How a target tensor maps to the (h, w, c) grid the CAM methods see: `nchw` and `nhwc` 4-D tensors, `tokens`
 * a 3-D `[n, 1 + s², c]` or `[n, s², c]` token tensor (ViT, DeiT) reshaped to s × s without the class token.
 */
export const LAYER_LAYOUTS = ['nchw', 'nhwc', 'tokens'] as const;
export type LayerLayout = (typeof LAYER_LAYOUTS)[number];

/** A layer (tensor) maps can come from, with its grid as [h, w, channels]. */
export interface CandidateLayer {
  name: string;
  shape: [number, number, number];
  layout?: LayerLayout;
}

/** Where a model's class names come from: a file in or beside the model, ImageNet's 1000, or "class N". */
export const LABEL_SOURCES = ['file', 'imagenet', 'numbered'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** What a person can change about a model without writing JSON; stored in the library with the model. */
export interface ModelSetup {
  preprocessing: PreprocessingPreset;
  resize: ResizeMode;
  labelSource: LabelSource;
  /** The labels file (absolute path) when labelSource is 'file'. */
  labelsFile: string | null;
  /** The default target layer of this model's runs. */
  layer: string;
}

/** A model in the library's registry. */
export interface ModelSummary {
  id: number;
  name: string;
  /** The folder or file it was added from. */
  path: string;
  format: ModelFormat;
  /** sha256 of the model's bytes: runs belong to a hash. */
  hash: string;
  inputSize: number;
  classCount: number;
  /** The first few class names under the current setup. */
  labelsPreview: string[];
  setup: ModelSetup;
  /** What Sightline proposed when the model was added (sightline.json wins where it says something). */
  proposed: ModelSetup;
  candidateLayers: CandidateLayer[];
  runCount: number;
  addedAt: string;
  /** The model that imports and runs use when they name none. */
  active: boolean;
  /** Why the model cannot be opened now (file gone, changed bytes), else null. */
  error: string | null;
}

/** One entry of the server-side file browser. */
export interface BrowseEntry {
  name: string;
  /** Absolute path. */
  path: string;
  kind: 'folder' | 'file';
  /** Folders: photos directly or below, counted up to a limit (photoCountCapped then says there are more). */
  photoCount?: number;
  photoCountCapped?: boolean;
  /** When the entry is a model Sightline can open (a model folder, model.onnx, .h5, .keras). */
  model?: ModelFormat;
  /** Files listed for the labels picker (.json, .txt): their size in bytes. */
  bytes?: number;
}

export interface BrowseResult {
  /** The folder listed (absolute, `~` expanded). */
  path: string;
  parent: string | null;
  home: string;
  entries: BrowseEntry[];
  /** Folders imported or models added lately, newest first. */
  recent: string[];
}

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Which engine backend runs, and why each one before it in the chain was skipped. */
export interface BackendReport {
  name: BackendName;
  skipped: { name: BackendName; reason: string }[];
  /**
   * What computes the network's forward pass. With `onnxruntime` the TF.js backend above still preprocesses
   * and differentiates the head after the target layer.
   */
  runtime?: RuntimeReport;
}

export type RuntimeName = 'tfjs-layers' | 'tfjs-graph' | 'onnxruntime';

/** The runtime that runs the model inside the engine (main/core/engine/runtime.ts chooses it). */
export interface RuntimeReport {
  name: RuntimeName;
  /** The ONNX execution provider in use (onnxruntime only), e.g. `cpu`. */
  provider?: string;
  /** Providers tried before it, with the reason each was skipped. */
  skippedProviders?: { name: string; reason: string }[];
  /** Why a faster runtime was not used for this model (e.g. a layer that does not convert to ONNX). */
  fallbackReason?: string;
}

export interface ClassScore {
  index: number;
  label: string;
  prob: number;
}

/** A class-activation map at the network's own resolution (row-major, y = 0 at the top). */
export interface Heatmap {
  h: number;
  w: number;
  /** Raw map values after the method's ReLU, before any normalisation. */
  values: number[];
  /** max(values): divide by it for a per-image 0..1 scale; keep it for dataset-wide scales. */
  scale: number;
  classIndex: number;
}

export type ImageStatus = 'pending' | 'done' | 'error';

export interface ImageRow {
  id: number;
  datasetId: number;
  relPath: string;
  fileName: string;
  width: number | null;
  height: number | null;
  trueLabel: string | null;
  /** Index into the model's labels when the folder name matched one, else null. */
  trueIndex: number | null;
  /** Which folder the label came from: its level below the dataset's root (1 = the root's own subfolders); null without a label. */
  trueLevel: number | null;
  status: ImageStatus;
  error: string | null;
  top: ClassScore[];
  /** null when there is no ground truth or no prediction. */
  correct: boolean | null;
  heatmap: Heatmap | null;
  /** getImage only: the map of every class that has one (top-3 by default), in rank order. */
  heatmaps?: Heatmap[];
  /** Under this run: the run's own verdict on its map, else the photo's (a label error). */
  verdict: Verdict | null;
  /** With a run: the verdicts the dataset's other runs gave their maps of the photo, by run id. */
  otherRuns?: { runId: number; verdict: Verdict }[];
  /** With a run: the photo's own verdict (a label error), which the runs without a verdict of their own show. */
  photoVerdict?: Verdict | null;
  note: string;
  /** getImage and getImages: the photo's tags, by name. */
  tags?: string[];
  /** The id of an earlier image of the dataset with the same bytes (its results are shared), else null. */
  duplicateOf?: number | null;
  /** getImage and getImages: the run's stored suspicion score, null before the run scored it. */
  suspicion?: number | null;
}

export interface DatasetSummary {
  id: number;
  name: string;
  rootPath: string;
  createdAt: string;
  imageCount: number;
  doneCount: number;
  errorCount: number;
  /** The latest run of this dataset, if any. */
  runId: number | null;
  /**
   * Only in an `early` list, for a dataset whose columns were being read: imageCount is counted; doneCount,
   * errorCount (0) and labelLevels (empty) are not yet. List again without `early` for them.
   */
  countsPending?: true;
  /** Where the dataset's ground truth comes from (setDatasetLabels changes it). */
  labelSource: DatasetLabelSource;
  /** Where the labels came from: each folder level that gave images a label, how many, and one folder's name there. */
  labelLevels: LabelLevel[];
}

/**
 * Where a dataset's ground truth comes from: `auto` the nearest folder above each photo that names one of the
 * model's classes (an index prefix, a WordNet id or a name), `none` nowhere, `{ level }` the folder at that
 * level below the dataset's root (1 = the root's own subfolders), whatever it is called. Split folders
 * (`train`, `val`, `test` …) never give a label.
 */
export type DatasetLabelSource = 'auto' | 'none' | { level: number };

export interface LabelLevel {
  level: number;
  /** Images labelled from a folder at this level. */
  count: number;
  /** The name of one such folder, e.g. `339_sorrel`. */
  example: string;
}

export interface RunInfo {
  id: number;
  datasetId: number;
  /** The registry's model (a run belongs to one model hash). */
  modelId: number;
  modelName: string;
  modelHash: string;
  method: CamMethod;
  layer: string;
  backend: string;
  state: JobState;
  createdAt: string;
  /** What else makes the run: { topK, camTopK } for imports. */
  options?: Record<string, unknown>;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  jobId: string;
  datasetId: number;
  runId: number;
  state: JobState;
  done: number;
  total: number;
  failed: number;
  imagesPerSec: number;
  etaSec: number | null;
  message: string | null;
  /** A paused job keeps state 'running' (it will go on) and has no ETA until it is resumed. */
  paused?: boolean;
  /** What the scan found, once it has run: files new, changed (other bytes), removed, and unchanged. */
  scan?: ScanSummary;
}

export interface ScanSummary {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}

export interface AppInfo {
  version: string;
  /** 'electron' when the desktop shell hosts the UI, 'web' for `sightline serve`. */
  mode: 'electron' | 'web';
  dataDir: string;
  samplesDir: string;
  model: {
    name: string;
    hash: string;
    inputSize: number;
    layer: string;
    /** Layers a run can take its maps from (4-D outputs), for a run with another layer. */
    candidateLayers?: string[];
  } | null;
  backend: BackendReport | null;
  /** The engine starts with the first call that needs it (`serve --engine on-demand`): a null backend means idle, not starting. */
  engineOnDemand?: boolean;
}

/** Attention metrics of an image's top-1 map in a run; null where the step has not run or no box is drawn. */
export interface ImageMetrics {
  classIndex: number;
  /** Share of the map's mass in the outer 10 % frame. */
  borderMass: number;
  /** Normalised entropy: 0 = one cell, 1 = uniform. */
  entropy: number;
  gini: number;
  /** Peak position as fractions of the image (0..1 from the left/top). */
  peakX: number;
  peakY: number;
  areaAboveHalfMax: number;
  pointingHit: boolean | null;
  energyInBox: number | null;
  deletionAuc: number | null;
  insertionAuc: number | null;
  /** Relative probability drop when the top 20 % of attention is blurred out. */
  blurDrop: number | null;
  /** Spearman rank correlation with the same class's map in `agreementRunId`. */
  agreement: number | null;
  agreementRunId: number | null;
  /** Group of the map among the maps of its predicted class (0 = the most common). */
  cluster: number | null;
  /** Higher = look at this one first; see main/core/analysis/suspicion.ts. */
  suspicion: number;
}

/** Result of the model-randomisation sanity check of a run. */
export interface SanityCheck {
  runId: number;
  randomizedLayers: string[];
  /** Mean rank correlation between the trained and the randomised model's maps (1 = unchanged). */
  similarity: number;
  sampleSize: number;
  warning: string | null;
  createdAt: string;
}
