// Writes a TF.js layers model as a Keras 3 `.keras` file, in the layout keras/src/saving/saving_lib.py documents:
// config.json in Keras 3's serialisation (module/registered_name, DTypePolicy objects, InputLayer batch_shape,
// inbound nodes as {args: [__keras_tensor__ …], kwargs}), metadata.json, and model.weights.h5 with each layer's
// variables at layers/<snake_case class>[_n]/vars/<i>. Keras itself did not write these files: they test the reader
// against the documented layout.
import type * as tf from '@tensorflow/tfjs-core';
import { toSnakeCase } from '../keras-v3';
import { groupAt, writeHdf5 } from './hdf5-writer';
import { storedZip } from './zip-writer';

type Keras2Layer = { class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes?: [string, number, number, unknown][][] };

/** Keras 3's variable order within a layer: trainable ones as the layer builds them, then the moving statistics. */
const VARIABLE_ORDER = ['kernel', 'depthwise_kernel', 'pointwise_kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];

export async function kerasV3File(artifacts: tf.io.ModelArtifacts): Promise<Uint8Array> {
  const layers = keras2Config(artifacts).config.layers as Keras2Layer[];
  const weights = weightsByLayer(artifacts);
  const config = keras3Config(artifacts);
  const weightsFile = await writeHdf5((file) => {
    const usedNames = new Map<string, number>();
    for (const layer of layers) {
      const base = toSnakeCase(layer.class_name);
      const seen = usedNames.get(base);
      usedNames.set(base, seen === undefined ? 0 : seen + 1);
      const key = seen === undefined ? base : `${base}_${seen + 1}`;
      const vars = groupAt(file, ['layers', key, 'vars']);
      const layerWeights = (weights.get(layerNameOf(layer)) ?? []).sort((a, b) => VARIABLE_ORDER.indexOf(a.variable) - VARIABLE_ORDER.indexOf(b.variable));
      layerWeights.forEach(({ shape, values }, i) => vars.create_dataset({ name: String(i), data: values, shape, dtype: '<f4' }));
    }
    groupAt(file, ['vars']);
  });
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  return storedZip([
    { name: 'metadata.json', bytes: json({ keras_version: '3.6.0', date_saved: '2026-12-06@07:00:00' }) },
    { name: 'config.json', bytes: json(config) },
    { name: 'model.weights.h5', bytes: weightsFile },
  ]);
}

/** The model's config as Keras 3 serialises a Functional model. */
export function keras3Config(artifacts: tf.io.ModelArtifacts): object {
  const modelConfig = keras2Config(artifacts);
  const layers = modelConfig.config.layers as Keras2Layer[];
  return {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: modelConfig.config.name,
      trainable: true,
      layers: layers.map(keras3Layer),
      // A single input and output: Keras 3 writes the tensor itself, not a list of them.
      input_layers: (modelConfig.config.input_layers as unknown[][])[0],
      output_layers: (modelConfig.config.output_layers as unknown[][])[0],
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: null,
  };
}

function keras2Config(artifacts: tf.io.ModelArtifacts) {
  return (artifacts.modelTopology as { model_config: { class_name: string; config: Record<string, unknown> } }).model_config;
}

function keras3Layer(layer: Keras2Layer): unknown {
  const name = layerNameOf(layer);
  const config: Record<string, unknown> = { ...layer.config, name };
  if (layer.class_name === 'InputLayer') {
    config.batch_shape = config.batch_input_shape;
    delete config.batch_input_shape;
  } else {
    config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    for (const key of Object.keys(config).filter((key) => key.endsWith('_initializer'))) {
      config[key] = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
    }
  }
  return {
    module: 'keras.layers',
    class_name: layer.class_name,
    config,
    registered_name: null,
    name,
    inbound_nodes: (layer.inbound_nodes ?? []).map((node) => {
      const tensors = node.map(([from, nodeIndex, tensorIndex]) => ({
        class_name: '__keras_tensor__',
        config: { shape: [null], dtype: 'float32', keras_history: [from, nodeIndex, tensorIndex] },
      }));
      return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} };
    }),
  };
}

function layerNameOf(layer: Keras2Layer): string {
  return (layer.config.name as string | undefined) ?? layer.name!;
}

function weightsByLayer(artifacts: tf.io.ModelArtifacts) {
  const data = new Float32Array(artifacts.weightData as ArrayBuffer);
  const byLayer = new Map<string, { variable: string; shape: number[]; values: Float32Array }[]>();
  let offset = 0;
  for (const { name, shape } of artifacts.weightSpecs!) {
    const count = shape.reduce((product, side) => product * side, 1);
    const [layer, variable] = name.split('/');
    if (!byLayer.has(layer)) byLayer.set(layer, []);
    byLayer.get(layer)!.push({ variable, shape, values: data.slice(offset, offset + count) });
    offset += count;
  }
  return byLayer;
}
