// Splits the layer graph at a target layer A: the head is every layer downstream of A, re-run on its own
// to get the class score from A; tensors that enter the head from elsewhere (skip connections,
// branches that do not pass through A) are fed to it as constants from the forward pass.
import * as tf from '@tensorflow/tfjs-core';
import { asClassVectors } from './forward';
import { applyGraphOp, downstreamOps, runOps, type GraphOp, type LayerGraph } from '../../layer-graph';
import type { LayerChoice, LoadedModel } from '../../model';
import { applyConv2dUnfused } from '../../unfused-conv';

export interface GraphCut {
  layer: LayerChoice;
  head: GraphOp[];
  /** Tensor ids the head reads that it neither computes nor gets from A. */
  constants: number[];
}

export function cutAt(model: LoadedModel, layerName: string | undefined): GraphCut {
  const { graph, spatialLayers } = model;
  const layer = layerName ? spatialLayers.findLast((choice) => choice.name === layerName) : defaultLayer(model);
  if (!layer) {
    if (!layerName) throw new Error('The model has no layer with a spatial 4-D output to explain');
    const isLayer = graph.ops.some((op) => op.name === layerName);
    throw new Error(
      isLayer
        ? `Layer ${layerName} has no spatial 4-D output [batch, height, width, channels] and cannot be a CAM target`
        : `The model has no layer named ${layerName}; layers with a spatial output: ${spatialLayers.map((choice) => choice.name).join(', ')}`,
    );
  }
  const head = downstreamOps(graph, layer.tensor);
  if (!head.some((op) => op.outputs.includes(graph.output))) {
    throw new Error(`The class scores do not depend on layer ${layer.name}`);
  }
  const computedInHead = new Set(head.flatMap((op) => op.outputs));
  const constants = [
    ...new Set(head.flatMap((op) => op.inputs).filter((id) => id !== layer.tensor && !computedInHead.has(id))),
  ];
  return { layer, head, constants };
}

/** Spatial pooling layers: a map at their input is finer and shows the same features. */
const POOLING_LAYERS = new Set(['MaxPooling2D', 'AveragePooling2D']);

/**
 * The last spatial layer before the pooling that ends the spatial part of the network: VGG's block5_conv3 (14 × 14),
 * the lesson's layer, rather than the 7 × 7 block5_pool after it; MobileNet's conv_pw_13_relu.
 */
function defaultLayer({ graph, spatialLayers }: LoadedModel): LayerChoice | undefined {
  const classNames = new Map(graph.ops.map((op) => [op.name, op.layer?.getClassName()]));
  let index = spatialLayers.length - 1;
  while (index > 0 && POOLING_LAYERS.has(classNames.get(spatialLayers[index].name) ?? '')) index--;
  return spatialLayers[index];
}

/** Logits [N, classes] from the head, given A and the constants. Keeps every tensor (for tf.grad's tape). */
export function headLogits(graph: LayerGraph, cut: GraphCut, activations: tf.Tensor, constants: Map<number, tf.Tensor>) {
  const values = new Map(constants);
  values.set(cut.layer.tensor, activations);
  runOps(cut.head, values, null, (op, inputs) => (op.layer && applyConv2dUnfused(op.layer, inputs)) ?? applyGraphOp(op, inputs));
  return asClassVectors(values.get(graph.output)!);
}

/**
 * The full network on input `x`, layer by layer as the model defines it; returns the logits and the tensors
 * listed in `keep`. The reference that the engine's fused forward pass (forward.ts) is checked against.
 */
export function forward(graph: LayerGraph, x: tf.Tensor4D, keep: number[]) {
  const values = new Map<number, tf.Tensor>([[graph.input, x]]);
  runOps(graph.ops, values, new Set([...keep, graph.output]), applyGraphOp);
  const output = values.get(graph.output)!;
  const logits = asClassVectors(output);
  if (!keep.includes(graph.output)) output.dispose();
  // The caller owns x; a head that reads the input directly gets its own handle to dispose.
  const kept = new Map(keep.map((id) => [id, id === graph.input ? x.clone() : values.get(id)!]));
  return { logits, kept };
}
