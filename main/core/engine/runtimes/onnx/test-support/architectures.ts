// Models built in code for the ONNX tests and benchmark: a VGG16 architecture and a small residual net
// that uses every layer kind the converter handles, both with seeded random weights.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { seededValues } from '../../../test-support/model-files';

/** Keras' VGG16 with its classifier (random weights). At 32² the last pooling leaves 1 × 1 × 512. */
export function vgg16(inputSize: number, classes = 1000): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize, inputSize, 3] });
  let x: tfl.SymbolicTensor = input;
  const blocks = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];
  blocks.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `block${b + 1}_conv${c}` }).apply(x) as tfl.SymbolicTensor;
    }
    x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 4096, activation: 'relu', name: 'fc1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 4096, activation: 'relu', name: 'fc2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }).apply(x) as tfl.SymbolicTensor;
  return seeded(tfl.model({ inputs: input, outputs: x, name: 'vgg16' }), 16);
}

/**
 * 32² input, 10 classes: a stride-2 stem after explicit zero padding, a residual block of separable and
 * depthwise convolutions, a stride-2 `same` convolution on an even size (Keras pads bottom/right only),
 * a squeeze-and-excitation gate, a concatenation with a max-pooled branch, average pooling, and a head
 * that concatenates a flattened map with a global max pool.
 */
export function residualNet(): tfl.LayersModel {
  const apply = (layer: tfl.layers.Layer, ...inputs: tfl.SymbolicTensor[]) =>
    layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [32, 32, 3] });
  let x = apply(tfl.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'stem_pad' }), input);
  x = apply(tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, useBias: false, name: 'stem_conv' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'stem_bn' }), x);
  const stem = apply(tfl.layers.reLU({ maxValue: 6, name: 'stem_relu' }), x);
  x = apply(tfl.layers.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'res_sep' }), stem);
  x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 1, activation: 'swish', name: 'res_dw' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'res_bn' }), x);
  x = apply(tfl.layers.add({ name: 'res_add' }), x, stem);
  x = apply(tfl.layers.leakyReLU({ alpha: 0.1, name: 'res_out' }), x);
  const features = apply(tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'down' }), x);
  let gate = apply(tfl.layers.globalAveragePooling2d({ name: 'se_pool' }), features);
  gate = apply(tfl.layers.dense({ units: 8, activation: 'relu', name: 'se_reduce' }), gate);
  gate = apply(tfl.layers.dense({ units: 32, activation: 'hardSigmoid', name: 'se_expand' }), gate);
  gate = apply(tfl.layers.reshape({ targetShape: [1, 1, 32], name: 'se_reshape' }), gate);
  const gated = apply(tfl.layers.multiply({ name: 'se_scale' }), features, gate);
  const pooled = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'branch_pool' }), gated);
  x = apply(tfl.layers.concatenate({ axis: -1, name: 'merge' }), gated, pooled);
  x = apply(tfl.layers.averagePooling2d({ poolSize: 2, name: 'avg' }), x);
  x = apply(tfl.layers.conv2d({ filters: 24, kernelSize: 1, activation: 'tanh', name: 'last_conv' }), x);
  const flat = apply(tfl.layers.flatten({ name: 'flat' }), x);
  const peak = apply(tfl.layers.globalMaxPooling2d({ name: 'peak' }), x);
  x = apply(tfl.layers.concatenate({ name: 'head_merge' }), flat, peak);
  x = apply(tfl.layers.dropout({ rate: 0.5, name: 'drop' }), x);
  x = apply(tfl.layers.dense({ units: 10, activation: 'softmax', name: 'predictions' }), x);
  return seeded(tfl.model({ inputs: input, outputs: x, name: 'residual' }), 7);
}

/**
 * Seeded uniform weights that keep activations of order 1 through deep stacks: kernels with variance
 * 1 / fan-in (He-like for ReLU nets), small biases, and batch-norm statistics near the identity.
 */
function seeded(model: tfl.LayersModel, seed: number): tfl.LayersModel {
  model.weights.forEach((weight, i) => {
    const shape = weight.shape as number[];
    const values = seededValues(shape.reduce((a, b) => a * b, 1), seed * 1000 + i);
    // originalName: a second model with the same layer names gets `…/moving_variance_1`, whose suffix would
    // turn its variances into random values of either sign (NaN after batch norm).
    const name = weight.originalName;
    weight.write(tf.tensor(values.map((v) => scaleFor(name, shape) * v + offsetFor(name)), shape));
  });
  return model;
}

function scaleFor(name: string, shape: number[]): number {
  if (name.endsWith('kernel')) {
    const fanIn = name.endsWith('depthwise_kernel') ? shape[0] * shape[1] : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return Math.sqrt(6 / fanIn);
  }
  return name.endsWith('moving_variance') ? 0.5 : 0.2;
}

function offsetFor(name: string): number {
  return name.endsWith('gamma') || name.endsWith('moving_variance') ? 1 : 0;
}
