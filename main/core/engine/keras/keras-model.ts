// What both Keras file formats are read into, and how it becomes the TF.js artifacts that loadModel builds
// a layers model from: the Keras config as TF.js's modelTopology carries it, and one float32 buffer of weights.
import type * as tf from '@tensorflow/tfjs-core';

/** The largest Keras file read (VGG16 with its top is 528 MB): the reader holds the whole file in memory. */
export const MAX_KERAS_FILE_BYTES = 1024 * 1024 * 1024;

/** A layer's weight under the name TF.js gives it (`<layer>/<variable>`, e.g. `conv1_bn/gamma`). */
export interface KerasWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface KerasModel {
  /** The Keras 2 style config `{class_name, config}` (a Keras 3 config is converted to it), adapted to TF.js. */
  modelConfig: KerasConfig;
  /** The same before it was adapted to TF.js (tfjs-adapt.ts): the layers as Keras saved them, nested models unpacked. */
  savedLayers: KerasConfig;
  weights: KerasWeight[];
  kerasVersion: string | null;
  backend: string | null;
  /** Models that were nested in it as layers, now unpacked (a transfer-learning base model, e.g. vgg16). */
  nestedModels: string[];
}

export interface KerasConfig {
  class_name: string;
  config: Record<string, unknown> & { name?: string; layers?: KerasLayerConfig[] };
}

export interface KerasLayerConfig {
  class_name: string;
  /** Keras 3: the Python module of the class (`keras.layers`, `keras.src.ops.numpy` for an operation). */
  module?: string;
  name?: string;
  config: Record<string, unknown> & { name?: string };
  inbound_nodes?: unknown[];
}

/** The layers of a Functional or Sequential config (Keras 2.0/2.1 Sequential configs are a bare list). */
export function configLayers(modelConfig: KerasConfig): KerasLayerConfig[] {
  const { config } = modelConfig;
  const layers = Array.isArray(config) ? (config as KerasLayerConfig[]) : config.layers;
  if (!Array.isArray(layers)) throw new Error(`its model config (${modelConfig.class_name}) lists no layers`);
  return layers;
}

export function layerName(layer: KerasLayerConfig): string {
  return layer.config?.name ?? layer.name ?? '(unnamed)';
}

export function toArtifacts(model: KerasModel): tf.io.ModelArtifacts {
  const total = model.weights.reduce((sum, weight) => sum + weight.values.length, 0);
  const weightData = new Float32Array(total);
  let offset = 0;
  for (const weight of model.weights) {
    weightData.set(weight.values, offset);
    offset += weight.values.length;
  }
  return {
    modelTopology: {
      model_config: model.modelConfig,
      ...(model.kerasVersion && { keras_version: model.kerasVersion }),
      ...(model.backend && { backend: model.backend }),
    } as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: model.weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' as const })),
    weightData: weightData.buffer,
    format: 'layers-model',
  };
}
