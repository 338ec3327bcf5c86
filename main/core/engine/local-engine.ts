// The engine itself, as it runs inside the worker thread: the TF.js backend (preprocessing and the head's
// gradient, and the whole network on the TF.js layers runtime), the runtime that computes the forward pass,
// and request checks.
import * as tf from '@tensorflow/tfjs-core';
import { CAM_METHOD_NAMES, DEFAULT_RUN, type BackendReport } from '../../../common/types';
import { selectBackend } from './backends';
import type { CamMap, CamRequest, ImageExplanation } from './cam/pipeline';
import { loadGraphRuntime } from './runtimes/tfjs-graph/runtime';
import { loadLayersFolder } from './model';
import { readAnyModelFolder } from './model-folder';
import { defaultOnnxCacheDir } from './runtimes/onnx/cache';
import { OnnxRuntime } from './runtimes/onnx/runtime';
import type { ExplainRuntime } from './runtime';
import { TfjsLayersRuntime } from './runtimes/tfjs-layers/runtime';
import { ENGINE_RUNTIMES, type EngineHeatmap, type EngineOptions, type ExplainRequest, type ExplainResult, type ModelInfo } from './types';

export class LocalEngine {
  private constructor(
    private readonly tfjsBackend: BackendReport,
    readonly runtime: ExplainRuntime,
  ) {}

  static async create(options: EngineOptions): Promise<LocalEngine> {
    // Production mode skips TF.js's debug checks and its console hints (e.g. "install tfjs-node").
    tf.enableProdMode();
    const choice = options.runtime ?? 'auto';
    if (!ENGINE_RUNTIMES.includes(choice)) throw new Error(`Unknown runtime ${String(choice)}; one of ${ENGINE_RUNTIMES.join(', ')}`);
    const backend = await selectBackend(options.backend);
    return new LocalEngine(backend, await openRuntime(options));
  }

  /** The TF.js backend chain's report, with the runtime that computes the forward pass. */
  get backend(): BackendReport {
    return { ...this.tfjsBackend, runtime: this.runtime.report };
  }

  get model(): ModelInfo {
    const { defaultLayer, candidateLayers, ...model } = this.runtime.model;
    const layer = candidateLayers.find((candidate) => candidate.name === defaultLayer);
    if (!layer) throw new Error(`The runtime's default layer ${defaultLayer} is not among its candidate layers`);
    return { ...model, layer: defaultLayer, layerShape: layer.shape, candidateLayers };
  }

  async explain(request: ExplainRequest): Promise<ExplainResult[]> {
    const { count, topK = DEFAULT_RUN.topK, camTopK = 1, method = DEFAULT_RUN.method, classes, layer } = request;
    requireWholeNumber('count', count, 1);
    requireWholeNumber('topK', topK, 1);
    requireWholeNumber('camTopK', camTopK, 0);
    if (!CAM_METHOD_NAMES.includes(method)) throw new Error(`Unknown CAM method ${method}; one of ${CAM_METHOD_NAMES.join(', ')}`);
    const { inputSize, preprocessing } = this.runtime.model;
    const batch = { pixels: request.pixels, count, size: inputSize, preset: preprocessing };
    const explanations = await this.runtime.explainPixels(batch, { method, topK, camTopK: Math.min(camTopK, topK), classes, layer });
    return explanations.map(({ top, maps }) => ({ top, heatmaps: maps.map(toHeatmap) }));
  }

  /** Explains `batches` batches of `count` synthetic images (see EngineOptions.warmUp). */
  async warmUp({ batches, ...request }: NonNullable<EngineOptions['warmUp']>, count: number): Promise<void> {
    const { inputSize } = this.runtime.model;
    // Varied bytes, so that every activation and mask is exercised as with photos.
    const pixels = new Uint8Array(count * inputSize * inputSize * 3).map((_, i) => (i * 2654435761) >>> 24);
    for (let batch = 0; batch < batches; batch++) await this.explain({ ...request, pixels, count });
  }

  /** The pipeline on an already preprocessed batch, at any spatial layer (tests, benchmarks). */
  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return this.runtime.explainTensor(x, request);
  }

  dispose(): Promise<void> {
    return this.runtime.dispose();
  }
}

/** The folder's runtime, with the library's setup of the model (EngineOptions.setup) over the folder's settings. */
async function openRuntime(options: EngineOptions): Promise<ExplainRuntime> {
  const runtime = await openFolderRuntime(options);
  const { preprocessing, resize, labels } = options.setup ?? {};
  const { model } = runtime;
  if (labels && labels.length !== model.labels.length) {
    await runtime.dispose();
    throw new Error(`The setup names ${labels.length} classes, but the model in ${options.modelDir} has ${model.labels.length} outputs`);
  }
  Object.assign(model, { preprocessing: preprocessing ?? model.preprocessing, resizeMode: resize ?? model.resizeMode, labels: labels ?? model.labels });
  return runtime;
}

/**
 * The runtime for the model (a folder or a model file): ONNX → ONNX Runtime; a TF.js graph model → graph/; a
 * TF.js layers model → ONNX Runtime or TF.js as `options.runtime` says.
 */
async function openFolderRuntime(options: EngineOptions): Promise<ExplainRuntime> {
  const { modelDir, layer, runtime: choice = 'auto' } = options;
  const onnxOptions = { cacheDir: options.onnxCacheDir ?? defaultOnnxCacheDir() };
  const folder = readAnyModelFolder(modelDir);
  switch (folder.format) {
    case 'onnx':
      if (choice === 'tfjs') throw new Error(`${folder.file} is an ONNX model: it runs on ONNX Runtime, not with runtime tfjs`);
      return OnnxRuntime.fromFolder(folder, layer, onnxOptions);
    case 'graph':
      if (choice === 'onnx') throw new Error(`model.json in ${modelDir} is a TF.js graph model: it runs on TF.js, not with runtime onnx`);
      return loadGraphRuntime(folder, layer);
    case 'layers':
      break;
  }
  const loaded = await loadLayersFolder(folder);
  try {
    if (choice === 'tfjs') return new TfjsLayersRuntime(loaded, layer);
    const onnx = await OnnxRuntime.fromLayersModel(loaded, layer, onnxOptions);
    if (onnx.runtime) return onnx.runtime;
    if (choice === 'onnx') throw new Error(`The model in ${modelDir} cannot run on ONNX Runtime: ${onnx.reason}`);
    return new TfjsLayersRuntime(loaded, layer, onnx.reason);
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}

function requireWholeNumber(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min}, not ${value}`);
}

/** The stored form of a map: after the ReLU that every method gets, with its maximum as scale. */
export function toHeatmap(map: CamMap): EngineHeatmap {
  const values = map.preRelu.map((value) => Math.max(value, 0));
  const scale = values.reduce((max, value) => Math.max(max, value), 0);
  return { classIndex: map.classIndex, h: map.h, w: map.w, values, scale };
}
