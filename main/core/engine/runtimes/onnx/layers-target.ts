// A CAM target in a converted TF.js model: the cut is the TF.js path's own (cut.ts), so the head that
// TF.js differentiates is the same layers with the same weights; only the names change to ONNX's.
import type { CamTarget } from '../../cam/network';
import type { LoadedModel } from '../../model';
import { layersTarget } from '../tfjs-layers/network';
import { onnxTensorName } from './convert';

export function layersModelTarget(model: LoadedModel, layerName: string | undefined): CamTarget<string> {
  const { graph } = model;
  const target = layersTarget(model, layerName);
  const { head } = target;
  const constantNames = target.constants.map((id) => onnxTensorName(graph, id));
  return {
    layer: target.layer,
    tensor: onnxTensorName(graph, target.tensor),
    constants: constantNames,
    head: (activations, constants) => head(activations, new Map(target.constants.map((id, i) => [id, constants.get(constantNames[i])!]))),
  };
}
