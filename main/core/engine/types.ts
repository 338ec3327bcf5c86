// The engine's public face. The engine runs in a worker thread; callers only see this interface.
import type { BackendName, BackendReport } from '../../../common/types';
import type { CamMethodName } from './cam/names';

export { CAM_METHODS, type CamMethodName } from './cam/names';

export interface EngineOptions {
  /** Folder holding model.json (+ shards), optionally sightline.json and labels. */
  modelDir: string;
  /** Force one backend (tests, benchmarks); default: the first that works in the chain. */
  backend?: BackendName;
  /** Target layer; default: the last layer with a 4-D spatial output before the head. */
  layer?: string;
}

export interface ModelInfo {
  name: string;
  /** Content hash of model.json and every weight shard (hex sha256). */
  hash: string;
  /** Square input side in pixels (224 for the bundled MobileNet). */
  inputSize: number;
  preprocessing: 'mobilenet' | 'caffe' | 'torch' | 'raw';
  labels: string[];
  /** The target layer in use and its output size. */
  layer: string;
  layerShape: [number, number, number];
  candidateLayers: { name: string; shape: [number, number, number] }[];
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
  method?: CamMethodName;
}

export interface EngineHeatmap {
  classIndex: number;
  h: number;
  w: number;
  /** Raw map after ReLU at the layer's resolution, row-major. */
  values: Float32Array;
  /** max(values), 0 for an all-zero map. */
  scale: number;
}

export interface ExplainResult {
  top: { index: number; prob: number }[];
  heatmaps: EngineHeatmap[];
}

export interface Engine {
  readonly model: ModelInfo;
  readonly backend: BackendReport;
  explain(req: ExplainRequest): Promise<ExplainResult[]>;
  dispose(): Promise<void>;
}
