// One TF.js layer call as ONNX nodes. Every 4-D tensor is NCHW in the ONNX graph (ONNX Runtime's CPU
// kernels want it), so weights are transposed here and layers that depend on Keras' channels-last element
// order (Flatten, Reshape, Dense on 4-D) go back to NHWC around themselves; ONNX Runtime cancels the
// transposes that meet.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { GraphBuilder } from './graph-builder';

type Layer = tfl.SymbolicTensor['sourceLayer'];
type Shape = (number | null)[];

export class UnsupportedLayerError extends Error {}

export interface LayerCall {
  layer: Layer;
  /** ONNX names of the inputs, with their Keras shapes. */
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  /** Name for the layer's output tensor. */
  output: string;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Keras axis of a 4-D channels-last tensor → the same axis in NCHW. */
const NCHW_AXIS = [0, 2, 3, 1];

interface Config {
  [key: string]: unknown;
  activation?: string;
  dataFormat?: string;
  padding?: 'valid' | 'same' | number[][];
  strides?: number[];
  dilationRate?: number | number[];
  useBias?: boolean;
}

/** Emits the layer's nodes, the last one writing `call.output`. */
export function emitLayer(b: GraphBuilder, call: LayerCall): void {
  const { layer } = call;
  const className = layer.getClassName();
  const config = layer.getConfig() as Config;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new UnsupportedLayerError(`layer ${layer.name} (${className}) uses ${config.dataFormat}; only channels-last layers convert`);
  }
  const emit = EMITTERS[className];
  if (!emit) throw new UnsupportedLayerError(`layer ${layer.name} is a ${className}, which the ONNX converter does not handle`);
  const result = emit(b, call, config);
  if (result !== call.output) b.op('Identity', [result], {}, layer.name, call.output);
}

type Emitter = (b: GraphBuilder, call: LayerCall, config: Config) => string;

