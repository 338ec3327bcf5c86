// Faithfulness on the real model and a real photo: the Grad-CAM map of the German shepherd must be more
// faithful than the same map turned upside down (which points at the background).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../engine/index';
import type { Engine } from '../engine/types';
import { appPaths } from '../paths';
import { attentionOrder, blur, measureFaithfulness, upsample } from './faithfulness';

describe('faithfulness helpers', () => {
  it('upsamples with half-pixel centres and orders pixels by attention', () => {
    const map = { h: 2, w: 2, values: [0, 1, 2, 3] };
    const up = upsample(map, 4);
    expect(Array.from(up.slice(0, 4))).toEqual([0, 0.25, 0.75, 1]);
    expect(up[15]).toBe(3);
    expect(attentionOrder(map, 4)[0]).toBe(15);
  });

  it('blur keeps a flat image flat and smooths an edge', () => {
    const flat = new Uint8Array(16 * 16 * 3).fill(90);
    expect(Array.from(new Set(blur(flat, 16, 3)))).toEqual([90]);
    const edge = Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => (Math.floor(i / 3) % 16 < 8 ? 0 : 255));
    const row = Array.from({ length: 16 }, (_, x) => blur(edge, 16, 3)[x * 3]);
    expect(row[0]).toBeLessThan(row[7]);
    expect(row[7]).toBeLessThan(row[8]);
    expect(row[8]).toBeLessThan(row[15]);
  });
});

describe('deletion, insertion and blur on the real model', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ modelDir: appPaths().defaultModelDir });
  });
  afterAll(async () => engine?.dispose());

  it('the real map of the dog beats its upside-down copy', async () => {
    const photo = join(appPaths().samplesDir, '235_german_shepherd', 'gcompris_dog.webp');
    const size = engine.model.inputSize;
    const pixels = new Uint8Array(await sharp(await readFile(photo)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer());
    const [result] = await engine.explain({ pixels: pixels.slice(), count: 1, topK: 1, camTopK: 1 });
    const map = result.heatmaps[0];
    const flipped = { h: map.h, w: map.w, values: Array.from(map.values).reverse() };
    // The scan stage hands over Buffers (whose slice() is a view): the measurement must not paint over them.
    const buffer = Buffer.from(pixels);
    const [real, wrong, fromBuffer] = await measureFaithfulness(engine, [
      { pixels, map, classIndex: map.classIndex },
      { pixels, map: flipped, classIndex: map.classIndex },
      { pixels: buffer, map, classIndex: map.classIndex },
    ]);
    expect(fromBuffer).toEqual(real);
    expect(buffer.equals(pixels)).toBe(true);
    expect(real.baseProb).toBeGreaterThan(0.9);
    expect(real.deletionAuc).toBeLessThan(wrong.deletionAuc);
    expect(real.insertionAuc).toBeGreaterThan(wrong.insertionAuc);
    expect(real.blurDrop).toBeGreaterThan(wrong.blurDrop);
  });
});
