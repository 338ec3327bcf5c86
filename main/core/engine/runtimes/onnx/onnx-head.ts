// Rebuilds the part of an ONNX graph after a chosen tensor (the head) in TF.js ops, so that the class
// scores can be differentiated with respect to that tensor.
//
// Layout: every value keeps ONNX's semantics (NCHW shapes, ONNX axes), but is stored in whatever axis
// order is cheapest, with `order` saying which ONNX axis each stored axis is. 4-D activations arrive NHWC
// from the network and stay so through Conv, pooling, BatchNormalization and element-wise ops (TF.js's
// own layout); a Transpose node only changes `order`. Ops that depend on the element order (Flatten,
// Reshape, MatMul…) bring their input to ONNX's own order first, so a Flatten after NCHW flattens in NCHW
// order, as the Gemm weights after it expect. The target arrives as the methods' NHWC grid view and goes
// back to the tensor's own layout first: NCHW semantics stored NHWC, channels-last as it is, and tokens
// with the class token put back in front of the grid.
import * as tf from '@tensorflow/tfjs-core';
import type { CandidateLayer } from '../../../../../common/types';
import { leadingTokens } from '../../cam/grid-view';
import { graphOf, onnx, type AttributeProto, type DecodedGraph, type ModelProto, type NodeProto, type TensorProto } from './graph-builder';

export interface OnnxHead {
  /** ONNX names of tensors the head reads besides the target (they come from the network's run). */
  constants: string[];
  /**
   * Constants the image does not reach (weights computed by ops the head does not rebuild): the same for
   * every image, with no batch axis. The others carry the batch.
   */
  unbatched: string[];
  /**
   * Constants computed from tensor shapes only (Shape, Size and what follows): they may hold the batch size,
   * so the head must run on the network's own batch.
   */
  fromShapes: string[];
  /**
   * Logits [N, classes] from the target's grid view (NHWC) and the constants (engine layout: see
   * network.ts); for a token target, `constants` also holds the target tensor itself, for its class token.
   */
  logits(activations: tf.Tensor4D, constants: Map<string, tf.Tensor>): tf.Tensor2D;
}

/** A tensor with ONNX semantics stored in another axis order: stored axis i is ONNX axis order[i]. */
interface Value {
  t: tf.Tensor;
  order: number[];
}

type Attributes = Map<string, AttributeProto>;
interface Context {
  opset: number;
  /** Filters prepared once from a Conv node's initializer weight (TF.js layout). */
  filters?: tf.Tensor4D[];
  /** How many outputs the node has (Split into equal parts). */
  outputs: number;
}
/** An op's output, or its outputs in order where it has several (Split). */
type OpFn = (inputs: (Value | undefined)[], attributes: Attributes, context: Context) => Value | Value[];

const NHWC = [0, 2, 3, 1];

/**
 * The head after `layer`, or a text that says which op cannot be rebuilt. `channelsLast`: 4-D tensors the
 * network returns as they are (network.ts), not as NHWC views of NCHW ones.
 */
export function buildOnnxHead(
  model: ModelProto,
  layer: CandidateLayer,
  logitsName: string,
  channelsLast: ReadonlySet<string> = new Set(),
): OnnxHead | string {
  const target = layer.name;
  const graph = graphOf(model);
  const opset = Number(model.opsetImport?.find((entry) => !entry.domain || entry.domain === 'ai.onnx')?.version ?? 13);
  const reached = new Set([target]);
  const downstream = graph.node.filter((node) => {
    if (!node.input.some((name) => reached.has(name))) return false;
    node.output.forEach((name) => reached.add(name));
    return true;
  });
  if (!reached.has(logitsName)) return `the class scores do not depend on ${target}`;
  const nodes = neededFor(downstream, logitsName);
  const problems = nodes.flatMap((node) => {
    const problem = !(node.opType in OPS) ? node.opType : CHECKS[node.opType]?.(attributesOf(node), node);
    return problem ? [`${problem} (node ${node.name || node.output[0]})`] : [];
  });
  if (problems.length > 0) {
    return `the head after ${target} uses ${problems.join(', ')}, which Sightline cannot differentiate (it rebuilds ${Object.keys(OPS).join(', ')})`;
  }
  const computed = new Set(nodes.flatMap((node) => node.output));
  const reads = [...new Set(nodes.flatMap((node) => node.input))].filter((name) => name !== '' && name !== target && !computed.has(name));
  const reach = imageReach(graph);
  let weights = new Map<string, tf.Tensor>();
  const prepared = new Set<string>();
  const contexts: Context[] = [];
  try {
    weights = foldWeights(graph, reads.filter((name) => !reach.values.has(name) && !reach.shapes.has(name)), opset);
    for (const node of nodes) {
      const weight = weights.get(node.input[1]);
      const filters = node.opType === 'Conv' && weight ? convFilters(weight, attributesOf(node), node.input[0]) : undefined;
      contexts.push({ opset, filters, outputs: node.output.length });
    }
    // A Conv weight read by nothing else lives on only as its TF.js filters.
    for (const [name, tensor] of weights) {
      if (nodes.every((node, i) => !node.input.includes(name) || (contexts[i].filters && node.input.indexOf(name) === 1 && node.input.lastIndexOf(name) === 1))) {
        tensor.dispose();
        weights.delete(name);
        prepared.add(name);
      }
    }
  } catch (error) {
    weights.forEach((tensor) => tensor.dispose());
    contexts.forEach((context) => context.filters?.forEach((filter) => filter.dispose()));
    return `the head after ${target} cannot be rebuilt: ${(error as Error).message}`;
  }
  const constants = reads.filter((name) => !weights.has(name) && !prepared.has(name));
  const nodeAttributes = nodes.map(attributesOf);
  return {
    constants,
    unbatched: constants.filter((name) => !reach.values.has(name) && !reach.shapes.has(name)),
    fromShapes: constants.filter((name) => reach.shapes.has(name)),
    logits: (activations, fed) => {
      const values = new Map<string, Value>();
      const fetched = (name: string) => {
        const value = fed.get(name);
        if (!value) throw new Error(`the head after ${target} needs ${name}, which the network run did not return`);
        return value;
      };
      weights.forEach((tensor, name) => values.set(name, plain(tensor)));
      values.set(target, targetValue(activations, layer, layer.layout === 'tokens' ? fetched(target) : undefined));
      for (const name of constants) {
        const value = fetched(name);
        values.set(name, value.rank === 4 && !channelsLast.has(name) ? { t: value, order: NHWC } : plain(value));
      }
      nodes.forEach((node, i) => {
        const inputs = node.input.map((name) => (name === '' ? undefined : values.get(name)));
        const outputs = OPS[node.opType](inputs, nodeAttributes[i], contexts[i]);
        (Array.isArray(outputs) ? outputs : [outputs]).forEach((value, k) => values.set(node.output[k], value));
      });
      const logits = inOnnxOrder(values.get(logitsName)!);
      return tf.reshape(logits, [logits.shape[0], -1]);
    },
  };
}

