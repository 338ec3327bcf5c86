// The one place where a target tensor becomes the NHWC grid [n, h, w, c] the methods see: 4-D tensors
// arrive NHWC from every network (ONNX's NCHW ones are transposed on their way out of ONNX Runtime);
// token tensors [n, tokens, c] (ViT, DeiT) are cut to their s × s grid without the class token.
import * as tf from '@tensorflow/tfjs-core';
import type { CandidateLayer } from '../../../../common/types';

/** Tokens before the grid in a token tensor of `tokens` rows (the class token), for a square grid of side `side`. */
export function leadingTokens(tokens: number, side: number): number {
  return tokens - side * side;
}

/** The target tensor as the methods see it: NHWC [n, h, w, c]; token tensors without their class token. */
export function gridView(tensor: tf.Tensor, { layout, shape: [h, w, c] }: CandidateLayer): tf.Tensor4D {
  if (layout !== 'tokens') return tensor as tf.Tensor4D;
  const [n, tokens] = tensor.shape;
  return tf.tidy(() => tf.reshape(tf.slice(tensor, [0, leadingTokens(tokens, h), 0], [n, h * w, c]), [n, h, w, c]));
}
