// The preprocessing presets on hand-computed pixels.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { nhwcToNchw } from './runtimes/onnx/layout';
import { preprocess, preprocessNchw, PREPROCESSING_PRESETS } from './preprocess';

beforeAll(() => selectBackend('cpu'));

/** Two 1×1 images: RGB (0, 127.5-ish, 255) and (10, 20, 30). */
const pixels = new Uint8Array([0, 128, 255, 10, 20, 30]);

const expected: Record<(typeof PREPROCESSING_PRESETS)[number], number[]> = {
  mobilenet: [-1, 128 / 127.5 - 1, 1, 10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1],
  // RGB → BGR, minus the ImageNet means in BGR order.
  caffe: [255 - 103.939, 128 - 116.779, 0 - 123.68, 30 - 103.939, 20 - 116.779, 10 - 123.68],
  torch: [
    (0 - 0.485) / 0.229,
    (128 / 255 - 0.456) / 0.224,
    (1 - 0.406) / 0.225,
    (10 / 255 - 0.485) / 0.229,
    (20 / 255 - 0.456) / 0.224,
    (30 / 255 - 0.406) / 0.225,
  ],
  raw: [0, 128, 255, 10, 20, 30],
};

describe('preprocess', () => {
  for (const preset of PREPROCESSING_PRESETS) {
    it(`${preset}`, () => {
      const x = preprocess(pixels, 2, 1, preset);
      expect(x.shape).toEqual([2, 1, 1, 3]);
      Array.from(x.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(expected[preset][i], 5));
      x.dispose();
    });
  }

  // Every byte value in every channel, in two 16×16 images that differ.
  const everyByte = new Uint8Array(2 * 16 * 16 * 3).map((_, i) => (i * 7 + (i >> 8)) & 255);

  for (const preset of PREPROCESSING_PRESETS) {
    it(`${preset}: preprocessNchw gives preprocess()'s float32 values, bit for bit, in NCHW order`, () => {
      const x = preprocess(everyByte, 2, 16, preset);
      const expectedNchw = nhwcToNchw(x.dataSync() as Float32Array, [2, 16, 16, 3]);
      x.dispose();
      expect(preprocessNchw({ pixels: everyByte, count: 2, size: 16, preset })).toEqual(expectedNchw);
    });
  }

  it('preprocessNchw writes into the array it is given when the length fits, and makes one otherwise', () => {
    // 1×1 images: NCHW and NHWC are the same order.
    const batch = { pixels, count: 2, size: 1, preset: 'raw' } as const;
    const reused = new Float32Array(6);
    expect(preprocessNchw(batch, reused)).toBe(reused);
    expect(Array.from(reused)).toEqual([0, 128, 255, 10, 20, 30]);
    const wrongLength = new Float32Array(5);
    const made = preprocessNchw(batch, wrongLength);
    expect(made).not.toBe(wrongLength);
    expect(Array.from(made)).toEqual([0, 128, 255, 10, 20, 30]);
  });

  it('refuses pixels that are not count × size × size × 3 bytes', () => {
    expect(() => preprocess(pixels, 1, 1, 'raw')).toThrow('Expected 1 image(s) of 1×1×3 bytes (3 bytes), got 6 bytes');
    expect(() => preprocessNchw({ pixels, count: 1, size: 1, preset: 'raw' })).toThrow('Expected 1 image(s) of 1×1×3 bytes (3 bytes), got 6 bytes');
    expect(tf.memory().numTensors).toBe(0);
  });
});
