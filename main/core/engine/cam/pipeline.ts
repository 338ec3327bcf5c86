// The shared CAM pipeline: one forward pass over the mini-batch that keeps the target layer's activations,
// then one gradient pass through the head for all requested classes at once (or the masked-input scores
// for Score-CAM), then the method's own formula. The head runs on the activations repeated once per class
// rank; summing the chosen class scores over that batch gives each (image, class) its own gradient,
// because batch rows do not interact.
import * as tf from '@tensorflow/tfjs-core';
import { forward as layerByLayer, headLogits, type GraphCut } from '../cut';
import type { ForwardStep } from '../forward';
import type { LayerGraph } from '../layer-graph';
import { camMethods, type CamMethod, type CamMethodName } from './methods';
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

/**
 * Explains the batch `x` at the cut's layer. `forward` computes the logits and the tensors the head needs;
 * by default the model's layers one by one. The engine passes its fused pass (forward.ts), and another
 * runtime can pass its own.
 */
export function explainBatch(
  graph: LayerGraph,
  cut: GraphCut,
  x: tf.Tensor4D,
  request: CamRequest,
  forward: ForwardStep = referenceForward(graph, cut),
): ImageExplanation[] {
  checkBatch(x.shape[0], request);
  const { logits, kept } = forward.run(x);
  try {
    const predicted = readPredictions(logits, request);
    const { classesByRank } = predicted;
    const activations = kept.get(cut.layer.tensor) as tf.Tensor4D;
    const constants = new Map([...kept].filter(([id]) => id !== cut.layer.tensor));
    const mapsByRank =
      classesByRank.length === 0
        ? []
        : mapsForRanks(graph, cut, forward, x, activations, constants, classesByRank, camMethods[request.method]);
    return explanations(predicted, mapsByRank, cut.layer.shape);
  } finally {
    logits.dispose();
    kept.forEach((tensor) => tensor.dispose());
  }
}

/** [rank][image] → map, read back from the device once. */
function mapsForRanks(
  graph: LayerGraph,
  cut: GraphCut,
  forward: ForwardStep,
  x: tf.Tensor4D,
  activations: tf.Tensor4D,
  constants: Map<number, tf.Tensor>,
  classesByRank: number[][],
  method: CamMethod,
): Float32Array[][] {
  const count = x.shape[0];
  const cells = cut.layer.shape[0] * cut.layer.shape[1];
  const read = (map: tf.Tensor3D) => {
    const rows = splitRows(map.dataSync() as Float32Array, map.shape[0], cells);
    map.dispose();
    return rows;
  };
  switch (method.uses) {
    case 'activations': {
      const maps = read(tf.tidy(() => method.map(activations)));
      return classesByRank.map(() => maps);
    }
    case 'channel-scores': {
      const scoresByRank = maskedInputScores(forward, x, activations, classesByRank);
      return scoresByRank.map((scores) => {
        const maps = read(tf.tidy(() => method.map(activations, scores)));
        scores.dispose();
        return maps;
      });
    }
    case 'gradients': {
      const maps = read(
        tf.tidy(() => {
          const repeated = repeatBatch(activations, classesByRank.length);
          const repeatedConstants = new Map([...constants].map(([id, t]) => [id, repeatBatch(t, classesByRank.length)]));
          const gradients = classGradients(graph, cut, repeated, repeatedConstants, classesByRank.flat());
          return method.map(repeated, gradients);
        }),
      );
      return classesByRank.map((_, rank) => maps.slice(rank * count, (rank + 1) * count));
    }
  }
}

function referenceForward(graph: LayerGraph, cut: GraphCut): ForwardStep {
  return { run: (x) => layerByLayer(graph, x, [cut.layer.tensor, ...cut.constants]), dispose: () => undefined };
}

/** The batch `times` times over, along the batch axis. */
function repeatBatch<T extends tf.Tensor>(t: T, times: number): T {
  return times === 1 ? t : tf.concat(Array.from({ length: times }, () => t));
}

