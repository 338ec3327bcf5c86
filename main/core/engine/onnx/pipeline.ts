// The CAM pipeline with ONNX Runtime running the network: one run over the mini-batch returns the logits,
// the target layer's activations A and whatever else the head reads; TF.js then differentiates only the
// head, from A to the class scores. Score-CAM's masked inputs are plain ONNX Runtime runs. The methods'
// formulas are the TF.js path's own (cam/methods.ts), so both paths give the same maps.
import * as tf from '@tensorflow/tfjs-core';
import { camMethods } from '../cam/methods';
import type { CamRequest, ImageExplanation } from '../cam/pipeline';
import type { NetworkOutputs } from './network';

/**
 * A network run outside TF.js's tape: logits plus the named tensors (4-D ones NHWC). ONNX Runtime is one
 * (network.ts); a TF.js graph model is another (graph/).
 */
export interface CamNetwork {
  run(x: tf.Tensor4D, tensors?: string[]): Promise<NetworkOutputs>;
}

export interface OnnxTarget {
  layer: { name: string; shape: [number, number, number] };
  /** ONNX name of the target layer's output. */
  tensor: string;
  /** ONNX names of the other tensors the head reads (skip connections that bypass the layer). */
  constants: string[];
  /**
   * Logits [N, classes] from A (NHWC) and the constants, in differentiable TF.js ops; a text instead says
   * why the head could not be rebuilt, and gradient methods then fail with it.
   */
  head: ((activations: tf.Tensor4D, constants: Map<string, tf.Tensor>) => tf.Tensor2D) | string;
}

/** Masked images per ONNX Runtime run in Score-CAM. */
const MASKED_BATCH = 32;

export async function explainOnnxBatch(
  network: CamNetwork,
  target: OnnxTarget,
  x: tf.Tensor4D,
  request: CamRequest,
): Promise<ImageExplanation[]> {
  const count = x.shape[0];
  if (request.classes && request.classes.length !== count) {
    throw new Error(`classes names ${request.classes.length} images, but the batch has ${count}`);
  }
  const method = camMethods[request.method];
  const needsActivations = request.camTopK > 0 || request.classes !== undefined;
  const fetch = needsActivations ? [target.tensor, ...(method.uses === 'gradients' ? target.constants : [])] : [];
  const { logits, kept } = await network.run(x, fetch);
  try {
    const logitRows = splitRows(logits.dataSync() as Float32Array, count);
    const top = topClasses(logits, request.topK);
    const classesByRank = ranksOf(request.classes ?? top.map((row) => row.slice(0, request.camTopK).map((t) => t.index)));
    const classCount = logits.shape[1];
    if (classesByRank.flat().some((index) => !Number.isInteger(index) || index < 0 || index >= classCount)) {
      throw new Error(`Class indices must be whole numbers from 0 to ${classCount - 1}`);
    }
    const mapsByRank = classesByRank.length === 0 ? [] : await mapsForRanks(network, target, x, kept, classesByRank, request);
    return logitRows.map((row, image) => ({
      logits: row,
      top: top[image],
      maps: classesByRank.map((classes, rank) => ({
        classIndex: classes[image],
        h: target.layer.shape[0],
        w: target.layer.shape[1],
        preRelu: mapsByRank[rank][image],
      })),
    }));
  } finally {
    logits.dispose();
    kept.forEach((tensor) => tensor.dispose());
  }
}

async function mapsForRanks(
  network: CamNetwork,
  target: OnnxTarget,
  x: tf.Tensor4D,
  kept: Map<string, tf.Tensor>,
  classesByRank: number[][],
  request: CamRequest,
): Promise<Float32Array[][]> {
  const method = camMethods[request.method];
  const activations = kept.get(target.tensor) as tf.Tensor4D;
  const count = x.shape[0];
  const cells = target.layer.shape[0] * target.layer.shape[1];
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
      const scoresByRank = await maskedInputScores(network, x, activations, classesByRank);
      return scoresByRank.map((scores) => {
        const maps = read(tf.tidy(() => method.map(activations, scores)));
        scores.dispose();
        return maps;
      });
    }
    case 'gradients': {
      const { head } = target;
      if (typeof head === 'string') throw new Error(`${request.method} needs gradients, but ${head}`);
      const constants = new Map([...kept].filter(([name]) => name !== target.tensor));
      return classesByRank.map((classes) =>
        read(tf.tidy(() => method.map(activations, classGradients(head, activations, constants, classes)))),
      );
    }
  }
}

/** ∂y_c/∂A for each image's class c, through the TF.js head only (one gradient pass for the batch). */
function classGradients(
  head: Exclude<OnnxTarget['head'], string>,
  activations: tf.Tensor4D,
  constants: Map<string, tf.Tensor>,
  classes: number[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const scoreSum = (a: tf.Tensor) => {
      const logits = head(a as tf.Tensor4D, constants);
      return tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(classes, 'int32'), logits.shape[1])));
    };
    return tf.grad(scoreSum)(activations) as tf.Tensor4D;
  });
}

/**
 * Score-CAM's channel scores, as in cam/score-cam.ts: each activation channel, upsampled to the input
 * with align-corners bilinear interpolation and min-max normalised, masks the input; the masked image's
 * class logit is that channel's score.
 */
async function maskedInputScores(
  network: CamNetwork,
  x: tf.Tensor4D,
  activations: tf.Tensor4D,
  classesByRank: number[][],
): Promise<tf.Tensor2D[]> {
  const [count, height, width] = x.shape;
  const [, h, w, channels] = activations.shape;
  const scores = classesByRank.map(() => new Float32Array(count * channels));
  for (let image = 0; image < count; image++) {
    for (let first = 0; first < channels; first += MASKED_BATCH) {
      const size = Math.min(MASKED_BATCH, channels - first);
      const masked = tf.tidy(() => {
        const channelMaps = tf.transpose(tf.slice(activations, [image, 0, 0, first], [1, h, w, size]), [3, 1, 2, 0]);
        const upsampled = tf.image.resizeBilinear(channelMaps as tf.Tensor4D, [height, width], true);
        const low = tf.min(upsampled, [1, 2, 3], true);
        const high = tf.max(upsampled, [1, 2, 3], true);
        const masks = tf.div(tf.sub(upsampled, low), tf.add(tf.sub(high, low), 1e-8));
        return tf.mul(tf.slice(x, [image, 0, 0, 0], [1, height, width, 3]), masks) as tf.Tensor4D;
      });
      const { logits } = await network.run(masked).finally(() => masked.dispose());
      const values = logits.dataSync() as Float32Array;
      const classCount = logits.shape[1];
      logits.dispose();
      classesByRank.forEach((classes, rank) => {
        for (let offset = 0; offset < size; offset++) {
          scores[rank][image * channels + first + offset] = values[offset * classCount + classes[image]];
        }
      });
    }
  }
  return scores.map((values) => tf.tensor2d(values, [count, channels]));
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
