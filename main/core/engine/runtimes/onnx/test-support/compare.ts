// Compares the ONNX path with the TF.js path, map by map.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { CamRequest, ImageExplanation } from '../../../cam/pipeline';

/** Anything that explains a preprocessed batch: an engine, a runtime, an OnnxExplainer. */
export interface TensorExplainer {
  explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]>;
}

/** max |a − b| / max |b|; Eigen-CAM's maps are compared up to their arbitrary sign. */
export function relativeError(ours: Float32Array, reference: Float32Array, eitherSign = false): number {
  const dot = ours.reduce((sum, value, i) => sum + value * reference[i], 0);
  const sign = eitherSign && dot < 0 ? -1 : 1;
  const scale = Math.max(...reference.map(Math.abs));
  let worst = 0;
  ours.forEach((value, i) => (worst = Math.max(worst, Math.abs(sign * value - reference[i]))));
  return scale === 0 ? worst : worst / scale;
}

/**
 * Runs both paths (the TF.js one through the engine itself) on `x` and returns the worst relative map
 * error; checks logits, top-k, class indices, finite maps and that the ONNX path leaves no tensor behind.
 * `oursLayer` names the layer on the ONNX side when its name differs there (an ONNX tensor name).
 */
export async function compareWithTfjs(
  tfjsEngine: TensorExplainer,
  explainer: TensorExplainer,
  x: tf.Tensor4D,
  request: CamRequest & { layer?: string },
  oursLayer = request.layer,
): Promise<number> {
  const tensorsBefore = tf.memory().numTensors;
  const ours = await explainer.explainTensor(x, { ...request, layer: oursLayer });
  expect(tf.memory().numTensors, 'tensors left behind by the ONNX path').toBe(tensorsBefore);
  const reference = await tfjsEngine.explainTensor(x, request);
  let worst = 0;
  ours.forEach((image, i) => {
    const expected = reference[i];
    expect(maxAbsDifference(image.logits, expected.logits)).toBeLessThan(1e-4);
    expect(image.top.map((t) => t.index)).toEqual(expected.top.map((t) => t.index));
    expect(image.maps.map((m) => [m.classIndex, m.h, m.w])).toEqual(expected.maps.map((m) => [m.classIndex, m.h, m.w]));
    image.maps.forEach((map, rank) => {
      expect(map.preRelu.every(Number.isFinite), 'finite map').toBe(true);
      worst = Math.max(worst, relativeError(map.preRelu, expected.maps[rank].preRelu, request.method === 'EigenCAM'));
    });
  });
  return worst;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The TF.js path's logits for the batch, one row per image. */
export async function tfjsLogits(tfjsEngine: TensorExplainer, x: tf.Tensor4D): Promise<Float32Array> {
  const rows = (await tfjsEngine.explainTensor(x, { method: 'GradCAM', topK: 1, camTopK: 0 })).map((image) => image.logits);
  const all = new Float32Array(rows.reduce((sum, row) => sum + row.length, 0));
  rows.reduce((offset, row) => (all.set(row, offset), offset + row.length), 0);
  return all;
}
