// The forward pass merges each linear convolution with the batch normalisation and the ReLU/ReLU6 that
// follow it into one fused kernel call: the normalisation is folded into the kernel and bias
// (Ioffe & Szegedy, "Batch Normalization", ICML 2015, arXiv:1502.03167, Alg. 2: at inference
// y = γ·(x − μ)/√(σ² + ε) + β is an affine map per channel), and the activation runs inside the kernel.
// Layer by layer, MobileNet spends more time in its normalisation and ReLU6 layers than in its convolutions.
// Only the forward pass does this; the head keeps the layers as they are, for their gradients.
import * as tf from '@tensorflow/tfjs-core';
import { applyGraphOp, type GraphOp, type LayerGraph, type TensorOp } from './layer-graph';

type Layer = NonNullable<GraphOp['layer']>;
type FusedActivation = 'linear' | 'relu' | 'relu6';

export interface PlannedOp extends TensorOp {
  apply(inputs: tf.Tensor[]): tf.Tensor | tf.Tensor[];
}

export interface ForwardPlan {
  ops: PlannedOp[];
  /** The folded kernels and biases, owned by the plan. */
  weights: tf.Tensor[];
}

interface ConvolutionConfig {
  strides: [number, number];
  padding: 'valid' | 'same';
  dataFormat: 'channelsLast' | 'channelsFirst';
  dilationRate: [number, number] | number;
  activation: string;
  useBias: boolean;
}

/**
 * The graph's ops, with convolution → batch norm → activation chains merged. A chain is only merged where
 * nobody else reads the tensors inside it: `observed` (tensors the caller keeps) and tensors with a second
 * reader end a chain.
 */
export function planForward(graph: LayerGraph, observed: Set<number>): ForwardPlan {
  const readers = new Map<number, GraphOp[]>();
  for (const op of graph.ops) for (const id of op.inputs) readers.set(id, [...(readers.get(id) ?? []), op]);
  const soleReader = (id: number): GraphOp | null => {
    const ops = readers.get(id) ?? [];
    return ops.length === 1 && !observed.has(id) && id !== graph.output ? ops[0] : null;
  };
  const absorbed = new Set<GraphOp>();
  const ops: PlannedOp[] = [];
  const weights: tf.Tensor[] = [];
  for (const op of graph.ops) {
    if (absorbed.has(op)) continue;
    const convolution = linearConvolution(op);
    if (!convolution) {
      ops.push({ ...op, apply: (inputs) => applyGraphOp(op, inputs) });
      continue;
    }
    let output = op.outputs[0];
    let normalisation: Layer | null = null;
    let activation: FusedActivation = 'linear';
    let next = soleReader(output);
    if (next?.layer && isChannelNormalisation(next.layer)) {
      normalisation = next.layer;
      absorbed.add(next);
      output = next.outputs[0];
      next = soleReader(output);
    }
    const nextActivation = next?.layer ? fusableActivation(next.layer) : null;
    if (next && nextActivation) {
      activation = nextActivation;
      absorbed.add(next);
      output = next.outputs[0];
    }
    const { kernel, bias } = foldedWeights(convolution, normalisation);
    weights.push(kernel, ...(bias ? [bias] : []));
    ops.push({
      name: op.name,
      inputs: op.inputs,
      outputs: [output],
      apply: ([x]) => fusedConvolution(convolution, x as tf.Tensor4D, kernel, bias, activation),
    });
  }
  return { ops, weights };
}

interface Convolution {
  depthwise: boolean;
  config: ConvolutionConfig;
  layer: Layer;
}

/** A channels-last Conv2D or DepthwiseConv2D without an activation of its own, else null. */
function linearConvolution(op: GraphOp): Convolution | null {
  if (op.layer === null || op.inputs.length !== 1) return null;
  const className = op.layer.getClassName();
  if (className !== 'Conv2D' && className !== 'DepthwiseConv2D') return null;
  const config = op.layer.getConfig() as unknown as ConvolutionConfig;
  if (config.dataFormat !== 'channelsLast' || config.activation !== 'linear') return null;
  return { depthwise: className === 'DepthwiseConv2D', config, layer: op.layer };
}

function isChannelNormalisation(layer: Layer): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const { axis } = layer.getConfig() as { axis: number };
  return axis === -1 || axis === 3;
}

function fusableActivation(layer: Layer): FusedActivation | null {
  const className = layer.getClassName();
  const config = layer.getConfig() as { activation?: string; maxValue?: number | null };
  if (className === 'Activation' && ['linear', 'relu', 'relu6'].includes(config.activation ?? '')) {
    return config.activation as FusedActivation;
  }
  if (className === 'ReLU' && (config.maxValue ?? null) === null) return 'relu';
  if (className === 'ReLU' && config.maxValue === 6) return 'relu6';
  return null;
}

/** Kernel and bias with the normalisation folded in: W·s and (b − μ)·s + β, with s = γ/√(σ² + ε). */
function foldedWeights(convolution: Convolution, normalisation: Layer | null): { kernel: tf.Tensor4D; bias?: tf.Tensor1D } {
  return tf.tidy(() => {
    const [kernel, bias] = convolution.layer.weights.map((weight) => weight.read());
    const convolutionBias = convolution.config.useBias ? (bias as tf.Tensor1D) : undefined;
    if (!normalisation) return { kernel: kernel.clone() as tf.Tensor4D, bias: convolutionBias?.clone() };
    const { gamma, beta, mean, variance, epsilon } = normalisationWeights(normalisation);
    const scale = tf.div(gamma ?? tf.onesLike(variance), tf.sqrt(tf.add(variance, epsilon))) as tf.Tensor1D;
    const [kh, kw, inChannels, perInput] = kernel.shape;
    const scaledKernel = convolution.depthwise
      ? tf.mul(kernel, tf.reshape(scale, [1, 1, inChannels, perInput]))
      : tf.mul(kernel, scale);
    const centred = convolutionBias ? tf.sub(convolutionBias, mean) : tf.neg(mean);
    const shifted = tf.mul(centred, scale);
    return {
      kernel: tf.reshape(scaledKernel, [kh, kw, inChannels, perInput]) as tf.Tensor4D,
      bias: (beta ? tf.add(shifted, beta) : shifted) as tf.Tensor1D,
    };
  });
}

interface NormalisationLayer {
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor };
  movingVariance: { read(): tf.Tensor };
  epsilon: number;
}

function normalisationWeights(layer: Layer) {
  const { gamma, beta, movingMean, movingVariance, epsilon } = layer as unknown as NormalisationLayer;
  return { gamma: gamma?.read() ?? null, beta: beta?.read() ?? null, mean: movingMean.read(), variance: movingVariance.read(), epsilon };
}

function fusedConvolution(
  { depthwise, config }: Convolution,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  activation: FusedActivation,
): tf.Tensor4D {
  const args = {
    x,
    filter,
    strides: config.strides,
    pad: config.padding,
    dataFormat: 'NHWC' as const,
    dilations: config.dilationRate,
    bias,
    activation,
  };
  return depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
}
