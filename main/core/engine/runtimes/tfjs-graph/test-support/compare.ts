// Compares the graph runtime with the TF.js layers path (the pipeline on the same layers model, layer by
// layer) map by map.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { explainBatch, type CamRequest } from '../../../cam/pipeline';
import type { LoadedModel } from '../../../model';
import { layerByLayerNetwork, layersTarget } from '../../tfjs-layers/network';
import type { GraphRuntime } from '../runtime';

export interface Comparison {
  /** Worst max |map difference| / max |layers map| over images and ranks. */
  mapError: number;
  /** Worst |logit difference|. */
  logitError: number;
}

/**
 * Runs the graph runtime at the node that computes `layer` and the layers path at `layer` on `x`; checks
 * top-k classes, class indices and map sizes, and that the graph runtime leaves no tensor behind.
 */
export async function compareWithLayers(
  runtime: GraphRuntime,
  loaded: LoadedModel,
  nodeOf: Map<string, string>,
  x: tf.Tensor4D,
  request: CamRequest & { layer: string },
): Promise<Comparison> {
  const node = nodeOf.get(request.layer);
  if (!node) throw new Error(`No graph node for layer ${request.layer}`);
  const tensorsBefore = tf.memory().numTensors;
  const ours = await runtime.explainTensor(x, { ...request, layer: node });
  expect(tf.memory().numTensors, 'tensors left behind by the graph runtime').toBe(tensorsBefore);
  const reference = await explainBatch(layerByLayerNetwork(loaded.graph), layersTarget(loaded, request.layer), x, request);
  let mapError = 0;
  let logitError = 0;
  let largestMap = 0;
  ours.forEach((image, i) => {
    const expected = reference[i];
    logitError = Math.max(logitError, maxAbsDifference(image.logits, expected.logits));
    expect(image.top.map((t) => t.index)).toEqual(expected.top.map((t) => t.index));
    expect(image.maps.map((m) => [m.classIndex, m.h, m.w])).toEqual(expected.maps.map((m) => [m.classIndex, m.h, m.w]));
    image.maps.forEach((map, rank) => {
      largestMap = Math.max(largestMap, ...expected.maps[rank].preRelu.map(Math.abs));
      mapError = Math.max(mapError, relativeError(map.preRelu, expected.maps[rank].preRelu, request.method === 'EigenCAM'));
    });
  });
  expect(ours.length).toBe(reference.length);
  if (request.camTopK > 0) expect(largestMap, 'the layers path gives maps that are not all zero').toBeGreaterThan(0);
  return { mapError, logitError };
}

/** max |a − b| / max |b|; Eigen-CAM's maps are compared up to their arbitrary sign. */
export function relativeError(ours: Float32Array, reference: Float32Array, eitherSign = false): number {
  expect(ours.length).toBe(reference.length);
  const dot = ours.reduce((sum, value, i) => sum + value * reference[i], 0);
  const sign = eitherSign && dot < 0 ? -1 : 1;
  const scale = reference.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  let worst = 0;
  ours.forEach((value, i) => (worst = Math.max(worst, Math.abs(sign * value - reference[i]))));
  return scale === 0 ? worst : worst / scale;
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