/**
 * What the image input reaches: `values`, tensors computed from its values (they carry the batch), and
 * `shapes`, those computed from tensor shapes only (Shape, Size), which may hold the batch size. Every other
 * tensor is a weight: the same for any input. Nodes come in graph order, inputs before readers.
 */
export function imageReach(graph: DecodedGraph): { values: Set<string>; shapes: Set<string> } {
  const initializers = new Set(graph.initializer.map((tensor) => tensor.name));
  const values = new Set(graph.input.map((value) => value.name!).filter((name) => !initializers.has(name)));
  const shapes = new Set<string>();
  for (const node of graph.node) {
    const fromValues = node.input.some((name) => values.has(name));
    const fromShapes = fromValues || node.input.some((name) => shapes.has(name));
    if (fromValues && !SHAPE_READERS.has(node.opType)) node.output.forEach((name) => values.add(name));
    else if (fromShapes) node.output.forEach((name) => shapes.add(name));
  }
  return { values, shapes };
}

/** Ops whose output depends on their input's shape only. */
const SHAPE_READERS = new Set(['Shape', 'Size']);

/**
 * The weights among `names` (tensors the image does not reach): initializers, Constant nodes, and what the
 * ops the head rebuilds compute from them, evaluated once here. PyTorch's exporter hands a parameter that
 * equals another (biases initialised alike, tied weights) to its second module through an Identity node;
 * other graphs reshape or transpose a weight. A name whose value needs an op the head does not rebuild is
 * left out: the network run returns it, and it has no batch axis.
 */
function foldWeights(graph: DecodedGraph, names: string[], opset: number): Map<string, tf.Tensor> {
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const producers = new Map(graph.node.flatMap((node) => node.output.map((name) => [name, node] as const)));
  const values = new Map<string, tf.Tensor | null>();
  const valueOf = (name: string): tf.Tensor | null => {
    if (values.has(name)) return values.get(name)!;
    const initializer = initializers.get(name);
    const node = producers.get(name);
    if (initializer) values.set(name, fromInitializer(initializer));
    else if (!node || !(node.opType in OPS) || (node.opType !== 'Constant' && CHECKS[node.opType]?.(attributesOf(node), node))) values.set(name, null);
    else {
      const inputs = node.input.map((input) => (input === '' ? undefined : valueOf(input)));
      if (inputs.some((input) => input === null)) values.set(name, null);
      else {
        const outputs = tf.tidy(() => {
          const result = OPS[node.opType](inputs.map((input) => (input ? plain(input) : undefined)), attributesOf(node), { opset, outputs: node.output.length });
          return (Array.isArray(result) ? result : [result]).map(inOnnxOrder);
        });
        node.output.forEach((output, k) => values.set(output, outputs[k] ?? null));
      }
    }
    return values.get(name)!;
  };
  const weights = new Map<string, tf.Tensor>();
  let done = false;
  try {
    for (const name of names) {
      const value = valueOf(name);
      // Two names for one tensor (an Identity): each gets its own handle, as the head disposes them one by one.
      if (value) weights.set(name, [...weights.values()].includes(value) ? value.clone() : value);
    }
    done = true;
  } finally {
    const kept = new Set(done ? weights.values() : []);
    if (!done) weights.forEach((value) => value.dispose());
    new Set(values.values()).forEach((value) => value && !kept.has(value) && !value.isDisposed && value.dispose());
  }
  return weights;
}

