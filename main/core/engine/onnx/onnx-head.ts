// Rebuilds the part of an ONNX graph after a chosen tensor (the head) in TF.js ops, so that the class
// scores can be differentiated with respect to that tensor. Tensors keep ONNX's NCHW semantics here;
// the target's activations arrive NHWC from the network and are transposed once on entry.
import * as tf from '@tensorflow/tfjs-core';
import { graphOf, onnx, type AttributeProto, type ModelProto, type TensorProto } from './graph-builder';

type Attributes = Map<string, AttributeProto>;
type OpFn = (inputs: tf.Tensor[], attributes: Attributes) => tf.Tensor;

export interface OnnxHead {
  /** ONNX names of tensors the head reads besides the target (they come from the network's run). */
  constants: string[];
  /** Logits [N, classes] from the target's activations (NHWC) and the constants (engine layout). */
  logits(activations: tf.Tensor4D, constants: Map<string, tf.Tensor>): tf.Tensor2D;
}

/** The head after `target`, or a text that says which op cannot be rebuilt. */
export function buildOnnxHead(model: ModelProto, target: string, logitsName: string): OnnxHead | string {
  const graph = graphOf(model);
  const reached = new Set([target]);
  const nodes = graph.node.filter((node) => {
    if (!node.input.some((name) => reached.has(name))) return false;
    node.output.forEach((name) => reached.add(name));
    return true;
  });
  if (!reached.has(logitsName)) return `the class scores do not depend on ${target}`;
  const unsupported = [...new Set(nodes.map((node) => node.opType).filter((op) => !(op in OPS)))];
  if (unsupported.length > 0) {
    return `the head after ${target} uses ${unsupported.join(', ')}, which Sightline cannot differentiate (it rebuilds ${Object.keys(OPS).join(', ')})`;
  }
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  const computed = new Set(nodes.flatMap((node) => node.output));
  const reads = [...new Set(nodes.flatMap((node) => node.input))].filter((name) => name !== '' && name !== target);
  const constants = reads.filter((name) => !computed.has(name) && !initializers.has(name));
  const weights = new Map(reads.filter((name) => initializers.has(name)).map((name) => [name, fromInitializer(initializers.get(name)!)]));
  return {
    constants,
    logits: (activations, fed) => {
      const values = new Map<string, tf.Tensor>(weights);
      values.set(target, tf.transpose(activations, [0, 3, 1, 2]));
      for (const name of constants) {
        const value = fed.get(name)!;
        values.set(name, value.rank === 4 ? tf.transpose(value, [0, 3, 1, 2]) : value);
      }
      for (const node of nodes) {
        const attributes = new Map((node.attribute ?? []).map((a) => [a.name!, a]));
        const output = OPS[node.opType](node.input.map((name) => values.get(name)!), attributes);
        values.set(node.output[0], output);
      }
      const logits = values.get(logitsName)!;
      return tf.reshape(logits, [logits.shape[0], -1]);
    },
  };
}

const int = (attributes: Attributes, name: string, fallback: number) => Number(attributes.get(name)?.i ?? fallback);
const ints = (attributes: Attributes, name: string) => attributes.get(name)?.ints?.map(Number);
const float = (attributes: Attributes, name: string, fallback: number) => attributes.get(name)?.f ?? fallback;
const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

const OPS: Record<string, OpFn> = {
  Constant: (_inputs, a) => fromInitializer(a.get('value')!.t!),
  Identity: ([x]) => x,
  Dropout: ([x]) => x,
  Relu: ([x]) => tf.relu(x),
  LeakyRelu: ([x], a) => tf.leakyRelu(x, float(a, 'alpha', 0.01)),
  Sigmoid: ([x]) => tf.sigmoid(x),
  Tanh: ([x]) => tf.tanh(x),
  Clip: ([x, min, max]) => tf.clipByValue(x, min ? min.dataSync()[0] : -Infinity, max ? max.dataSync()[0] : Infinity),
  Softmax: ([x], a) => softmaxOn(x, axisOf(int(a, 'axis', -1), x.rank)),
  Add: ([a, b]) => tf.add(a, b),
  Sub: ([a, b]) => tf.sub(a, b),
  Mul: ([a, b]) => tf.mul(a, b),
  Div: ([a, b]) => tf.div(a, b),
  GlobalAveragePool: ([x]) => tf.mean(x, [2, 3], true),
  GlobalMaxPool: ([x]) => tf.max(x, [2, 3], true),
  ReduceMean: ([x, axesInput], a) => {
    const axes = ints(a, 'axes') ?? (axesInput ? Array.from(axesInput.dataSync()) : [...Array(x.rank).keys()]);
    return tf.mean(x, axes.map((axis) => axisOf(axis, x.rank)), int(a, 'keepdims', 1) === 1);
  },
  Flatten: ([x], a) => {
    const axis = axisOf(int(a, 'axis', 1), x.rank);
    const outer = x.shape.slice(0, axis).reduce((p, s) => p * s, 1);
    return tf.reshape(x, [outer, -1]);
  },
  Reshape: ([x, shape]) => {
    const target = Array.from(shape.dataSync()).map((side, i) => (side === 0 ? x.shape[i] : side));
    return tf.reshape(x, target);
  },
  Transpose: ([x], a) => tf.transpose(x, ints(a, 'perm')),
  Squeeze: ([x, axesInput], a) => tf.squeeze(x, ints(a, 'axes') ?? (axesInput ? Array.from(axesInput.dataSync()) : undefined)),
  Concat: (inputs, a) => tf.concat(inputs, axisOf(int(a, 'axis', 0), inputs[0].rank)),
  MatMul: ([a, b]) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  Gemm: ([a, b, c], attributes) => {
    const product = tf.mul(
      tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, int(attributes, 'transA', 0) === 1, int(attributes, 'transB', 0) === 1),
      float(attributes, 'alpha', 1),
    );
    return c ? tf.add(product, tf.mul(c, float(attributes, 'beta', 1))) : product;
  },
};

function softmaxOn(x: tf.Tensor, axis: number): tf.Tensor {
  if (axis === x.rank - 1) return tf.softmax(x);
  const perm = [...Array(x.rank).keys()].filter((i) => i !== axis).concat(axis);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(tf.softmax(tf.transpose(x, perm)), inverse);
}

function fromInitializer(tensor: TensorProto): tf.Tensor {
  const dims = (tensor.dims ?? []).map(Number);
  const { DataType } = onnx.TensorProto;
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null;
  const copy = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (tensor.dataType) {
    case DataType.FLOAT:
      return tf.tensor(raw ? new Float32Array(copy(raw)) : Float32Array.from(tensor.floatData ?? []), dims, 'float32');
    case DataType.INT64:
      return tf.tensor(
        raw ? Array.from(new BigInt64Array(copy(raw)), Number) : (tensor.int64Data ?? []).map(Number),
        dims,
        'int32',
      );
    default:
      throw new Error(`ONNX initializer ${tensor.name} has data type ${tensor.dataType}, which the head does not read`);
  }
}
