// Runs an engine over many mini-batches, every CAM method in turn, and checks that TF.js holds no more tensors
// at the end than after the first few images.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { CAM_METHOD_NAMES } from '../../../../common/types';
import type { LocalEngine } from '../local-engine';

/**
 * Explains 10 single images, then one at `secondLayer` (so that its cut is built before counting), then
 * batches of 10 up to `images`; the tensor count and bytes must be the same after 10 images as after all.
 */
export async function expectNoTensorLeak(engine: LocalEngine, { images, secondLayer }: { images: number; secondLayer: string }): Promise<void> {
  const { inputSize } = engine.model;
  const batch = (count: number) => new Uint8Array(count * inputSize * inputSize * 3).map((_, i) => (i * 37) % 256);
  let done = 0;
  const explain = async (count: number) => {
    const method = CAM_METHOD_NAMES[(done / count) % CAM_METHOD_NAMES.length];
    const results = await engine.explain({ pixels: batch(count), count, topK: 3, camTopK: 2, method });
    expect(results.flatMap((result) => result.heatmaps)).toHaveLength(2 * count);
    done += count;
  };
  for (let i = 0; i < 10; i++) await explain(1);
  await engine.explain({ pixels: batch(1), count: 1, layer: secondLayer, camTopK: 1 });
  const after10 = tf.memory();
  while (done < images) await explain(10);
  const afterAllImages = tf.memory();
  const runtime = engine.backend.runtime?.name ?? 'tfjs';
  console.log(`${runtime}: tensors after 10 images: ${after10.numTensors} (${after10.numBytes} bytes); after ${images}: ${afterAllImages.numTensors} (${afterAllImages.numBytes} bytes)`);
  expect(afterAllImages.numTensors).toBe(after10.numTensors);
  expect(afterAllImages.numBytes).toBe(after10.numBytes);
}