/** The target tensor in its own layout from the methods' NHWC grid view; tokens take their class token from `tensor`. */
function targetValue(view: tf.Tensor4D, { layout, shape: [h, w, c] }: CandidateLayer, tensor?: tf.Tensor): Value {
  if (layout === 'nhwc') return plain(view);
  if (layout !== 'tokens') return { t: view, order: NHWC };
  const [n, tokens] = tensor!.shape;
  const grid = tf.reshape(view, [n, h * w, c]);
  const leading = leadingTokens(tokens, h);
  return plain(leading === 0 ? grid : tf.concat([tf.slice(tensor!, [0, 0, 0], [n, leading, c]), grid], 1));
}

/** The nodes (in graph order) that the logits depend on. */
function neededFor(nodes: NodeProto[], logitsName: string): NodeProto[] {
  const needed = new Set([logitsName]);
  const kept: NodeProto[] = [];
  for (const node of [...nodes].reverse()) {
    if (!node.output.some((name) => needed.has(name))) continue;
    kept.push(node);
    node.input.forEach((name) => needed.add(name));
  }
  return kept.reverse();
}

function attributesOf(node: NodeProto): Attributes {
  return new Map((node.attribute ?? []).map((a) => [a.name!, a]));
}

const int = (attributes: Attributes, name: string, fallback: number) => Number(attributes.get(name)?.i ?? fallback);
const ints = (attributes: Attributes, name: string) => attributes.get(name)?.ints?.map(Number);
const float = (attributes: Attributes, name: string, fallback: number) => attributes.get(name)?.f ?? fallback;
const text = (attributes: Attributes, name: string, fallback: string) => {
  const bytes = attributes.get(name)?.s;
  return bytes && bytes.length > 0 ? new TextDecoder().decode(bytes) : fallback;
};
const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const numbers = (value: Value | undefined) => (value ? Array.from(value.t.dataSync(), Number) : undefined);
const plain = (t: tf.Tensor): Value => ({ t, order: [...Array(t.rank).keys()] });
const isPlain = (order: number[]) => order.every((axis, i) => axis === i);

/** The value's tensor with its axes in `order`. */
function inOrder({ t, order: from }: Value, order: number[]): tf.Tensor {
  const perm = order.map((axis) => from.indexOf(axis));
  return isPlain(perm) ? t : tf.transpose(t, perm);
}
const inOnnxOrder = (value: Value) => inOrder(value, [...Array(value.t.rank).keys()]);
/** A 4-D value as NHWC (ONNX's NCHW semantics). */
const nhwc = (value: Value) => {
  if (value.t.rank !== 4) throw new Error(`expected a 4-D tensor, got shape [${value.t.shape.join(', ')}] in ONNX order`);
  return inOrder(value, NHWC) as tf.Tensor4D;
};
/** ONNX shape of a value. */
function onnxShape({ t, order }: Value): number[] {
  const shape = new Array<number>(t.rank);
  order.forEach((axis, i) => (shape[axis] = t.shape[i]));
  return shape;
}

/** Numpy-style broadcasting operands in one common stored order. */
function aligned(values: Value[]): { tensors: tf.Tensor[]; order: number[] } {
  const rank = Math.max(...values.map((v) => v.t.rank));
  const lifted = values.map((v) => {
    if (v.t.rank === rank) return v;
    const t = inOnnxOrder(v);
    return plain(tf.reshape(t, [...new Array<number>(rank - t.rank).fill(1), ...t.shape]));
  });
  const order = lifted.find((v) => !isPlain(v.order))?.order ?? lifted[0].order;
  return { tensors: lifted.map((v) => inOrder(v, order)), order };
}

