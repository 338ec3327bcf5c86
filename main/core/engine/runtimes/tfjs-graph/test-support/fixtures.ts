// Layers models for the graph-model tests, and their graph-model folders written by graph-model-writer.ts:
// the bundled MobileNet, a small residual net with seeded weights, and models Sightline must refuse.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readModelFolder } from '../../../model-folder';
import { defaultModelDir } from '../../../paths';
import { seededValues } from '../../../test-support/model-files';
import { baseName, writeGraphModelFolder, type WrittenGraphModel } from './graph-model-writer';

/** The bundled MobileNet as a layers model (the caller disposes it). */
export function bundledMobileNet(): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel({ load: async () => readModelFolder(defaultModelDir()).artifacts });
}

/** The bundled MobileNet written as a graph model to `dir`. */
export async function writeMobileNetGraph(dir: string): Promise<WrittenGraphModel> {
  const model = await bundledMobileNet();
  try {
    return writeGraphModelFolder(model, dir);
  } finally {
    model.dispose();
  }
}

type Symbolic = tfl.SymbolicTensor;

/**
 * 16² input, 5 classes: explicit zero padding and a stride-2 convolution without bias, batch norm and
 * ReLU6; a residual block (convolution with ReLU, depthwise convolution, batch norm) added to its input;
 * ReLU, max pooling, a 1×1 convolution, average pooling, flatten and a softmax dense layer.
 * block_bn and block_conv are targets whose head reads the skip connection stem_relu.
 */
export function residualNet(): tfl.LayersModel {
  const apply = (layer: tfl.layers.Layer, ...inputs: Symbolic[]) => layer.apply(inputs.length === 1 ? inputs[0] : inputs) as Symbolic;
  const input = tfl.input({ shape: [16, 16, 3], name: 'image' });
  let x = apply(tfl.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'stem_pad' }), input);
  x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false, name: 'stem_conv' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'stem_bn' }), x);
  const stem = apply(tfl.layers.reLU({ maxValue: 6, name: 'stem_relu' }), x);
  x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block_conv' }), stem);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'block_dw' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'block_bn' }), x);
  x = apply(tfl.layers.add({ name: 'block_add' }), x, stem);
  x = apply(tfl.layers.activation({ activation: 'relu', name: 'block_out' }), x);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), x);
  x = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6', name: 'head_conv' }), x);
  x = apply(tfl.layers.averagePooling2d({ poolSize: 2, name: 'avg' }), x);
  x = apply(tfl.layers.flatten({ name: 'flat' }), x);
  x = apply(tfl.layers.dense({ units: 5, activation: 'softmax', name: 'predictions' }), x);
  return seeded(tfl.model({ inputs: input, outputs: x, name: 'residual' }), 3);
}

/** Seeded uniform weights of variance about 1 / fan-in; batch-norm statistics near the identity. */
function seeded(model: tfl.LayersModel, seed: number): tfl.LayersModel {
  model.weights.forEach((weight, i) => {
    const name = baseName(weight.name);
    const shape = weight.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    const fanIn = name.endsWith('depthwise_kernel') ? shape[0] * shape[1] : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const scale = name.endsWith('kernel') ? Math.sqrt(6 / fanIn) : name.endsWith('moving_variance') ? 0.5 : 0.3;
    const offset = name.endsWith('gamma') || name.endsWith('moving_variance') ? 1 : 0;
    const values = seededValues(count, seed * 1000 + i).map((v) => scale * v + offset);
    weight.write(tf.tensor(values, shape));
  });
  return model;
}

/** A classifier over a flat feature vector: its input is not an image. */
export function vectorClassifier(): tfl.LayersModel {
  const input = tfl.input({ shape: [10], name: 'features' });
  const output = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'predictions' }).apply(input) as Symbolic;
  return tfl.model({ inputs: input, outputs: output });
}

/** An image classifier that pools at once: no spatial feature map to explain. */
export function poolingOnlyClassifier(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(input) as Symbolic;
  const output = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'predictions' }).apply(pooled) as Symbolic;
  return tfl.model({ inputs: input, outputs: output });
}

/** An image-to-image network: its output is a feature map, not class scores. */
export function featureMapNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const output = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(input) as Symbolic;
  return tfl.model({ inputs: input, outputs: output });
}
