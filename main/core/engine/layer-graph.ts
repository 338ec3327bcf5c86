// A layers model as a flat list of layer calls in topological order, so that the forward pass can keep
// any intermediate tensor and the part of the network after a chosen layer can be run on its own.
// Nested models (a base network used as one layer of a bigger model) are flattened into their layers.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.SymbolicTensor['sourceLayer'];
type Shape = (number | null)[];

/** One layer call. `layer` null is an identity that renames a tensor across a nested model's boundary. */
export interface GraphOp {
  name: string;
  layer: Layer | null;
  inputs: number[];
  outputs: number[];
}

export interface LayerGraph {
  input: number;
  inputShape: Shape;
  output: number;
  outputShape: Shape;
  ops: GraphOp[];
  shapes: Map<number, Shape>;
}

/** Layers that pass values through unchanged in inference, or only change their shape. */
const PASS_THROUGH = new Set(['Reshape', 'Flatten', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout']);

export function buildLayerGraph(model: tfl.LayersModel): LayerGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `The model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; Sightline needs one image input and one class-score output`,
    );
  }
  const ops: GraphOp[] = [];
  const shapes = new Map<number, Shape>();
  const visited = new Set<unknown>();

  const visit = (tensor: tfl.SymbolicTensor): void => {
    shapes.set(tensor.id, tensor.shape);
    const layer = tensor.sourceLayer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (visited.has(node)) return;
    visited.add(node);
    if (node.inboundLayers.length === 0) return; // an InputLayer
    node.inputTensors.forEach(visit);
    if (layer instanceof tfl.LayersModel) {
      flattenNested(layer, node.inputTensors, node.outputTensors);
    } else {
      ops.push({ name: layer.name, layer, inputs: ids(node.inputTensors), outputs: ids(node.outputTensors) });
    }
  };

  const flattenNested = (inner: tfl.LayersModel, outerIn: tfl.SymbolicTensor[], outerOut: tfl.SymbolicTensor[]) => {
    inner.inputs.forEach((innerInput, i) => {
      shapes.set(innerInput.id, innerInput.shape);
      ops.push({ name: inner.name, layer: null, inputs: [outerIn[i].id], outputs: [innerInput.id] });
    });
    inner.outputs.forEach(visit);
    inner.outputs.forEach((innerOutput, i) => {
      shapes.set(outerOut[i].id, outerOut[i].shape);
      ops.push({ name: inner.name, layer: null, inputs: [innerOutput.id], outputs: [outerOut[i].id] });
    });
  };

  const [input] = model.inputs;
  const [output] = model.outputs;
  shapes.set(input.id, input.shape);
  visit(output);
  return { input: input.id, inputShape: input.shape, output: output.id, outputShape: output.shape, ops, shapes };
}

/**
 * Makes the graph end in logits: a final softmax (an Activation or Softmax layer, or the activation of
 * the last Dense/Conv layer), followed only by shape changes, is replaced by its linear part.
 * Returns whether one was found; without one the model's outputs are taken as logits.
 */
export function stripFinalSoftmax(graph: LayerGraph): boolean {
  const producer = producers(graph);
  let op = producer.get(graph.output);
  while (op && (op.layer === null || PASS_THROUGH.has(op.layer.getClassName()))) op = producer.get(op.inputs[0]);
  if (!op?.layer) return false;
  const className = op.layer.getClassName();
  const config = op.layer.getConfig();
  if (className === 'Softmax' || (className === 'Activation' && config.activation === 'softmax')) {
    op.layer = null;
    return true;
  }
  if (config.activation === 'softmax') {
    op.layer = linearClone(op.layer, graph.shapes.get(op.inputs[0])!);
    return true;
  }
  return false;
}

/** The same layer with the same weights and a linear activation. */
function linearClone(layer: Layer, inputShape: Shape): Layer {
  const LayerClass = layer.constructor as new (config: object) => Layer;
  const clone = new LayerClass({ ...layer.getConfig(), activation: 'linear', name: `${layer.name}_logits` });
  clone.build(inputShape);
  clone.setWeights(layer.getWeights());
  return clone;
}

function producers(graph: LayerGraph): Map<number, GraphOp> {
  const byOutput = new Map<number, GraphOp>();
  for (const op of graph.ops) for (const id of op.outputs) byOutput.set(id, op);
  return byOutput;
}

/** The ops that depend on tensor `from`, in topological order. */
export function downstreamOps(graph: LayerGraph, from: number): GraphOp[] {
  const reached = new Set([from]);
  return graph.ops.filter((op) => {
    if (!op.inputs.some((id) => reached.has(id))) return false;
    op.outputs.forEach((id) => reached.add(id));
    return true;
  });
}

/** What runOps needs of an op: which tensor ids it reads and writes. */
export interface TensorOp {
  name: string;
  inputs: number[];
  outputs: number[];
}

/**
 * Runs `ops` on the tensors in `values` (which it extends), each through `apply`. Tensors that no later op
 * needs are disposed as soon as possible unless listed in `keep`; pass `keep` null to keep everything
 * (inside tf.grad). The tensors passed in are never disposed: they belong to the caller.
 */
export function runOps<Op extends TensorOp>(
  ops: Op[],
  values: Map<number, tf.Tensor>,
  keep: Set<number> | null,
  apply: (op: Op, inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): void {
  const fed = new Set(values.keys());
  const lastUse = new Map<number, number>();
  ops.forEach((op, index) => op.inputs.forEach((id) => lastUse.set(id, index)));
  ops.forEach((op, index) => {
    const inputs = op.inputs.map((id) => {
      const value = values.get(id);
      if (!value) throw new Error(`Layer ${op.name} needs a tensor that was not computed`);
      return value;
    });
    const outputs = tf.tidy(() => {
      const result = apply(op, inputs);
      return Array.isArray(result) ? result : [result];
    });
    op.outputs.forEach((id, i) => values.set(id, outputs[i]));
    if (keep === null) return;
    for (const id of op.inputs) {
      if (lastUse.get(id) === index && !keep.has(id) && !fed.has(id)) {
        values.get(id)!.dispose();
        values.delete(id);
      }
    }
  });
}

/** One layer call in inference mode; an identity op (`layer` null) hands out its own handle of the input. */
export function applyGraphOp(op: GraphOp, inputs: tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  return op.layer === null ? inputs[0].clone() : applyAsIs(op.layer, inputs);
}

export function applyAsIs(layer: Layer, inputs: tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  return layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor | tf.Tensor[];
}

function ids(tensors: tfl.SymbolicTensor[]): number[] {
  return tensors.map((tensor) => tensor.id);
}
