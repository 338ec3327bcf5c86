// TF.js layers model (as the engine's layer graph, ending in logits) → ONNX model bytes. The ONNX model
// looks like one exported from PyTorch: input `input` [N, 3, H, W], output `logits` [N, classes], every
// 4-D tensor NCHW. Each layer output keeps a predictable name (onnxTensorName) so that any of them can be
// made a graph output later, e.g. the CAM target layer.
import type { LayerGraph } from '../../layer-graph';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './graph-builder';
import { UnsupportedLayerError, emitLayer } from './layer-ops';

export { UnsupportedLayerError } from './layer-ops';

/**
 * Bump when the converter's output changes, so that cached conversions are redone. 2: tensors are named
 * by their place in the graph, not by TF.js's tensor ids.
 */
export const CONVERTER_VERSION = 2;
export const INPUT_NAME = 'input';
export const LOGITS_NAME = 'logits';

const namesByGraph = new WeakMap<LayerGraph, Map<number, string>>();

/**
 * The ONNX name of a layer graph tensor: `t<k>` for the k-th layer output in graph order. TF.js's tensor ids
 * count up over a whole process, so the same model loaded in another worker, or after another model, has
 * other ids; a cached conversion must name its tensors the same way for every load.
 */
export function onnxTensorName(graph: LayerGraph, id: number): string {
  if (id === graph.input) return INPUT_NAME;
  let names = namesByGraph.get(graph);
  if (!names) {
    names = new Map(graph.ops.flatMap((op) => op.outputs).map((output, k) => [output, `t${k}`]));
    namesByGraph.set(graph, names);
  }
  const name = names.get(id);
  if (name === undefined) throw new Error(`Tensor ${id} is not an output of the layer graph`);
  return name;
}

/** Throws UnsupportedLayerError naming the first layer that cannot be converted. */
export function convertLayerGraph(graph: LayerGraph, inputSize: number): Uint8Array {
  const b = new GraphBuilder();
  b.reserve(INPUT_NAME);
  // Claimed first: a layer may be named `logits` (Keras's MobileNetV3 has one), and its tensors then get others.
  const logits = b.reserve(LOGITS_NAME);
  const shapeOf = (id: number) => graph.shapes.get(id)!;
  for (const op of graph.ops) {
    if (op.outputs.length !== 1) throw new UnsupportedLayerError(`layer ${op.name} has ${op.outputs.length} outputs`);
    const inputs = op.inputs.map((id) => onnxTensorName(graph, id));
    const output = b.reserve(onnxTensorName(graph, op.outputs[0]));
    if (op.layer === null) {
      b.op('Identity', inputs, {}, op.name, output);
      continue;
    }
    emitLayer(b, { layer: op.layer, inputs, inputShapes: op.inputs.map(shapeOf), outputShape: shapeOf(op.outputs[0]), output });
  }
  const outputShape = graph.outputShape;
  const classCount = outputShape.slice(1).reduce<number>((product, side) => product * (side ?? 1), 1);
  const last = onnxTensorName(graph, graph.output);
  const channelsLast = outputShape.length === 4 ? b.op('Transpose', [last], { perm: [0, 2, 3, 1] }, LOGITS_NAME) : last;
  b.op('Flatten', [channelsLast], { axis: 1 }, LOGITS_NAME, logits);

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sightline',
    producerVersion: String(CONVERTER_VERSION),
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'sightline-converted',
      node: b.nodes,
      initializer: b.initializers,
      input: [floatValueInfo(INPUT_NAME, ['N', 3, inputSize, inputSize])],
      output: [floatValueInfo(LOGITS_NAME, ['N', classCount])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