function elementwise(combine: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpFn {
  return (inputs) => {
    const { tensors, order } = aligned(inputs as Value[]);
    return { t: tensors.slice(1).reduce(combine, tensors[0]), order };
  };
}

function unary(f: (x: tf.Tensor, attributes: Attributes) => tf.Tensor): OpFn {
  return ([x], attributes) => ({ t: f(x!.t, attributes), order: x!.order });
}

/** Reduction over ONNX axes (all when none), keeping the stored order. */
function reduce(x: Value, axes: number[] | undefined, keepDims: boolean, f: (t: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): Value {
  const rank = x.t.rank;
  const onnxAxes = (axes && axes.length > 0 ? axes : [...Array(rank).keys()]).map((axis) => axisOf(axis, rank));
  const t = f(x.t, onnxAxes.map((axis) => x.order.indexOf(axis)), keepDims);
  if (keepDims) return { t, order: x.order };
  const left = x.order.filter((axis) => !onnxAxes.includes(axis));
  return { t, order: left.map((axis) => axis - onnxAxes.filter((removed) => removed < axis).length) };
}

function reduceOp(f: (t: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor, axesFromInputSince: number): OpFn {
  return ([x, axesInput], a, { opset }) =>
    reduce(x!, opset >= axesFromInputSince ? numbers(axesInput) : ints(a, 'axes'), int(a, 'keepdims', 1) === 1, f);
}

/** Softmax or LogSoftmax; before opset 13 the input is seen as 2-D [outer, inner] split at `axis`. */
function softmaxOp(f: (logits: tf.Tensor) => tf.Tensor): OpFn {
  return ([x], a, { opset }) => {
    const rank = x!.t.rank;
    const axis = axisOf(int(a, 'axis', opset >= 13 ? -1 : 1), rank);
    if (opset >= 13 || axis === rank - 1) {
      const stored = x!.order.indexOf(axis);
      if (stored === rank - 1) return { t: f(x!.t), order: x!.order };
      const perm = [...Array(rank).keys()].filter((i) => i !== stored).concat(stored);
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { t: tf.transpose(f(tf.transpose(x!.t, perm)), inverse), order: x!.order };
    }
    const t = inOnnxOrder(x!);
    const outer = t.shape.slice(0, axis).reduce((p, s) => p * s, 1);
    return plain(tf.reshape(f(tf.reshape(t, [outer, -1])), t.shape));
  };
}

/** ONNX pads [top, left, bottom, right] for a 2-D window over `size`, from pads or auto_pad. */
function spatialPads(a: Attributes, size: number[], kernel: number[], strides: number[]): number[] {
  const mode = text(a, 'auto_pad', 'NOTSET');
  if (mode === 'VALID') return [0, 0, 0, 0];
  if (mode === 'NOTSET') return ints(a, 'pads') ?? [0, 0, 0, 0];
  const begin: number[] = [];
  const end: number[] = [];
  size.forEach((side, i) => {
    const total = Math.max((Math.ceil(side / strides[i]) - 1) * strides[i] + kernel[i] - side, 0);
    const small = Math.floor(total / 2);
    begin.push(mode === 'SAME_LOWER' ? total - small : small);
    end.push(mode === 'SAME_LOWER' ? small : total - small);
  });
  return [...begin, ...end];
}

function padSpatial(x: tf.Tensor4D, [top, left, bottom, right]: number[], value = 0): tf.Tensor4D {
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], value);
}

/**
 * TF.js filters for an ONNX Conv weight [M, C/group, kh, kw]: dilations are written into the kernel (TF.js
 * has no gradient for dilated convolutions); one filter [kh, kw, C, M] for group 1, a depthwise filter
 * [kh, kw, C, M/C] when every group has one input channel, else one filter per group.
 */
function convFilters(weight: tf.Tensor, a: Attributes, input: string): tf.Tensor4D[] {
  if (weight.rank !== 4) throw new Error(`Conv on ${input} has a ${weight.rank}-D weight; only 2-D convolutions are rebuilt`);
  return tf.tidy(() => {
    const [m, perGroup, kh, kw] = weight.shape;
    const [dh, dw] = ints(a, 'dilations') ?? [1, 1];
    let w = weight as tf.Tensor4D;
    if (dh !== 1 || dw !== 1) {
      const spread = tf.pad(tf.reshape(w, [m, perGroup, kh, 1, kw, 1]), [[0, 0], [0, 0], [0, 0], [0, dh - 1], [0, 0], [0, dw - 1]]);
      w = tf.slice(tf.reshape(spread, [m, perGroup, kh * dh, kw * dw]) as tf.Tensor4D, 0, [m, perGroup, (kh - 1) * dh + 1, (kw - 1) * dw + 1]);
    }
    const group = int(a, 'group', 1);
    if (group === 1) return [tf.transpose(w, [2, 3, 1, 0])];
    if (perGroup === 1) {
      const [, , h, wSide] = w.shape;
      return [tf.transpose(tf.reshape(w, [group, m / group, h, wSide]), [2, 3, 0, 1]) as tf.Tensor4D];
    }
    return tf.split(w, group, 0).map((part) => tf.transpose(part, [2, 3, 1, 0]) as tf.Tensor4D);
  });
}

const conv: OpFn = ([x, w, bias], a, { filters: prepared }) => {
  const input = nhwc(x!);
  const group = int(a, 'group', 1);
  const filters = prepared ?? convFilters(inOnnxOrder(w!), a, 'its input');
  const [kh, kw] = filters[0].shape;
  const strides = (ints(a, 'strides') ?? [1, 1]) as [number, number];
  const padded = padSpatial(input, spatialPads(a, input.shape.slice(1, 3), [kh, kw], strides));
  let y: tf.Tensor4D;
  if (group === 1) y = tf.conv2d(padded, filters[0], strides, 'valid');
  else if (filters.length === 1) y = tf.depthwiseConv2d(padded, filters[0], strides, 'valid');
  else y = tf.concat(tf.split(padded, group, 3).map((part) => part as tf.Tensor4D).map((part, g) => tf.conv2d(part, filters[g], strides, 'valid')), 3);
  return { t: bias ? tf.add(y, inOnnxOrder(bias)) : y, order: NHWC };
};

/** Pads [top, left, bottom, right] of a pooling window, with ceil_mode's extra rows and columns at the end. */
function poolPads(x: tf.Tensor4D, a: Attributes): { kernel: [number, number]; strides: [number, number]; pads: number[]; extra: number[] } {
  const kernel = ints(a, 'kernel_shape') as [number, number];
  const strides = (ints(a, 'strides') ?? [1, 1]) as [number, number];
  const size = x.shape.slice(1, 3);
  const pads = spatialPads(a, size, kernel, strides);
  const extra = size.map((side, i) => {
    if (int(a, 'ceil_mode', 0) !== 1) return 0;
    const span = side + pads[i] + pads[i + 2];
    let out = Math.ceil((span - kernel[i]) / strides[i]) + 1;
    if ((out - 1) * strides[i] >= side + pads[i]) out--;
    return Math.max((out - 1) * strides[i] + kernel[i] - span, 0);
  });
  return { kernel, strides, pads, extra };
}

const maxPool: OpFn = ([x], a) => {
  const input = nhwc(x!);
  const { kernel, strides, pads, extra } = poolPads(input, a);
  const padded = padSpatial(input, [pads[0], pads[1], pads[2] + extra[0], pads[3] + extra[1]], -Infinity);
  return { t: tf.maxPool(padded, kernel, strides, 'valid'), order: NHWC };
};

/** Sum over each window / the number of cells counted (pads only with count_include_pad, never ceil_mode's extra). */
const averagePool: OpFn = ([x], a) => {
  const input = nhwc(x!);
  const { kernel, strides, pads, extra } = poolPads(input, a);
  const padded = padSpatial(padSpatial(input, pads), [0, 0, extra[0], extra[1]]);
  const mean = tf.avgPool(padded, kernel, strides, 'valid');
  const countsPads = int(a, 'count_include_pad', 0) === 1;
  if (extra.every((side) => side === 0) && (countsPads || pads.every((side) => side === 0))) return { t: mean, order: NHWC };
  const ones = tf.ones([1, input.shape[1], input.shape[2], 1]) as tf.Tensor4D;
  const counted = padSpatial(padSpatial(ones, pads, countsPads ? 1 : 0), [0, 0, extra[0], extra[1]]);
  return { t: tf.div(mean, tf.avgPool(counted, kernel, strides, 'valid')), order: NHWC };
};

const batchNormalization: OpFn = ([x, scale, bias, mean, variance], a) => {
  const channels = x!.order.indexOf(1);
  const shape = x!.t.shape.map((side, i) => (i === channels ? side : 1));
  const param = (v: Value | undefined) => tf.reshape(inOnnxOrder(v!), shape);
  const factor = tf.div(param(scale), tf.sqrt(tf.add(param(variance), float(a, 'epsilon', 1e-5))));
  return { t: tf.add(tf.mul(tf.sub(x!.t, param(mean)), factor), param(bias)), order: x!.order };
};

const clip: OpFn = ([x, min, max], a, { opset }) => {
  const bound = (value: Value | undefined, name: string, fallback: number) =>
    opset >= 11 ? (value ? value.t.dataSync()[0] : fallback) : float(a, name, fallback);
  return { t: tf.clipByValue(x!.t, bound(min, 'min', -3.4e38), bound(max, 'max', 3.4e38)), order: x!.order };
};

const pad: OpFn = ([x, padsInput, valueInput, axesInput], a, { opset }) => {
  const t = x!.t;
  const rank = t.rank;
  const raw = opset >= 11 ? numbers(padsInput)! : ints(a, 'pads')!;
  const axes = (numbers(axesInput) ?? [...Array(rank).keys()]).map((axis) => axisOf(axis, rank));
  const onnxPads: [number, number][] = [...Array(rank)].map(() => [0, 0]);
  axes.forEach((axis, i) => (onnxPads[axis] = [raw[i], raw[i + axes.length]]));
  const stored = x!.order.map((axis) => onnxPads[axis]);
  if (stored.some(([before, after]) => before < 0 || after < 0)) throw new Error('Pad with negative pads (cropping) is not rebuilt');
  const mode = text(a, 'mode', 'constant');
  if (mode === 'reflect') return { t: tf.mirrorPad(t, stored, 'reflect'), order: x!.order };
  const value = opset >= 11 ? (valueInput ? valueInput.t.dataSync()[0] : 0) : float(a, 'value', 0);
  return { t: tf.pad(t, stored, value), order: x!.order };
};

/** Normalises over ONNX axes `axis`… last (each position's channels, for a channels-last or token tensor). */
const layerNormalization: OpFn = ([x, scale, bias], a) => {
  const rank = x!.t.rank;
  const axis = axisOf(int(a, 'axis', -1), rank);
  const normalised = [...Array(rank).keys()].filter((i) => i >= axis);
  const stored = normalised.map((i) => x!.order.indexOf(i));
  const shape = onnxShape(x!);
  // scale and bias span the normalised axes: lift them to the input's rank and stored order.
  const param = (v: Value) => inOrder(plain(tf.reshape(inOnnxOrder(v), shape.map((side, i) => (i >= axis ? side : 1)))), x!.order);
  const mean = tf.mean(x!.t, stored, true);
  const centred = tf.sub(x!.t, mean);
  const variance = tf.mean(tf.square(centred), stored, true);
  const y = tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, float(a, 'epsilon', 1e-5)))), param(scale!));
  return { t: bias ? tf.add(y, param(bias)) : y, order: x!.order };
};

