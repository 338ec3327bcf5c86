// The engine's public face. The engine runs in a worker thread; callers only see this interface.
import type {
  BackendName,
  BackendReport,
  CamMethod,
  CandidateLayer,
  PreprocessingPreset,
  ResizeMode,
} from '../../../common/types';
import type { EngineHeatmap } from '../base/engine-heatmap';
export type { EngineHeatmap };

export interface EngineOptions {
  /** Folder holding model.json (+ shards) or model.onnx, optionally sightline.json and labels; or an .onnx file in such a folder. */
  modelDir: string;
  /** Force one backend (tests, benchmarks); default: the first that works in the chain. */
  backend?: BackendName;
  /** Target layer; default: the last layer with a 4-D spatial output before the head. */
  layer?: string;
  /** Worker threads, one engine each (the wasm backend computes on one core per worker); default: CPU cores. */
  workers?: number;
  /**
   * Most images one worker computes at once (default 8). Larger requests are cut into mini-batches that
   * run on the workers side by side; keep at least `workers` mini-batches in flight to use them all.
   */
  batchSize?: number;
  /**
   * What computes the forward pass of a TF.js layers model: `auto` (default) converts it to ONNX for ONNX
   * Runtime and falls back to TF.js, with the reason, when a layer does not convert or no execution
   * provider starts; `onnx` fails instead of falling back; `tfjs` keeps TF.js. A folder with model.onnx
   * always runs on ONNX Runtime, a TF.js graph model on TF.js.
   */
  runtime?: EngineRuntimeChoice;
  /** Where TF.js models converted to ONNX are cached; default `<data dir>/onnx-cache`. */
  onnxCacheDir?: string;
  /**
   * Mini-batches of `batchSize` synthetic images each worker explains before it reports ready (default
   * none), with the method and maps of the requests to come. A worker's first batches cost more than later
   * ones, as V8 optimises the JavaScript and tiers up the wasm kernels while they run (README, "Runtimes").
   */
  warmUp?: { batches: number } & Pick<ExplainRequest, 'method' | 'topK' | 'camTopK'>;
  /**
   * The library's setup of the model (ModelSetup), over what the folder's sightline.json and labels file say:
   * the preprocessing preset, the resize mode the scan stage uses, and the class names (one per model output).
   */
  setup?: { preprocessing?: PreprocessingPreset; resize?: ResizeMode; labels?: string[] };
}

/** Images per mini-batch on one worker unless EngineOptions.batchSize says otherwise. */
export const DEFAULT_BATCH_SIZE = 8;

export const ENGINE_RUNTIMES = ['auto', 'onnx', 'tfjs'] as const;
export type EngineRuntimeChoice = (typeof ENGINE_RUNTIMES)[number];

export interface ModelInfo {
  name: string;
  /** Content hash of the model's files: model.json and every weight shard, or model.onnx (hex sha256). */
  hash: string;
  /** Square input side in pixels (224 for the bundled MobileNet). */
  inputSize: number;
  preprocessing: PreprocessingPreset;
  /** From sightline.json (`resize`); default `stretch`. The engine gets pixels already resized: see ResizeMode. */
  resizeMode: ResizeMode;
  labels: string[];
  /** The target layer in use and its output size. */
  layer: string;
  layerShape: CandidateLayer['shape'];
  /** Each with its grid [h, w, C] and, on ONNX models, how the tensor maps to it (`layout`). */
  candidateLayers: CandidateLayer[];
}

export interface ExplainRequest {
  /**
   * `count` images, each RGB uint8, inputSize × inputSize × 3, row-major, already resized
   * (the scan stage resizes with sharp); preprocessing to the model's preset happens in the engine.
   */
  pixels: Uint8Array;
  count: number;
  /** How many top classes to return per image (default 3). */
  topK?: number;
  /** How many of those top classes get a map (default 1; 0 for predictions only). */
  camTopK?: number;
  /** Default GradCAM. */
  method?: CamMethod;
  /**
   * Per image, the class indices to map instead of its top `camTopK` (every image the same number);
   * one map per class.
   */
  classes?: number[][];
  /** Target layer for this request (one of ModelInfo.candidateLayers); default: the engine's layer. */
  layer?: string;
}

export interface ExplainResult {
  top: { index: number; prob: number }[];
  heatmaps: EngineHeatmap[];
}

export interface Engine {
  readonly model: ModelInfo;
  readonly backend: BackendReport;
  /** Worker threads behind this engine. */
  readonly workers?: number;
  explain(req: ExplainRequest): Promise<ExplainResult[]>;
  dispose(): Promise<void>;
}
