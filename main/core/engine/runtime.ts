// What runs a model inside one engine worker. LocalEngine picks one per model folder: the TF.js layers
// path (layers models), ONNX Runtime with a TF.js head (layers models that convert, and model.onnx
// folders), or a TF.js graph model (runtimes/tfjs-graph/). Each says which it is, and why a faster one was not used.
import type * as tf from '@tensorflow/tfjs-core';
import type { CandidateLayer, RuntimeReport } from '../../../common/types';
import type { CamRequest, ImageExplanation } from './cam/pipeline';
import type { LoadedModel } from './model';
import type { PixelBatch } from './preprocess';

export type { RuntimeName, RuntimeReport } from '../../../common/types';

/** What every runtime says about its model: a loaded layers model's own description (hash = content hash of
 * the model's files), with the candidate layers and the default one. */
export interface RuntimeModel extends Pick<LoadedModel, 'name' | 'hash' | 'inputSize' | 'preprocessing' | 'resizeMode' | 'labels'> {
  /** Layers (or graph nodes / ONNX tensors) with a spatial grid, in network order, as [h, w, C]. */
  candidateLayers: CandidateLayer[];
  /** The layer used when a request names none. */
  defaultLayer: string;
}

export interface ExplainRuntime {
  readonly report: RuntimeReport;
  readonly model: RuntimeModel;
  /** The CAM pipeline on a preprocessed NHWC float batch, at `request.layer` or the default layer. */
  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]>;
  /** The same on the scan stage's pixels, preprocessed the way this runtime reads them best. */
  explainPixels(batch: PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]>;
  dispose(): Promise<void>;
}

/** What a runtime built on a loaded TF.js layers model says about it, at its default layer. */
export function runtimeModelOf(loaded: LoadedModel, defaultLayer: string): RuntimeModel {
  const { name, hash, inputSize, preprocessing, resizeMode, labels, spatialLayers } = loaded;
  return {
    name,
    hash,
    inputSize,
    preprocessing,
    resizeMode,
    labels,
    candidateLayers: spatialLayers.map(({ name: layerName, shape }) => ({ name: layerName, shape })),
    defaultLayer,
  };
}