/** ONNX Slice with unit steps, on the stored axes. */
const slice: OpFn = ([x, startsInput, endsInput, axesInput, stepsInput], a, { opset }) => {
  const shape = onnxShape(x!);
  const rank = shape.length;
  const starts = (opset >= 10 ? numbers(startsInput) : ints(a, 'starts'))!;
  const ends = (opset >= 10 ? numbers(endsInput) : ints(a, 'ends'))!;
  const axes = ((opset >= 10 ? numbers(axesInput) : ints(a, 'axes')) ?? starts.map((_, i) => i)).map((axis) => axisOf(axis, rank));
  if ((numbers(stepsInput) ?? []).some((step) => step !== 1)) throw new Error('Slice with steps other than 1 is not rebuilt');
  const begin = new Array<number>(rank).fill(0);
  const size = [...shape];
  axes.forEach((axis, i) => {
    const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + shape[axis] : value, 0), shape[axis]);
    begin[axis] = clamp(starts[i]);
    size[axis] = Math.max(clamp(ends[i]) - begin[axis], 0);
  });
  return { t: tf.slice(x!.t, x!.order.map((axis) => begin[axis]), x!.order.map((axis) => size[axis])), order: x!.order };
};

/** ONNX Split: sizes from the `split` input (opset 13), attribute, num_outputs (opset 18) or equal parts. */
const split: OpFn = ([x, splitInput], a, { opset, outputs }) => {
  const shape = onnxShape(x!);
  const axis = axisOf(int(a, 'axis', 0), shape.length);
  const count = int(a, 'num_outputs', outputs);
  const each = Math.ceil(shape[axis] / count);
  const sizes = (opset >= 13 ? numbers(splitInput) : ints(a, 'split')) ?? [...Array(count).keys()].map((i) => Math.min(each, shape[axis] - i * each));
  return tf.split(x!.t, sizes, x!.order.indexOf(axis)).map((t) => ({ t, order: x!.order }));
};

