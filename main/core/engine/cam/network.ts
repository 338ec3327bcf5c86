// The two interfaces every runtime implements for the CAM pipeline (pipeline.ts), after pytorch-grad-cam's
// BaseCAM, which needs only a forward pass that records the target layer's activations and the gradient of
// the class score with respect to them: a network that runs a batch to the logits and returns the tensors
// asked for, and a target whose head recomputes the logits from the target's activations in differentiable
// TF.js ops. `Ref` is how the runtime names its tensors (a layer graph's tensor ids, ONNX or graph node names).
import type * as tf from '@tensorflow/tfjs-core';
import type { CandidateLayer } from '../../../../common/types';
import type { PixelBatch } from '../preprocess';

export interface NetworkOutputs<Ref> {
  /** [N, classes]. */
  logits: tf.Tensor2D;
  /** The tensors asked for; 4-D ones NHWC (or as the target's layout says). The caller disposes them. */
  kept: Map<Ref, tf.Tensor>;
}

export interface CamNetwork<Ref> {
  /** Runs the preprocessed NHWC batch `x` (the caller keeps ownership of it). */
  run(x: tf.Tensor4D, tensors?: Ref[]): Promise<NetworkOutputs<Ref>>;
  /** The scan stage's pixels without an NHWC tensor in between, where the network has a faster way in. */
  runPixels?(batch: PixelBatch, tensors?: Ref[]): Promise<NetworkOutputs<Ref>>;
}

/** Logits [N, classes] from A (the NHWC grid view) and the constants, on TF.js's tape. */
export type CamHead<Ref> = (activations: tf.Tensor4D, constants: Map<Ref, tf.Tensor>) => tf.Tensor2D;

export interface CamTarget<Ref> {
  /**
   * How the network's tensor maps to the NHWC grid view the methods see (grid-view.ts): `nchw` (the
   * default) and `nhwc` ones arrive as that view; `tokens` are cut to the grid without the class token.
   */
  layer: CandidateLayer;
  /** The target layer's output. */
  tensor: Ref;
  /** The other tensors the head reads (skip connections that bypass the layer). */
  constants: Ref[];
  /**
   * Constants with no batch axis (weights the network computes, the same for every image): the head's pass
   * over all class ranks takes them as they are, where it repeats every other constant along its first axis,
   * as it does the activations. Absent: none.
   */
  unbatched?: ReadonlySet<Ref>;
  /**
   * The head works only on the network's own batch: one gradient pass per class rank instead of one over all
   * ranks. For a constant whose batch is not its first axis (a sequence-first tensor inside attention), one
   * that holds the batch size (a shape), or a graph that has the batch size written in (a fixed-batch export).
   */
  passPerRank?: boolean;
  /**
   * The head, whose constants include, for tokens, the target tensor itself (for its class token); a text
   * instead says why the head could not be rebuilt, and gradient methods then fail with it.
   */
  head: CamHead<Ref> | string;
}
