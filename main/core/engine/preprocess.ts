// Turns the scan stage's uint8 RGB pixels into the model's input tensor, per preprocessing preset.
import * as tf from '@tensorflow/tfjs-core';

export const PREPROCESSING_PRESETS = ['mobilenet', 'caffe', 'torch', 'raw'] as const;
export type PreprocessingPreset = (typeof PREPROCESSING_PRESETS)[number];

/** ImageNet channel means in RGB order, on the 0..255 scale (Keras `caffe` mode subtracts them in BGR order). */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN_RGB = [0.485, 0.456, 0.406];
const TORCH_STD_RGB = [0.229, 0.224, 0.225];

/**
 * `pixels` holds `count` images of size × size × 3 RGB bytes; returns a float32 NHWC batch. One pass in
 * JavaScript and one upload: cheaper than uploading the bytes and running two or three element-wise ops.
 */
export function preprocess(pixels: Uint8Array, count: number, size: number, preset: PreprocessingPreset): tf.Tensor4D {
  const expected = count * size * size * 3;
  if (pixels.length !== expected) {
    throw new Error(
      `Expected ${count} image(s) of ${size}×${size}×3 bytes (${expected} bytes), got ${pixels.length} bytes`,
    );
  }
  return tf.tensor4d(normalise(pixels, preset), [count, size, size, 3]);
}

function normalise(pixels: Uint8Array, preset: PreprocessingPreset): Float32Array {
  const out = new Float32Array(pixels.length);
  switch (preset) {
    case 'mobilenet':
      for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
      return out;
    case 'caffe':
      for (let i = 0; i < pixels.length; i += 3) {
        out[i] = pixels[i + 2] - CAFFE_MEAN_BGR[0];
        out[i + 1] = pixels[i + 1] - CAFFE_MEAN_BGR[1];
        out[i + 2] = pixels[i] - CAFFE_MEAN_BGR[2];
      }
      return out;
    case 'torch':
      for (let i = 0; i < pixels.length; i++) {
        const channel = i % 3;
        out[i] = (pixels[i] / 255 - TORCH_MEAN_RGB[channel]) / TORCH_STD_RGB[channel];
      }
      return out;
    case 'raw':
      out.set(pixels);
      return out;
  }
}