/** ONNX Expand: numpy broadcasting of the input and the target shape, both ways. */
const expand: OpFn = ([x, shapeInput]) => {
  const t = inOnnxOrder(x!);
  const wanted = numbers(shapeInput)!;
  const rank = Math.max(t.rank, wanted.length);
  const pad = (dims: number[]) => [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const from = pad(t.shape);
  const to = pad(wanted).map((side, i) => (side === 1 ? from[i] : side));
  return plain(tf.broadcastTo(tf.reshape(t, from), to));
};

const where: OpFn = (inputs) => {
  const { tensors, order } = aligned(inputs as Value[]);
  const [condition, yes, no] = tensors;
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(condition.shape, yes.shape), no.shape);
  return { t: tf.where(tf.broadcastTo(condition, shape), tf.broadcastTo(yes, shape), tf.broadcastTo(no, shape)), order };
};

/**
 * Comparisons of float values through Step, whose gradient is zero, where TF.js's own have none: a mask
 * computed from the activations (Where's condition) sits on the gradient tape.
 */
const isFloat = (a: tf.Tensor, b: tf.Tensor) => a.dtype === 'float32' || b.dtype === 'float32';

/** 0.5·x·(1 + erf(x/√2)), or the tanh approximation. */
const gelu = (x: tf.Tensor, a: Attributes) => {
  if (text(a, 'approximate', 'none') === 'tanh') {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
};

const OPS: Record<string, OpFn> = {
  Constant: (_inputs, a) => plain(constantOf(a)),
  Identity: ([x]) => x!,
  Dropout: ([x]) => x!,
  Relu: unary((x) => tf.relu(x)),
  LeakyRelu: unary((x, a) => tf.leakyRelu(x, float(a, 'alpha', 0.01))),
  PRelu: elementwise((x, slope) => tf.add(tf.relu(x), tf.mul(slope, tf.neg(tf.relu(tf.neg(x)))))),
  // relu(x) + α(exp(min(x, 0)) − 1): TF.js's elu has α = 1, and a `where` on x has no gradient for its mask.
  Elu: unary((x, a) => {
    const alpha = float(a, 'alpha', 1);
    return alpha === 1 ? tf.elu(x) : tf.add(tf.relu(x), tf.mul(tf.sub(tf.exp(tf.neg(tf.relu(tf.neg(x)))), 1), alpha));
  }),
  Sigmoid: unary((x) => tf.sigmoid(x)),
  HardSigmoid: unary((x, a) => tf.clipByValue(tf.add(tf.mul(x, float(a, 'alpha', 0.2)), float(a, 'beta', 0.5)), 0, 1)),
  HardSwish: unary((x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  Tanh: unary((x) => tf.tanh(x)),
  Erf: unary((x) => tf.erf(x)),
  Gelu: unary(gelu),
  Neg: unary((x) => tf.neg(x)),
  Exp: unary((x) => tf.exp(x)),
  Log: unary((x) => tf.log(x)),
  Abs: unary((x) => tf.abs(x)),
  Sqrt: unary((x) => tf.sqrt(x)),
  Reciprocal: unary((x) => tf.reciprocal(x)),
  Softplus: unary((x) => tf.softplus(x)),
  Clip: clip,
  Softmax: softmaxOp((x) => tf.softmax(x)),
  LogSoftmax: softmaxOp((x) => tf.logSoftmax(x)),
  Add: elementwise((a, b) => tf.add(a, b)),
  Sum: elementwise((a, b) => tf.add(a, b)),
  Sub: elementwise((a, b) => tf.sub(a, b)),
  Mul: elementwise((a, b) => tf.mul(a, b)),
  Div: elementwise((a, b) => tf.div(a, b)),
  Pow: elementwise((a, b) => tf.pow(a, b)),
  Max: elementwise((a, b) => tf.maximum(a, b)),
  Min: elementwise((a, b) => tf.minimum(a, b)),
  Equal: elementwise((a, b) => (isFloat(a, b) ? tf.cast(tf.sub(1, tf.step(tf.abs(tf.sub(a, b)))), 'bool') : tf.equal(a, b))),
  Less: elementwise((a, b) => (isFloat(a, b) ? tf.cast(tf.step(tf.sub(b, a)), 'bool') : tf.less(a, b))),
  Greater: elementwise((a, b) => (isFloat(a, b) ? tf.cast(tf.step(tf.sub(a, b)), 'bool') : tf.greater(a, b))),
  Where: where,
  Expand: expand,
  LayerNormalization: layerNormalization,
  Slice: slice,
  Split: split,
  Conv: conv,
  BatchNormalization: batchNormalization,
  MaxPool: maxPool,
  AveragePool: averagePool,
  Pad: pad,
  GlobalAveragePool: ([x]) => reduce(x!, [...Array(x!.t.rank).keys()].slice(2), true, (t, axes) => tf.mean(t, axes, true)),
  // A max pool over the whole map: its gradient goes to one maximum, as PyTorch's does. tf.max's gradient goes
  // to every tied maximum, so a value that an overlapping MaxPool copied into two cells would count twice.
  GlobalMaxPool: ([x]) => {
    if (x!.t.rank !== 4) return reduce(x!, [...Array(x!.t.rank).keys()].slice(2), true, (t, axes) => tf.max(t, axes, true));
    const input = nhwc(x!);
    return { t: tf.maxPool(input, [input.shape[1], input.shape[2]], 1, 'valid'), order: NHWC };
  },
  ReduceMean: reduceOp((t, axes, keep) => tf.mean(t, axes, keep), 18),
  ReduceMax: reduceOp((t, axes, keep) => tf.max(t, axes, keep), 18),
  ReduceSum: reduceOp((t, axes, keep) => tf.sum(t, axes, keep), 13),
  Flatten: ([x], a) => {
    const t = inOnnxOrder(x!);
    const axis = axisOf(int(a, 'axis', 1), t.rank);
    return plain(tf.reshape(t, [t.shape.slice(0, axis).reduce((p, s) => p * s, 1), -1]));
  },
  Reshape: ([x, shape], a) => {
    const t = inOnnxOrder(x!);
    const keepZeros = int(a, 'allowzero', 0) === 1;
    return plain(tf.reshape(t, numbers(shape)!.map((side, i) => (side === 0 && !keepZeros ? t.shape[i] : side))));
  },
  Transpose: ([x], a) => {
    const rank = x!.t.rank;
    const perm = ints(a, 'perm') ?? [...Array(rank).keys()].reverse();
    return { t: x!.t, order: x!.order.map((axis) => perm.indexOf(axis)) };
  },
  Squeeze: ([x, axesInput], a, { opset }) => {
    const t = inOnnxOrder(x!);
    const axes = opset >= 13 ? numbers(axesInput) : ints(a, 'axes');
    return plain(tf.squeeze(t, axes?.map((axis) => axisOf(axis, t.rank))));
  },
  Unsqueeze: ([x, axesInput], a, { opset }) => {
    const t = inOnnxOrder(x!);
    const inserted = (opset >= 13 ? numbers(axesInput) : ints(a, 'axes')) ?? [];
    const shape = [...t.shape];
    inserted.map((axis) => axisOf(axis, t.rank + inserted.length)).sort((p, q) => p - q).forEach((axis) => shape.splice(axis, 0, 1));
    return plain(tf.reshape(t, shape));
  },
  Concat: (inputs, a) => {
    const { tensors, order } = aligned(inputs as Value[]);
    return { t: tf.concat(tensors, order.indexOf(axisOf(int(a, 'axis', 0), order.length))), order };
  },
  Shape: ([x], a) => {
    const shape = onnxShape(x!);
    const rank = shape.length;
    const start = Math.max(0, Math.min(rank, axisOf(int(a, 'start', 0), rank)));
    const end = Math.max(0, Math.min(rank, axisOf(int(a, 'end', rank), rank)));
    return plain(tf.tensor1d(shape.slice(start, end), 'int32'));
  },
  Gather: ([x, indices], a) => {
    const t = inOnnxOrder(x!);
    const axis = axisOf(int(a, 'axis', 0), t.rank);
    const index = tf.tensor(numbers(indices)!.map((i) => (i < 0 ? i + t.shape[axis] : i)), indices!.t.shape, 'int32');
    return plain(tf.gather(t, index, axis));
  },
  Cast: ([x], a) => {
    const { FLOAT, DOUBLE, FLOAT16 } = onnx.TensorProto.DataType;
    const to = int(a, 'to', FLOAT);
    return { t: tf.cast(x!.t, [FLOAT, DOUBLE, FLOAT16].includes(to) ? 'float32' : 'int32'), order: x!.order };
  },
  MatMul: ([a, b]) => {
    const left = inOnnxOrder(a!);
    const right = inOnnxOrder(b!);
    if (left.rank > 2 && right.rank === 2) {
      const product = tf.matMul(tf.reshape(left, [-1, left.shape[left.rank - 1]]) as tf.Tensor2D, right as tf.Tensor2D);
      return plain(tf.reshape(product, [...left.shape.slice(0, -1), right.shape[1] as number]));
    }
    return plain(tf.matMul(left, right));
  },
  Gemm: ([a, b, c], attributes) => {
    const product = tf.mul(
      tf.matMul(inOnnxOrder(a!) as tf.Tensor2D, inOnnxOrder(b!) as tf.Tensor2D, int(attributes, 'transA', 0) === 1, int(attributes, 'transB', 0) === 1),
      float(attributes, 'alpha', 1),
    );
    return plain(c ? tf.add(product, tf.mul(inOnnxOrder(c), float(attributes, 'beta', 1))) : product);
  },
};

/** Attribute values that the ops above do not rebuild: a description, or undefined when fine. */
const CHECKS: Record<string, (a: Attributes, node: NodeProto) => string | undefined> = {
  Conv: (a) => {
    const kernel = ints(a, 'kernel_shape');
    if (kernel && kernel.length !== 2) return `Conv over ${kernel.length} spatial axes`;
    return undefined;
  },
  MaxPool: (a, node) => {
    if ((ints(a, 'dilations') ?? []).some((d) => d !== 1)) return `MaxPool with dilations ${ints(a, 'dilations')!.join('×')}`;
    if (node.output.length > 1 && node.output[1] !== '') return 'MaxPool with indices';
    return poolWindow('MaxPool', a);
  },
  AveragePool: (a) => {
    if ((ints(a, 'dilations') ?? []).some((d) => d !== 1)) return `AveragePool with dilations ${ints(a, 'dilations')!.join('×')}`;
    return poolWindow('AveragePool', a);
  },
  Pad: (a) => {
    const mode = text(a, 'mode', 'constant');
    return mode === 'constant' || mode === 'reflect' ? undefined : `Pad in ${mode} mode`;
  },
  BatchNormalization: (a, node) =>
    int(a, 'training_mode', 0) === 1 || node.output.length > 1 ? 'BatchNormalization in training mode' : undefined,
  LayerNormalization: (_a, node) => (node.output.slice(1).some((name) => name !== '') ? 'LayerNormalization with its mean and deviation as outputs' : undefined),
};

function poolWindow(op: string, a: Attributes): string | undefined {
  const kernel = ints(a, 'kernel_shape');
  return kernel?.length === 2 ? undefined : `${op} over ${kernel?.length ?? 'unknown'} spatial axes`;
}

function constantOf(a: Attributes): tf.Tensor {
  const value = a.get('value')?.t;
  if (value) return fromInitializer(value);
  const scalarFloat = a.get('value_float')?.f;
  if (scalarFloat != null) return tf.scalar(scalarFloat);
  const floats = a.get('value_floats')?.floats;
  if (floats) return tf.tensor1d(Array.from(floats));
  const scalarInt = a.get('value_int')?.i;
  if (scalarInt != null) return tf.scalar(Number(scalarInt), 'int32');
  const intValues = a.get('value_ints')?.ints;
  if (intValues) return tf.tensor1d(intValues.map(Number), 'int32');
  throw new Error(`a Constant node has none of the value attributes the head reads`);
}

const toInt32 = (value: number) => Math.min(Math.max(value, -(2 ** 31)), 2 ** 31 - 1);

function fromInitializer(tensor: TensorProto): tf.Tensor {
  const dims = (tensor.dims ?? []).map(Number);
  const { DataType } = onnx.TensorProto;
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null;
  const copy = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (tensor.dataType) {
    case DataType.FLOAT:
      return tf.tensor(raw ? new Float32Array(copy(raw)) : Float32Array.from(tensor.floatData ?? []), dims, 'float32');
    case DataType.DOUBLE:
      return tf.tensor(raw ? Float32Array.from(new Float64Array(copy(raw))) : Float32Array.from(tensor.doubleData ?? []), dims, 'float32');
    case DataType.INT64:
      // To int32, TF.js's integers, saturating: a Slice to the end has INT64_MAX for its end (PyTorch's x[:, 1:]),
      // which plain conversion would wrap to 0.
      return tf.tensor(
        (raw ? Array.from(new BigInt64Array(copy(raw)), Number) : (tensor.int64Data ?? []).map(Number)).map(toInt32),
        dims,
        'int32',
      );
    case DataType.INT32:
      return tf.tensor(raw ? new Int32Array(copy(raw)) : Int32Array.from(tensor.int32Data ?? []), dims, 'int32');
    default:
      throw new Error(`ONNX tensor ${tensor.name} has data type ${tensor.dataType}, which the head does not read`);
  }
}
