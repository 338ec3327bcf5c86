// The engine itself, as it runs inside the worker thread: backend, model, target layer and the CAM pipeline.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport } from '../../../common/types';
import { selectBackend } from './backends';
import { CAM_METHODS } from './cam/names';
import { explainBatch, type CamMap, type CamRequest, type ImageExplanation } from './cam/pipeline';
import { cutAt, type GraphCut } from './cut';
import { layersForward, type ForwardStep } from './forward';
import { loadModel, type LoadedModel } from './model';
import { preprocess } from './preprocess';
import type { EngineHeatmap, EngineOptions, ExplainRequest, ExplainResult, ModelInfo } from './types';

export class LocalEngine {
  private readonly targets = new Map<string, CamTarget>();

  private constructor(
    readonly backend: BackendReport,
    private readonly loaded: LoadedModel,
    private readonly defaultTarget: CamTarget,
  ) {
    this.targets.set(defaultTarget.cut.layer.name, defaultTarget);
  }

  static async create(options: EngineOptions): Promise<LocalEngine> {
    // Production mode skips TF.js's debug checks and its console hints (e.g. "install tfjs-node").
    tf.enableProdMode();
    const backend = await selectBackend(options.backend);
    const loaded = await loadModel(options.modelDir);
    try {
      return new LocalEngine(backend, loaded, targetAt(loaded, options.layer));
    } catch (error) {
      loaded.dispose();
      throw error;
    }
  }

  get model(): ModelInfo {
    const { name, hash, inputSize, preprocessing, resizeMode, labels, spatialLayers } = this.loaded;
    return {
      name,
      hash,
      inputSize,
      preprocessing,
      resizeMode,
      labels,
      layer: this.defaultTarget.cut.layer.name,
      layerShape: this.defaultTarget.cut.layer.shape,
      candidateLayers: spatialLayers.map(({ name: layerName, shape }) => ({ name: layerName, shape })),
    };
  }

  explain(request: ExplainRequest): ExplainResult[] {
    const { count, topK = 3, camTopK = 1, method = 'GradCAM', classes, layer } = request;
    requireWholeNumber('count', count, 1);
    requireWholeNumber('topK', topK, 1);
    requireWholeNumber('camTopK', camTopK, 0);
    if (!CAM_METHODS.includes(method)) throw new Error(`Unknown CAM method ${method}; one of ${CAM_METHODS.join(', ')}`);
    const { inputSize, preprocessing } = this.loaded;
    const x = preprocess(request.pixels, count, inputSize, preprocessing);
    try {
      const explanations = this.explainTensor(x, { method, topK, camTopK: Math.min(camTopK, topK), classes, layer });
      return explanations.map(({ top, maps }) => ({ top, heatmaps: maps.map(toHeatmap) }));
    } finally {
      x.dispose();
    }
  }

  /** The pipeline on an already preprocessed batch, at any spatial layer (tests, benchmarks). */
  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): ImageExplanation[] {
    const { cut, forward } = this.targetFor(request.layer);
    return explainBatch(this.loaded.graph, cut, x, request, forward);
  }

  dispose(): void {
    this.targets.forEach((target) => target.forward.dispose());
    this.loaded.dispose();
  }

  private targetFor(layer: string | undefined): CamTarget {
    if (layer === undefined) return this.defaultTarget;
    let target = this.targets.get(layer);
    if (!target) {
      target = targetAt(this.loaded, layer);
      this.targets.set(layer, target);
    }
    return target;
  }
}

/** A target layer: where the graph is cut, and the fused forward pass that keeps what its head needs. */
interface CamTarget {
  cut: GraphCut;
  forward: ForwardStep;
}

function targetAt(loaded: LoadedModel, layer: string | undefined): CamTarget {
  const cut = cutAt(loaded, layer);
  return { cut, forward: layersForward(loaded.graph, [cut.layer.tensor, ...cut.constants]) };
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
