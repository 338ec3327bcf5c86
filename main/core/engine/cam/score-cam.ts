// Score-CAM's channel scores (Wang et al., arXiv:1910.01279, eq. 4–6): each activation channel, upsampled
// to the input size with align-corners bilinear interpolation and min-max normalised, masks the input;
// the masked image's class logit is that channel's score. C network runs per image, in mini-batches.
import * as tf from '@tensorflow/tfjs-core';
import type { CamNetwork } from './network';

/**
 * Masked images per network run, for every runtime (the two pipelines this one replaced used 16 and 32): a
 * run's fixed cost is small next to 16 images' own, while the memory a run needs grows with the batch
 * (one VGG16 first-block tensor is 13 MB per image).
 */
export const MASKED_BATCH = 16;

/** Per class rank, the scores [N, C] of `classesByRank[rank][image]`. */
export async function maskedInputScores<Ref>(
  network: CamNetwork<Ref>,
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
      const { logits, kept } = await network.run(masked).finally(() => masked.dispose());
      kept.forEach((tensor) => tensor.dispose());
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

/**
 * Image `image` of `x` masked by each of the activation channels `first` … `first + size − 1`, upsampled
 * (align corners) and min-max normalised: [size, H, W, 3].
 */
export function maskedInputs(x: tf.Tensor4D, activations: tf.Tensor4D, image: number, first: number, size: number): tf.Tensor4D {
  const [, height, width] = x.shape;
  const [, h, w] = activations.shape;
  return tf.tidy(() => {
    const channelMaps = tf.transpose(tf.slice(activations, [image, 0, 0, first], [1, h, w, size]), [3, 1, 2, 0]);
    const upsampled = tf.image.resizeBilinear(channelMaps as tf.Tensor4D, [height, width], true);
    const low = tf.min(upsampled, [1, 2, 3], true);
    const high = tf.max(upsampled, [1, 2, 3], true);
    const masks = tf.div(tf.sub(upsampled, low), tf.add(tf.sub(high, low), 1e-8));
    return tf.mul(tf.slice(x, [image, 0, 0, 0], [1, height, width, 3]), masks) as tf.Tensor4D;
  });
}
