// A CAM target in a converted TF.js model: the cut is the TF.js path's own (cut.ts), so the head that
// TF.js differentiates is the same layers with the same weights; only the names change to ONNX's.
import type * as tf from '@tensorflow/tfjs-core';
import { cutAt, headLogits } from '../cut';
import type { LoadedModel } from '../model';
import { onnxTensorName } from './convert';
import type { OnnxTarget } from './pipeline';

export function layersModelTarget(model: LoadedModel, layerName: string | undefined): OnnxTarget {
  const { graph } = model;
  const cut = cutAt(model, layerName);
  const constantNames = cut.constants.map((id) => onnxTensorName(graph, id));
  return {
    layer: { name: cut.layer.name, shape: cut.layer.shape },
    tensor: onnxTensorName(graph, cut.layer.tensor),
    constants: constantNames,
    head: (activations: tf.Tensor4D, constants: Map<string, tf.Tensor>) =>
      headLogits(graph, cut, activations, new Map(cut.constants.map((id, i) => [id, constants.get(constantNames[i])!]))),
  };
}