/** ∂y_c/∂A for each row's class c (one gradient pass for the whole batch). */
function classGradients(
  graph: LayerGraph,
  cut: GraphCut,
  activations: tf.Tensor4D,
  constants: Map<number, tf.Tensor>,
  classes: number[],
): tf.Tensor4D {
  const classCount = graph.outputShape.slice(1).reduce<number>((product, side) => product * (side ?? 1), 1);
  const selector = tf.oneHot(tf.tensor1d(classes, 'int32'), classCount);
  const scoreSum = (a: tf.Tensor) => tf.sum(tf.mul(headLogits(graph, cut, a, constants), selector));
  return tf.grad(scoreSum)(activations) as tf.Tensor4D;
}

/** What both pipelines (this one and onnx/pipeline.ts) check before the forward pass. */
export function checkBatch(count: number, request: CamRequest): void {
  if (request.classes && request.classes.length !== count) {
    throw new Error(`classes names ${request.classes.length} images, but the batch has ${count}`);
  }
}

export interface Predictions {
  logitRows: Float32Array[];
  top: { index: number; prob: number }[][];
  /** [rank][image]: the class each map is for. */
  classesByRank: number[][];
}

/** The logits read back once: each image's top-k, and the classes to map (`request.classes`, else the top camTopK). */
export function readPredictions(logits: tf.Tensor2D, request: CamRequest): Predictions {
  const [count, classCount] = logits.shape;
  const logitRows = splitRows(logits.dataSync() as Float32Array, count);
  const top = logitRows.map((row) => topClasses(row, request.topK));
  const classesByRank = ranksOf(request.classes ?? top.map((row) => row.slice(0, request.camTopK).map((t) => t.index)));
  if (classesByRank.flat().some((index) => !Number.isInteger(index) || index < 0 || index >= classCount)) {
    throw new Error(`Class indices must be whole numbers from 0 to ${classCount - 1}`);
  }
  return { logitRows, top, classesByRank };
}

/** Per image: its logits, top-k and one map per rank (`mapsByRank[rank][image]`, at the layer's [h, w]). */
export function explanations(predicted: Predictions, mapsByRank: Float32Array[][], [h, w]: readonly number[]): ImageExplanation[] {
  const { logitRows, top, classesByRank } = predicted;
  return logitRows.map((row, image) => ({
    logits: row,
    top: top[image],
    maps: classesByRank.map((classes, rank) => ({ classIndex: classes[image], h, w, preRelu: mapsByRank[rank][image] })),
  }));
}

/** The k classes with the largest logits, with their softmax probabilities. */
export function topClasses(logits: Float32Array, k: number): { index: number; prob: number }[] {
  const max = logits.reduce((m, value) => Math.max(m, value), -Infinity);
  const total = logits.reduce((sum, value) => sum + Math.exp(value - max), 0);
  return topIndices(logits, k).map((index) => ({ index, prob: Math.exp(logits[index] - max) / total }));
}

/**
 * The indices of the k largest values, largest first, ties by lower index: a sorted list of at most k,
 * which a value enters only if it beats the list's last (a full sort of 1000 classes per image cost more
 * than the rest of reading predictions).
 */
export function topIndices(values: Float32Array, k: number): number[] {
  const best: number[] = [];
  const size = Math.min(k, values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (best.length === size && !(value > values[best[size - 1]])) continue;
    let at = best.length === size ? size - 1 : best.length;
    // Later indices go after equal values: only a strictly larger value moves ahead.
    while (at > 0 && value > values[best[at - 1]]) at--;
    if (best.length === size) best.pop();
    best.splice(at, 0, index);
  }
  return best;
}

/** [image][rank] → [rank][image]. */
function ranksOf(classesByImage: number[][]): number[][] {
  const rankCount = classesByImage[0]?.length ?? 0;
  if (classesByImage.some((classes) => classes.length !== rankCount)) {
    throw new Error('Every image must ask for the same number of class maps');
  }
  return Array.from({ length: rankCount }, (_, rank) => classesByImage.map((classes) => classes[rank]));
}

export function splitRows(values: Float32Array, count: number, rowLength = values.length / count): Float32Array[] {
  return Array.from({ length: count }, (_, row) => values.slice(row * rowLength, (row + 1) * rowLength));
}
