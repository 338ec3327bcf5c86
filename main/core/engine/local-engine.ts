// The engine itself, as it runs inside the worker thread: backend, model, target layer and the CAM pipeline.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport } from '../../../common/types';
import { selectBackend } from './backends';
import { CAM_METHODS } from './cam/names';
import { explainBatch, type CamRequest, type CamMap, type ImageExplanation } from './cam/pipeline';
import { cutAt, type GraphCut } from './cut';
import { loadModel, type LoadedModel } from './model';
import { preprocess } from './preprocess';
import type { EngineHeatmap, EngineOptions, ExplainRequest, ExplainResult, ModelInfo } from './types';

export class LocalEngine {
  private readonly cuts = new Map<string, GraphCut>();

  private constructor(
    readonly backend: BackendReport,
    private readonly loaded: LoadedModel,
    private readonly defaultCut: GraphCut,
  ) {
    this.cuts.set(defaultCut.layer.name, defaultCut);
  }

  static async create(options: EngineOptions): Promise<LocalEngine> {
    // Production mode skips TF.js's debug checks and its console hints (e.g. "install tfjs-node").
    tf.enableProdMode();
    const backend = await selectBackend(options.backend);
    const loaded = await loadModel(options.modelDir);
    try {
      return new LocalEngine(backend, loaded, cutAt(loaded, options.layer));
    } catch (error) {
      loaded.dispose();
      throw error;
    }
  }

  get model(): ModelInfo {
    const { name, hash, inputSize, preprocessing, labels, spatialLayers } = this.loaded;
    return {
      name,
      hash,
      inputSize,
      preprocessing,
      labels,
      layer: this.defaultCut.layer.name,
      layerShape: this.defaultCut.layer.shape,
      candidateLayers: spatialLayers.map(({ name: layerName, shape }) => ({ name: layerName, shape })),
    };
  }

  explain(request: ExplainRequest): ExplainResult[] {
    const { count, topK = 3, camTopK = 1, method = 'GradCAM' } = request;
    requireWholeNumber('count', count, 1);
    requireWholeNumber('topK', topK, 1);
    requireWholeNumber('camTopK', camTopK, 0);
    if (!CAM_METHODS.includes(method)) throw new Error(`Unknown CAM method ${method}; one of ${CAM_METHODS.join(', ')}`);
    const { inputSize, preprocessing } = this.loaded;
    const x = preprocess(request.pixels, count, inputSize, preprocessing);
    try {
      const explanations = this.explainTensor(x, { method, topK, camTopK: Math.min(camTopK, topK) });
      return explanations.map(({ top, maps }) => ({ top, heatmaps: maps.map(toHeatmap) }));
    } finally {
      x.dispose();
    }
  }

  /** The pipeline on an already preprocessed batch, at any spatial layer (tests, benchmarks). */
  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): ImageExplanation[] {
    return explainBatch(this.loaded.graph, this.cutFor(request.layer), x, request);
  }

  dispose(): void {
    this.loaded.dispose();
  }

  private cutFor(layer: string | undefined): GraphCut {
    if (layer === undefined) return this.defaultCut;
    let cut = this.cuts.get(layer);
    if (!cut) {
      cut = cutAt(this.loaded, layer);
      this.cuts.set(layer, cut);
    }
    return cut;
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
