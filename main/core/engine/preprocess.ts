// Turns the scan stage's uint8 RGB pixels into the model's input tensor, per preprocessing preset.
import * as tf from '@tensorflow/tfjs-core';

export const PREPROCESSING_PRESETS = ['mobilenet', 'caffe', 'torch', 'raw'] as const;
export type PreprocessingPreset = (typeof PREPROCESSING_PRESETS)[number];

/** ImageNet channel means in RGB order, on the 0..255 scale (Keras `caffe` mode subtracts them in BGR order). */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN_RGB = [0.485, 0.456, 0.406];
const TORCH_STD_RGB = [0.229, 0.224, 0.225];

/** `count` images of size × size × 3 RGB bytes from the scan stage, and the preprocessing the model wants. */
export interface PixelBatch {
  pixels: Uint8Array;
  count: number;
  size: number;
  preset: PreprocessingPreset;
}

/**
 * `pixels` holds `count` images of size × size × 3 RGB bytes; returns a float32 NHWC batch. One pass in
 * JavaScript and one upload: cheaper than uploading the bytes and running two or three element-wise ops.
 */
export function preprocess(pixels: Uint8Array, count: number, size: number, preset: PreprocessingPreset): tf.Tensor4D {
  checkPixels({ pixels, count, size, preset });
  return tf.tensor4d(normalise(pixels, preset), [count, size, size, 3]);
}

/**
 * The same values as preprocess(), in NCHW order, as a plain array: what ONNX Runtime reads. One pass over
 * the bytes through a table per channel, into `out` when it has the right length, so that a runtime reusing
 * one array allocates nothing per batch (each fresh array of a few MB is external memory that V8 answers
 * with a full garbage collection).
 */
export function preprocessNchw(batch: PixelBatch, out?: Float32Array): Float32Array {
  checkPixels(batch);
  const { pixels, count, size, preset } = batch;
  const plane = size * size;
  const result = out?.length === pixels.length ? out : new Float32Array(pixels.length);
  const [first, second, third] = channelTables(preset);
  const [from0, from1, from2] = CHANNEL_SOURCES[preset];
  for (let image = 0; image < count; image++) {
    const base = image * plane * 3;
    for (let p = 0, i = base; p < plane; p++, i += 3) {
      result[base + p] = first[pixels[i + from0]];
      result[base + plane + p] = second[pixels[i + from1]];
      result[base + 2 * plane + p] = third[pixels[i + from2]];
    }
  }
  return result;
}

function checkPixels({ pixels, count, size }: PixelBatch): void {
  const expected = count * size * size * 3;
  if (pixels.length !== expected) {
    throw new Error(
      `Expected ${count} image(s) of ${size}×${size}×3 bytes (${expected} bytes), got ${pixels.length} bytes`,
    );
  }
}

/** Which input channel each output channel reads (caffe swaps RGB to BGR). */
const CHANNEL_SOURCES: Record<PreprocessingPreset, [number, number, number]> = {
  mobilenet: [0, 1, 2],
  caffe: [2, 1, 0],
  torch: [0, 1, 2],
  raw: [0, 1, 2],
};

const tablesByPreset = new Map<PreprocessingPreset, Float32Array[]>();

/**
 * Per output channel, its value for each byte 0…255, taken from normalise() itself (on grey pixels, so
 * that every channel reads the same byte): the two paths give the same float32 values by construction.
 */
function channelTables(preset: PreprocessingPreset): Float32Array[] {
  let tables = tablesByPreset.get(preset);
  if (!tables) {
    const grey = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
    const values = normalise(grey, preset);
    tables = [0, 1, 2].map((channel) => Float32Array.from({ length: 256 }, (_, byte) => values[byte * 3 + channel]));
    tablesByPreset.set(preset, tables);
  }
  return tables;
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
