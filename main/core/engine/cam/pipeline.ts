// The shared CAM pipeline: one forward pass over the mini-batch that keeps the target layer's activations,
// then per class rank one gradient pass through the head (or the masked-input scores for Score-CAM),
// then the method's own formula. Summing the chosen class scores over the batch gives each image its
// own gradient, because images do not interact.
import * as tf from '@tensorflow/tfjs-core';
import { forward, headLogits, type GraphCut } from '../cut';
import type { LayerGraph } from '../layer-graph';
import { camMethods, type CamMethodName } from './methods';
import { maskedInputScores } from './score-cam';

export interface CamRequest {
  method: CamMethodName;
  topK: number;
  /** Maps for the top `camTopK` classes of each image, unless `classes` names them. */
  camTopK: number;
  /** Per image, the classes to map (all images the same count). */
  classes?: number[][];
}

export interface CamMap {
  classIndex: number;
  h: number;
  w: number;
  /** The method's map before the final ReLU, row-major. */
  preRelu: Float32Array;
}

export interface ImageExplanation {
  logits: Float32Array;
  top: { index: number; prob: number }[];
  maps: CamMap[];
}

export function explainBatch(graph: LayerGraph, cut: GraphCut, x: tf.Tensor4D, request: CamRequest): ImageExplanation[] {
  const count = x.shape[0];
  if (request.classes && request.classes.length !== count) {
    throw new Error(`classes names ${request.classes.length} images, but the batch has ${count}`);
  }
  const { logits, kept } = forward(graph, x, [cut.layer.tensor, ...cut.constants]);
  try {
    const logitRows = splitRows(logits.dataSync() as Float32Array, count);
    const top = topClasses(logits, request.topK);
    const classesByRank = ranksOf(request.classes ?? top.map((row) => row.slice(0, request.camTopK).map((t) => t.index)));
    const classCount = logits.shape[1];
    if (classesByRank.flat().some((index) => !Number.isInteger(index) || index < 0 || index >= classCount)) {
      throw new Error(`Class indices must be whole numbers from 0 to ${classCount - 1}`);
    }
    const activations = kept.get(cut.layer.tensor) as tf.Tensor4D;
    const constants = new Map([...kept].filter(([id]) => id !== cut.layer.tensor));
    const mapsByRank = mapsForRanks(graph, cut, x, activations, constants, classesByRank, request.method);
    return logitRows.map((row, image) => ({
      logits: row,
      top: top[image],
      maps: classesByRank.map((classes, rank) => ({
        classIndex: classes[image],
        h: cut.layer.shape[0],
        w: cut.layer.shape[1],
        preRelu: mapsByRank[rank][image],
      })),
    }));
  } finally {
    logits.dispose();
    kept.forEach((tensor) => tensor.dispose());
  }
}

function mapsForRanks(
  graph: LayerGraph,
  cut: GraphCut,
  x: tf.Tensor4D,
  activations: tf.Tensor4D,
  constants: Map<number, tf.Tensor>,
  classesByRank: number[][],
  methodName: CamMethodName,
): Float32Array[][] {
  const method = camMethods[methodName];
  const count = x.shape[0];
  const cells = cut.layer.shape[0] * cut.layer.shape[1];
  const read = (map: tf.Tensor3D) => {
    const rows = splitRows(map.dataSync() as Float32Array, count, cells);
    map.dispose();
    return rows;
  };
  switch (method.uses) {
    case 'activations': {
      const maps = read(tf.tidy(() => method.map(activations)));
      return classesByRank.map(() => maps);
    }
    case 'channel-scores': {
      const scoresByRank = maskedInputScores(graph, x, activations, classesByRank);
      return scoresByRank.map((scores) => {
        const maps = read(tf.tidy(() => method.map(activations, scores)));
        scores.dispose();
        return maps;
      });
    }
    case 'gradients':
      return classesByRank.map((classes) =>
        read(tf.tidy(() => method.map(activations, classGradients(graph, cut, activations, constants, classes)))),
      );
  }
}

/** ∂y_c/∂A for each image's class c (one gradient pass for the whole batch). */
function classGradients(
  graph: LayerGraph,
  cut: GraphCut,
  activations: tf.Tensor4D,
  constants: Map<number, tf.Tensor>,
  classes: number[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const classCount = graph.outputShape.slice(1).reduce<number>((product, side) => product * (side ?? 1), 1);
    const selector = tf.oneHot(tf.tensor1d(classes, 'int32'), classCount);
    const scoreSum = (a: tf.Tensor) => tf.sum(tf.mul(headLogits(graph, cut, a, constants), selector));
    return tf.grad(scoreSum)(activations) as tf.Tensor4D;
  });
}

function topClasses(logits: tf.Tensor2D, k: number): { index: number; prob: number }[][] {
  const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(logits), Math.min(k, logits.shape[1])));
  const probs = values.arraySync() as number[][];
  const classIndices = indices.arraySync() as number[][];
  values.dispose();
  indices.dispose();
  return classIndices.map((row, image) => row.map((index, rank) => ({ index, prob: probs[image][rank] })));
}

/** [image][rank] → [rank][image]. */
function ranksOf(classesByImage: number[][]): number[][] {
  const rankCount = classesByImage[0]?.length ?? 0;
  if (classesByImage.some((classes) => classes.length !== rankCount)) {
    throw new Error('Every image must ask for the same number of class maps');
  }
  return Array.from({ length: rankCount }, (_, rank) => classesByImage.map((classes) => classes[rank]));
}

function splitRows(values: Float32Array, count: number, rowLength = values.length / count): Float32Array[] {
  return Array.from({ length: count }, (_, row) => values.slice(row * rowLength, (row + 1) * rowLength));
}