const EMITTERS: Record<string, Emitter> = {
  Conv2D: (b, { layer, inputs }, config) => {
    const kernel = weight(layer, 'kernel');
    const conv = b.op('Conv', [inputs[0], b.floats(`${layer.name}/kernel`, transposed(kernel, [3, 2, 0, 1]), permute(kernel.shape, [3, 2, 0, 1])), ...bias(b, layer, config)], convAttributes(layer, config, kernel.shape, 1), layer.name);
    return activation(b, conv, config.activation, 1, layer.name);
  },
  DepthwiseConv2D: (b, { layer, inputs }, config) => {
    const conv = depthwise(b, layer, inputs[0], config, 'depthwise_kernel', bias(b, layer, config));
    return activation(b, conv, config.activation, 1, layer.name);
  },
  SeparableConv2D: (b, { layer, inputs }, config) => {
    const spatial = depthwise(b, layer, inputs[0], config, 'depthwise_kernel', []);
    const pointwise = weight(layer, 'pointwise_kernel');
    const kernel = b.floats(`${layer.name}/pointwise_kernel`, transposed(pointwise, [3, 2, 0, 1]), permute(pointwise.shape, [3, 2, 0, 1]));
    const conv = b.op('Conv', [spatial, kernel, ...bias(b, layer, config)], { kernel_shape: [1, 1] }, layer.name);
    return activation(b, conv, config.activation, 1, layer.name);
  },
  BatchNormalization: (b, { layer, inputs, inputShapes }, config) => {
    const rank = inputShapes[0].length;
    const axis = config.axis as number | number[];
    if ((Array.isArray(axis) ? axis : [axis]).some((a) => a !== -1 && a !== rank - 1)) {
      throw new UnsupportedLayerError(`layer ${layer.name} normalises over axis ${String(axis)}; only the channel axis converts`);
    }
    if (rank !== 4 && rank !== 2) throw new UnsupportedLayerError(`layer ${layer.name} normalises a ${rank}-D tensor`);
    const mean = weight(layer, 'moving_mean');
    const channels = mean.shape[0];
    const named = (suffix: string, enabled: unknown, fill: number) =>
      enabled ? values(weight(layer, suffix)) : new Float32Array(channels).fill(fill);
    const params = [
      named('gamma', config.scale, 1),
      named('beta', config.center, 0),
      values(mean),
      values(weight(layer, 'moving_variance')),
    ].map((data, i) => b.floats(`${layer.name}/${['scale', 'bias', 'mean', 'var'][i]}`, data, [channels]));
    return b.op('BatchNormalization', [inputs[0], ...params], { epsilon: { float: config.epsilon as number } }, layer.name);
  },
  Activation: (b, { layer, inputs, inputShapes }, config) =>
    activation(b, inputs[0], config.activation, channelAxis(-1, inputShapes[0].length, layer), layer.name),
  ReLU: (b, { layer, inputs }, config) => {
    if (config.maxValue == null) return b.op('Relu', [inputs[0]], {}, layer.name);
    return b.op('Clip', [inputs[0], b.scalar(`${layer.name}/min`, 0), b.scalar(`${layer.name}/max`, config.maxValue as number)], {}, layer.name);
  },
  LeakyReLU: (b, { layer, inputs }, config) => b.op('LeakyRelu', [inputs[0]], { alpha: { float: config.alpha as number } }, layer.name),
  Softmax: (b, { layer, inputs, inputShapes }, config) =>
    b.op('Softmax', [inputs[0]], { axis: channelAxis(config.axis as number, inputShapes[0].length, layer) }, layer.name),
  ZeroPadding2D: (b, { layer, inputs }, config) => {
    const [[top, bottom], [left, right]] = config.padding as number[][];
    return b.op('Pad', [inputs[0], b.int64s(`${layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right])], {}, layer.name);
  },
  MaxPooling2D: (b, call, config) => pool(b, call, config, 'MaxPool'),
  AveragePooling2D: (b, call, config) => pool(b, call, config, 'AveragePool'),
  GlobalAveragePooling2D: (b, call) => globalPool(b, call, 'GlobalAveragePool'),
  GlobalMaxPooling2D: (b, call) => globalPool(b, call, 'GlobalMaxPool'),
  // Keras' keepdims=True, as keras/tfjs-extensions.ts registers it: [N, 1, 1, C].
  GlobalAveragePooling2DKeepdims: (b, call) => globalPool(b, call, 'GlobalAveragePool'),
  GlobalMaxPooling2DKeepdims: (b, call) => globalPool(b, call, 'GlobalMaxPool'),
  Dense: (b, { layer, inputs, inputShapes }, config) => {
    const rank = inputShapes[0].length;
    const kernel = weight(layer, 'kernel');
    const input = toKeras(b, inputs[0], rank, layer.name);
    const kernelName = b.floats(`${layer.name}/kernel`, values(kernel), kernel.shape);
    const product =
      rank === 2
        ? b.op('Gemm', [input, kernelName, ...bias(b, layer, config)], {}, layer.name)
        : addBias(b, b.op('MatMul', [input, kernelName], {}, layer.name), layer, config);
    return toOnnxLayout(b, activation(b, product, config.activation, rank - 1, layer.name), rank, layer.name);
  },
  Flatten: (b, { layer, inputs, inputShapes }) => b.op('Flatten', [toKeras(b, inputs[0], inputShapes[0].length, layer.name)], { axis: 1 }, layer.name),
  Reshape: (b, { layer, inputs, inputShapes, outputShape }, config) => {
    const shape = b.int64s(`${layer.name}/shape`, [0, ...(config.targetShape as number[])]);
    const reshaped = b.op('Reshape', [toKeras(b, inputs[0], inputShapes[0].length, layer.name), shape], {}, layer.name);
    return toOnnxLayout(b, reshaped, outputShape.length, layer.name);
  },
  Rescaling: (b, { layer, inputs, inputShapes }, config) => {
    const rank = inputShapes[0].length;
    const constant = (what: string, value: unknown) => {
      if (typeof value === 'number') return b.scalar(`${layer.name}/${what}`, value);
      const values = Array.isArray(value) ? value.flat(3) : null;
      if (!values?.every((v) => typeof v === 'number')) throw new UnsupportedLayerError(`layer ${layer.name} has a ${what} of ${JSON.stringify(value)}`);
      // One value per channel, Keras' last axis: NCHW's second for a 4-D tensor.
      const shape = rank === 4 ? [values.length, 1, 1] : [values.length];
      return b.floats(`${layer.name}/${what}`, Float32Array.from(values as number[]), shape);
    };
    const scaled = b.op('Mul', [inputs[0], constant('scale', config.scale)], {}, layer.name);
    return b.op('Add', [scaled, constant('offset', config.offset ?? 0)], {}, layer.name);
  },
  LayerScale: (b, { layer, inputs, inputShapes }) => {
    const gamma = weight(layer, 'gamma');
    const shape = inputShapes[0].length === 4 ? [gamma.shape[0], 1, 1] : gamma.shape;
    return b.op('Mul', [inputs[0], b.floats(`${layer.name}/gamma`, values(gamma), shape)], {}, layer.name);
  },
  Cropping2D: (b, { layer, inputs, inputShapes }, config) => {
    const [[top, bottom], [left, right]] = config.cropping as number[][];
    const [, height, width] = inputShapes[0] as number[];
    const starts = b.int64s(`${layer.name}/starts`, [top, left]);
    const ends = b.int64s(`${layer.name}/ends`, [height - bottom, width - right]);
    return b.op('Slice', [inputs[0], starts, ends, b.int64s(`${layer.name}/axes`, [2, 3])], {}, layer.name);
  },
  LayerNormalization: (b, { layer, inputs, inputShapes }, config) => {
    // Over Keras' last axis only: NCHW's channel axis for a 4-D tensor. Opset 13 has no LayerNormalization node.
    const rank = inputShapes[0].length;
    const axes = (Array.isArray(config.axis) ? config.axis : [config.axis]) as number[];
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) {
      throw new UnsupportedLayerError(`layer ${layer.name} normalises over axes ${JSON.stringify(config.axis)}; only the last axis converts`);
    }
    const axis = rank === 4 ? 1 : rank - 1;
    const mean = b.op('ReduceMean', [inputs[0]], { axes: [axis], keepdims: 1 }, layer.name);
    const centred = b.op('Sub', [inputs[0], mean], {}, layer.name);
    const variance = b.op('ReduceMean', [b.op('Mul', [centred, centred], {}, layer.name)], { axes: [axis], keepdims: 1 }, layer.name);
    const deviation = b.op('Sqrt', [b.op('Add', [variance, b.scalar(`${layer.name}/epsilon`, config.epsilon as number)], {}, layer.name)], {}, layer.name);
    let out = b.op('Div', [centred, deviation], {}, layer.name);
    const channelShape = (tensor: tf.Tensor) => (rank === 4 ? [tensor.shape[0], 1, 1] : tensor.shape);
    if (config.scale !== false) {
      const gamma = weight(layer, 'gamma');
      out = b.op('Mul', [out, b.floats(`${layer.name}/gamma`, values(gamma), channelShape(gamma))], {}, layer.name);
    }
    if (config.center !== false) {
      const beta = weight(layer, 'beta');
      out = b.op('Add', [out, b.floats(`${layer.name}/beta`, values(beta), channelShape(beta))], {}, layer.name);
    }
    return out;
  },
  Dropout: (_b, { inputs }) => inputs[0],
  SpatialDropout1D: (_b, { inputs }) => inputs[0],
  GaussianNoise: (_b, { inputs }) => inputs[0],
  GaussianDropout: (_b, { inputs }) => inputs[0],
  Add: (b, call) => elementwise(b, call, 'Add'),
  Multiply: (b, call) => elementwise(b, call, 'Mul'),
  Concatenate: (b, { layer, inputs, inputShapes }, config) =>
    b.op('Concat', inputs, { axis: channelAxis(config.axis as number, inputShapes[0].length, layer) }, layer.name),
};

/** A layer's weight by its Keras name; TF.js appends `_1`, `_2`… when a name was taken by another model. */
function weight(layer: Layer, suffix: string): tf.Tensor {
  const pattern = new RegExp(`(^|/)${suffix}(_\\d+)?$`);
  const index = layer.weights.findIndex((w) => pattern.test(w.name));
  if (index < 0) throw new Error(`layer ${layer.name} has no ${suffix} weight among ${layer.weights.map((w) => w.name).join(', ')}`);
  return layer.getWeights()[index];
}

function values(tensor: tf.Tensor): Float32Array {
  return tensor.dataSync() as Float32Array;
}

function transposed(tensor: tf.Tensor, perm: number[]): Float32Array {
  // Not through tf.tidy: tidy walks whatever it returns looking for tensors, element by element for a typed
  // array (0.8 s per conversion of MobileNet, spent in every worker that converts).
  const result = tf.transpose(tensor, perm);
  try {
    return result.dataSync() as Float32Array;
  } finally {
    result.dispose();
  }
}

function permute(shape: number[], perm: number[]): number[] {
  return perm.map((axis) => shape[axis]);
}

function bias(b: GraphBuilder, layer: Layer, config: Config): string[] {
  if (!config.useBias) return [];
  const tensor = weight(layer, 'bias');
  return [b.floats(`${layer.name}/bias`, values(tensor), tensor.shape)];
}

function addBias(b: GraphBuilder, input: string, layer: Layer, config: Config): string {
  return config.useBias ? b.op('Add', [input, ...bias(b, layer, config)], {}, layer.name) : input;
}

function pair(value: number | number[] | undefined, fallback: number): number[] {
  if (value === undefined || value === null) return [fallback, fallback];
  return Array.isArray(value) ? value : [value, value];
}

/** Keras `same` pads the extra row and column at the end (bottom/right), as ONNX's SAME_UPPER does. */
function convAttributes(layer: Layer, config: Config, kernelShape: number[], group: number) {
  if (config.padding !== 'same' && config.padding !== 'valid') {
    throw new UnsupportedLayerError(`layer ${layer.name} has padding ${String(config.padding)}`);
  }
  return {
    kernel_shape: kernelShape.slice(0, 2),
    strides: pair(config.strides, 1),
    dilations: pair(config.dilationRate, 1),
    auto_pad: config.padding === 'same' ? 'SAME_UPPER' : 'VALID',
    group,
  };
}

/** Keras depthwise kernel [kh, kw, C, m] → grouped ONNX Conv weight [C·m, 1, kh, kw] (output channel c·m + j). */
function depthwise(b: GraphBuilder, layer: Layer, input: string, config: Config, suffix: string, biasInputs: string[]): string {
  const kernel = weight(layer, suffix);
  const [kh, kw, channels, multiplier] = kernel.shape;
  const flat = tf.reshape(kernel, [kh, kw, channels * multiplier]);
  const data = transposed(flat, [2, 0, 1]);
  flat.dispose();
  const weights = b.floats(`${layer.name}/${suffix}`, data, [channels * multiplier, 1, kh, kw]);
  return b.op('Conv', [input, weights, ...biasInputs], convAttributes(layer, config, kernel.shape, channels), layer.name);
}

function pool(b: GraphBuilder, { layer, inputs }: LayerCall, config: Config, opType: 'MaxPool' | 'AveragePool'): string {
  if (config.padding !== 'same' && config.padding !== 'valid') {
    throw new UnsupportedLayerError(`layer ${layer.name} has padding ${String(config.padding)}`);
  }
  const poolSize = pair(config.poolSize as number[], 2);
  return b.op(
    opType,
    [inputs[0]],
    {
      kernel_shape: poolSize,
      strides: config.strides ? pair(config.strides, 1) : poolSize,
      auto_pad: config.padding === 'same' ? 'SAME_UPPER' : 'VALID',
    },
    layer.name,
  );
}

function globalPool(b: GraphBuilder, { layer, inputs, outputShape }: LayerCall, opType: string): string {
  const pooled = b.op(opType, [inputs[0]], {}, layer.name);
  return outputShape.length === 2 ? b.op('Flatten', [pooled], { axis: 1 }, layer.name) : pooled;
}

function elementwise(b: GraphBuilder, { layer, inputs, inputShapes }: LayerCall, opType: string): string {
  if (new Set(inputShapes.map((shape) => shape.length)).size !== 1) {
    throw new UnsupportedLayerError(`layer ${layer.name} (${layer.getClassName()}) combines tensors of different ranks`);
  }
  return inputs.slice(1).reduce((sum, input) => b.op(opType, [sum, input], {}, layer.name), inputs[0]);
}

function channelAxis(axis: number, rank: number, layer: Layer): number {
  const kerasAxis = axis < 0 ? rank + axis : axis;
  if (kerasAxis < 0 || kerasAxis >= rank) throw new UnsupportedLayerError(`layer ${layer.name} uses axis ${axis}`);
  return rank === 4 ? NCHW_AXIS[kerasAxis] : kerasAxis;
}

function toKeras(b: GraphBuilder, input: string, rank: number, hint: string): string {
  return rank === 4 ? b.op('Transpose', [input], { perm: TO_NHWC }, hint) : input;
}

function toOnnxLayout(b: GraphBuilder, input: string, rank: number, hint: string): string {
  return rank === 4 ? b.op('Transpose', [input], { perm: TO_NCHW }, hint) : input;
}

/** A Keras activation by name; softmax runs along `channels`, the ONNX axis of Keras' last axis. */
function activation(b: GraphBuilder, input: string, name: string | undefined, channels: number, hint: string): string {
  switch (name ?? 'linear') {
    case 'linear':
      return input;
    case 'relu':
      return b.op('Relu', [input], {}, hint);
    case 'relu6':
      return b.op('Clip', [input, b.scalar(`${hint}/min`, 0), b.scalar(`${hint}/max`, 6)], {}, hint);
    case 'sigmoid':
      return b.op('Sigmoid', [input], {}, hint);
    case 'hardSigmoid':
      return b.op('HardSigmoid', [input], { alpha: { float: 0.2 }, beta: { float: 0.5 } }, hint);
    case 'swish':
      return b.op('Mul', [input, b.op('Sigmoid', [input], {}, hint)], {}, hint);
    case 'hardSilu':
      return b.op('Mul', [input, b.op('HardSigmoid', [input], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, hint)], {}, hint);
    case 'keras3HardSigmoid':
      return b.op('HardSigmoid', [input], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, hint);
    case 'gelu': {
      // x · Φ(x) = x · (1 + erf(x / √2)) / 2, the exact form TF.js and Keras compute.
      const erf = b.op('Erf', [b.op('Mul', [input, b.scalar(`${hint}/inv_sqrt2`, Math.SQRT1_2)], {}, hint)], {}, hint);
      const cdf = b.op('Mul', [b.op('Add', [erf, b.scalar(`${hint}/one`, 1)], {}, hint), b.scalar(`${hint}/half`, 0.5)], {}, hint);
      return b.op('Mul', [input, cdf], {}, hint);
    }
    case 'leakyRelu':
      return b.op('LeakyRelu', [input], { alpha: { float: 0.2 } }, hint);
    case 'tanh':
      return b.op('Tanh', [input], {}, hint);
    case 'elu':
      return b.op('Elu', [input], {}, hint);
    case 'softplus':
      return b.op('Softplus', [input], {}, hint);
    case 'softmax':
      return b.op('Softmax', [input], { axis: channels }, hint);
    default:
      throw new UnsupportedLayerError(`layer ${hint} uses the ${name} activation, which the ONNX converter does not handle`);
  }
}
