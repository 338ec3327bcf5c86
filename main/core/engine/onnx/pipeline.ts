// The CAM pipeline with ONNX Runtime running the network: one run over the mini-batch returns the logits,
// the target layer's activations A and whatever else the head reads; TF.js then differentiates only the
// head, from A to the class scores. Score-CAM's masked inputs are plain ONNX Runtime runs. The methods'
// formulas are the TF.js path's own (cam/methods.ts), so both paths give the same maps.
import * as tf from '@tensorflow/tfjs-core';
import type { CandidateLayer } from '../../../../common/types';
import { camMethods } from '../cam/methods';
import { checkBatch, explanations, readPredictions, splitRows, type CamRequest, type ImageExplanation } from '../cam/pipeline';
import { maskedInputs } from '../cam/score-cam';
import { leadingTokens } from './candidate-layers';
import { preprocess, type PixelBatch } from '../preprocess';
import type { NetworkOutputs } from './network';

/**
 * A network run outside TF.js's tape: logits plus the named tensors (4-D ones NHWC). ONNX Runtime is one
 * (network.ts); a TF.js graph model is another (graph/).
 */
export interface CamNetwork {
  run(x: tf.Tensor4D, tensors?: string[]): Promise<NetworkOutputs>;
  /** The scan stage's pixels without an NHWC tensor in between, where the network has a faster way in. */
  runPixels?(batch: PixelBatch, tensors?: string[]): Promise<NetworkOutputs>;
}

export interface OnnxTarget {
  /**
   * How the network's tensor maps to the NHWC grid view the methods see (candidate-layers.ts): `nchw` (the
   * default) and `nhwc` ones arrive as that view; `tokens` are cut to the grid without the class token.
   */
  layer: CandidateLayer;
  /** ONNX name of the target layer's output. */
  tensor: string;
  /** ONNX names of the other tensors the head reads (skip connections that bypass the layer). */
  constants: string[];
  /**
   * Logits [N, classes] from A (the NHWC grid view) and the constants (with, for tokens, the target tensor
   * itself for its class token), in differentiable TF.js ops; a text instead says why the head could not
   * be rebuilt, and gradient methods then fail with it.
   */
  head: ((activations: tf.Tensor4D, constants: Map<string, tf.Tensor>) => tf.Tensor2D) | string;
}

/** Masked images per ONNX Runtime run in Score-CAM. */
const MASKED_BATCH = 32;

/**
 * `input`: a preprocessed NHWC batch, or the scan stage's pixels. Pixels reach a network with runPixels()
 * without an NHWC tensor; one is made only when the method needs the input itself (Score-CAM's masks).
 */
export async function explainOnnxBatch(
  network: CamNetwork,
  target: OnnxTarget,
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

  run(network: CamNetwork, tensors: string[]): Promise<NetworkOutputs> {
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

async function mapsForRanks(
  network: CamNetwork,
  target: OnnxTarget,
  batch: BatchInput,
  activations: tf.Tensor4D,
  kept: Map<string, tf.Tensor>,
  classesByRank: number[][],
  request: CamRequest,
): Promise<Float32Array[][]> {
  const method = camMethods[request.method];
  const count = batch.count;
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
      const constants = new Map([...kept].filter(([name]) => name !== target.tensor || target.layer.layout === 'tokens'));
      return classesByRank.map((classes) =>
        read(tf.tidy(() => method.map(activations, classGradients(head, activations, constants, classes)))),
      );
    }
  }
}

/** The target tensor as the methods see it: NHWC [n, h, w, c]; token tensors without their class token. */
export function gridView(tensor: tf.Tensor, { layout, shape: [h, w, c] }: CandidateLayer): tf.Tensor4D {
  if (layout !== 'tokens') return tensor as tf.Tensor4D;
  const [n, tokens] = tensor.shape;
  return tf.tidy(() => tf.reshape(tf.slice(tensor, [0, leadingTokens(tokens, h), 0], [n, h * w, c]), [n, h, w, c]));
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

/** Score-CAM's channel scores, as in cam/score-cam.ts (the same masks), from plain network runs. */
async function maskedInputScores(
  network: CamNetwork,
  x: tf.Tensor4D,
  activations: tf.Tensor4D,
  classesByRank: number[][],
): Promise<tf.Tensor2D[]> {
  const count = x.shape[0];
  const channels = activations.shape[3];
  const scores = classesByRank.map(() => new Float32Array(count * channels));
  for (let image = 0; image < count; image++) {
    for (let first = 0; first < channels; first += MASKED_BATCH) {
      const size = Math.min(MASKED_BATCH, channels - first);
      const masked = maskedInputs(x, activations, image, first, size);
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
