// Turns the scan stage's uint8 RGB pixels into the model's input tensor, per preprocessing preset.
import * as tf from '@tensorflow/tfjs-core';

export const PREPROCESSING_PRESETS = ['mobilenet', 'caffe', 'torch', 'raw'] as const;
export type PreprocessingPreset = (typeof PREPROCESSING_PRESETS)[number];

/** ImageNet channel means in RGB order, on the 0..255 scale (Keras `caffe` mode subtracts them in BGR order). */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN_RGB = [0.485, 0.456, 0.406];
const TORCH_STD_RGB = [0.229, 0.224, 0.225];

/** `pixels` holds `count` images of size × size × 3 RGB bytes; returns a float32 NHWC batch. */
export function preprocess(pixels: Uint8Array, count: number, size: number, preset: PreprocessingPreset): tf.Tensor4D {
  const expected = count * size * size * 3;
  if (pixels.length !== expected) {
    throw new Error(
      `Expected ${count} image(s) of ${size}×${size}×3 bytes (${expected} bytes), got ${pixels.length} bytes`,
    );
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels), [count, size, size, 3]);
    switch (preset) {
      case 'mobilenet':
        return tf.sub(tf.div(x, 127.5), 1);
      case 'caffe':
        return tf.sub(tf.reverse(x, -1), CAFFE_MEAN_BGR);
      case 'torch':
        return tf.div(tf.sub(tf.div(x, 255), TORCH_MEAN_RGB), TORCH_STD_RGB);
      case 'raw':
        return x;
    }
  });
}
