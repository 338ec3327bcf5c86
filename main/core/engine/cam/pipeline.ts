// The CAM pipeline, the one every runtime uses (after pytorch-grad-cam's BaseCAM): one network run over
// the mini-batch that keeps the target layer's activations A and whatever else the head reads, then one
// gradient pass through the head for all requested classes at once (or the masked-input scores for
// Score-CAM), then the method's own formula (methods.ts). The head runs on A repeated once per class
// rank; summing the chosen class scores over that batch gives each (image, class) its own gradient,
// because batch rows do not interact. One pass over ranks × images rather than one pass per rank: the
// head's weights are read once for all ranks (after VGG16's block5_conv3, 124 M dense weights), and each
// op of the head runs once. The constants the head reads are repeated alike, except those with no batch
// axis (weights); a target whose head takes only the network's own batch gets one pass per rank.
import * as tf from '@tensorflow/tfjs-core';
import { preprocess, type PixelBatch } from '../preprocess';
import { gridView } from './grid-view';
import type { CamMethod } from '../../../../common/types';
import { camMethods } from './methods';
import type { CamHead, CamNetwork, CamTarget, NetworkOutputs } from './network';
import { checkBatch, explanations, readPredictions, splitRows } from './predictions';
import { maskedInputScores } from './score-cam';

export interface CamRequest {
  method: CamMethod;
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
 * Explains `input` at `target`. `input`: a preprocessed NHWC batch, or the scan stage's pixels. Pixels reach
 * a network with runPixels() without an NHWC tensor; one is made only when the method needs the input
 * itself (Score-CAM's masks).
 */
export async function explainBatch<Ref>(
  network: CamNetwork<Ref>,
  target: CamTarget<Ref>,
  input: tf.Tensor4D | PixelBatch,
  request: CamRequest,
): Promise<ImageExplanation[]> {
  const batch = new BatchInput(input);
  try {
    checkBatch(batch.count, request);
    const method = camMethods[request.method];
    const needsActivations = request.camTopK > 0 || request.classes !== undefined;
    const fetch = needsActivations ? [target.tensor, ...(method.uses === 'gradients' ? target.constants : [])] : [];
    const { logits, kept } = await batch.run(network, fetch);
    try {
      const predicted = readPredictions(logits, request);
      const { classesByRank } = predicted;
      if (classesByRank.length === 0) return explanations(predicted, [], target.layer.shape);
      const tensor = kept.get(target.tensor)!;
      const activations = gridView(tensor, target.layer);
      try {
        const mapsByRank = await mapsForRanks(network, target, batch, activations, kept, classesByRank, request);
        return explanations(predicted, mapsByRank, target.layer.shape);
      } finally {
        if (activations !== tensor) activations.dispose();
      }
    } finally {
      logits.dispose();
      kept.forEach((tensor) => tensor.dispose());
    }
  } finally {
    batch.dispose();
  }
}

/** The batch as the caller gave it, with the NHWC tensor made from pixels only if something asks for it. */
class BatchInput {
  private made: tf.Tensor4D | null = null;

  constructor(private readonly input: tf.Tensor4D | PixelBatch) {}

  get count(): number {
    return this.input instanceof tf.Tensor ? this.input.shape[0] : this.input.count;
  }

  run<Ref>(network: CamNetwork<Ref>, tensors: Ref[]): Promise<NetworkOutputs<Ref>> {
    const { input } = this;
    if (input instanceof tf.Tensor || !network.runPixels) return network.run(this.tensor(), tensors);
    return network.runPixels(input, tensors);
  }

  /** The preprocessed NHWC batch; owned by this object. */
  tensor(): tf.Tensor4D {
    const { input } = this;
    if (input instanceof tf.Tensor) return input;
    this.made ??= preprocess(input.pixels, input.count, input.size, input.preset);
    return this.made;
  }

  dispose(): void {
    this.made?.dispose();
    this.made = null;
  }
}

/** [rank][image] → map, read back from the device once per rank (once for all ranks with gradients). */
async function mapsForRanks<Ref>(
  network: CamNetwork<Ref>,
  target: CamTarget<Ref>,
  batch: BatchInput,
  activations: tf.Tensor4D,
  kept: Map<Ref, tf.Tensor>,
  classesByRank: number[][],
  request: CamRequest,
): Promise<Float32Array[][]> {
  const method = camMethods[request.method];
  const count = batch.count;
  const cells = target.layer.shape[0] * target.layer.shape[1];
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
      const scoresByRank = await maskedInputScores(network, batch.tensor(), activations, classesByRank);
      return scoresByRank.map((scores) => {
        const maps = read(tf.tidy(() => method.map(activations, scores)));
        scores.dispose();
        return maps;
      });
    }
    case 'gradients': {
      const { head } = target;
      if (typeof head === 'string') throw new Error(`${request.method} needs gradients, but ${head}`);
      // A token target's head takes the class token from the tensor itself.
      const constants = new Map([...kept].filter(([ref]) => ref !== target.tensor || target.layer.layout === 'tokens'));
      if (target.passPerRank) {
        return classesByRank.map((classes) => read(tf.tidy(() => method.map(activations, classGradients(head, activations, constants, classes)))));
      }
      const ranks = classesByRank.length;
      const unbatched = target.unbatched ?? new Set();
      const maps = read(
        tf.tidy(() => {
          const repeated = repeatBatch(activations, ranks);
          const repeatedConstants = new Map([...constants].map(([ref, t]) => [ref, unbatched.has(ref) ? t : repeatBatch(t, ranks)]));
          return method.map(repeated, classGradients(head, repeated, repeatedConstants, classesByRank.flat()));
        }),
      );
      return classesByRank.map((_, rank) => maps.slice(rank * count, (rank + 1) * count));
    }
  }
}

/** The batch `times` times over, along the batch axis. */
function repeatBatch<T extends tf.Tensor>(t: T, times: number): T {
  return times === 1 ? t : tf.concat(Array.from({ length: times }, () => t));
}

/** ∂y_c/∂A for each row's class c (one gradient pass for the whole batch). */
function classGradients<Ref>(head: CamHead<Ref>, activations: tf.Tensor4D, constants: Map<Ref, tf.Tensor>, classes: number[]): tf.Tensor4D {
  const scoreSum = (a: tf.Tensor) => {
    const logits = head(a as tf.Tensor4D, constants);
    return tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(classes, 'int32'), logits.shape[1])));
  };
  return tf.grad(scoreSum)(activations) as tf.Tensor4D;
}
