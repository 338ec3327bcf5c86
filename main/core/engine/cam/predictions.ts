// Reading the logits of a batch: each image's top-k with softmax probabilities, and the classes to map,
// by rank; then each image's explanation once its maps are computed.
import type * as tf from '@tensorflow/tfjs-core';
import type { CamRequest, ImageExplanation } from './pipeline';

/** What the request must satisfy before the forward pass. */
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
