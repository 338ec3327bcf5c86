// The engine end to end through its worker thread, with the bundled model and the real sample photos.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, defaultModelDir, type Engine } from './index';
import { decodeBatch, decodeRgb, samplePhotos, samplesDir } from './test-support/photos';

const BATCH = 8;

describe('engine with the bundled MobileNet', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ modelDir: defaultModelDir() });
  });
  afterAll(() => engine?.dispose());

  it('describes the model and the backend it chose', () => {
    expect(engine.model.inputSize).toBe(224);
    expect(engine.model.layer).toBe('conv_pw_13_relu');
    expect(engine.model.layerShape).toEqual([7, 7, 768]);
    expect(engine.model.labels[235]).toBe('German shepherd');
    expect(engine.model.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(engine.backend.name).toBe('wasm');
    expect(engine.backend.skipped.map((skip) => skip.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(engine.backend.skipped[0].reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
  });

  it('gets the true class first for at least 30 of the 34 sample photos', async () => {
    const photos = samplePhotos();
    expect(photos).toHaveLength(34);
    const wrong: string[] = [];
    for (let first = 0; first < photos.length; first += BATCH) {
      const batch = photos.slice(first, first + BATCH);
      const pixels = await decodeBatch(batch.map((photo) => photo.file), 224);
      const results = await engine.explain({ pixels, count: batch.length, topK: 5, camTopK: 0 });
      results.forEach((result, index) => {
        expect(result.top).toHaveLength(5);
        expect(result.heatmaps).toHaveLength(0);
        const predicted = result.top[0].index;
        if (predicted !== batch[index].trueClass) {
          wrong.push(`${path.relative(samplesDir, batch[index].file)} → ${engine.model.labels[predicted]}`);
        }
      });
    }
    console.log(`top-1 correct: ${photos.length - wrong.length}/${photos.length}; wrong: ${wrong.join('; ')}`);
    expect(photos.length - wrong.length).toBeGreaterThanOrEqual(30);
  });

  it('puts the Grad-CAM peak for the German shepherd on the dog', async () => {
    const pixels = await decodeRgb(path.join(samplesDir, '235_german_shepherd', 'gcompris_dog.webp'), 224);
    const [result] = await engine.explain({ pixels, count: 1, topK: 3, camTopK: 1 });
    const [heatmap] = result.heatmaps;
    expect(heatmap.classIndex).toBe(235);
    expect([heatmap.h, heatmap.w]).toEqual([7, 7]);
    // The dog covers x 0.25‥0.87, y 0.05‥0.75 of the photo (its back, neck and head are inside; grass is not).
    const dogBox = { left: 0.25, right: 0.87, top: 0.05, bottom: 0.75 };
    const peak = heatmap.values.indexOf(heatmap.scale);
    const peakX = ((peak % heatmap.w) + 0.5) / heatmap.w;
    const peakY = (Math.floor(peak / heatmap.w) + 0.5) / heatmap.h;
    expect(peakX).toBeGreaterThan(dogBox.left);
    expect(peakX).toBeLessThan(dogBox.right);
    expect(peakY).toBeGreaterThan(dogBox.top);
    expect(peakY).toBeLessThan(dogBox.bottom);
    expect(heatmap.scale).toBeGreaterThan(0);
    expect(Math.min(...heatmap.values)).toBeGreaterThanOrEqual(0);
  });

  it('returns top-k and one map per requested class for each image of a batch', async () => {
    const photos = samplePhotos().slice(0, 3);
    const pixels = await decodeBatch(photos.map((photo) => photo.file), 224);
    const results = await engine.explain({ pixels, count: 3, topK: 4, camTopK: 2 });
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.top).toHaveLength(4);
      expect(result.heatmaps.map((heatmap) => heatmap.classIndex)).toEqual([result.top[0].index, result.top[1].index]);
      expect(result.top[0].prob).toBeGreaterThanOrEqual(result.top[1].prob);
    }
  });

  it('rejects a request that does not fit, with the reason, and keeps serving', async () => {
    await expect(engine.explain({ pixels: new Uint8Array(10), count: 1 })).rejects.toThrow(/224×224×3/);
    const pixels = () => new Uint8Array(224 * 224 * 3);
    await expect(engine.explain({ pixels: pixels(), count: 1, topK: 0 })).rejects.toThrow('topK must be a whole number ≥ 1');
    const method = 'GuidedBackprop' as 'GradCAM';
    await expect(engine.explain({ pixels: pixels(), count: 1, method })).rejects.toThrow('Unknown CAM method GuidedBackprop');
    const [result] = await engine.explain({ pixels: pixels(), count: 1, method: 'HiResCAM' });
    expect(result.heatmaps).toHaveLength(1);
  });
});

describe('createEngine', () => {
  it('rejects with the worker’s message when the model folder is unusable', async () => {
    await expect(createEngine({ modelDir: path.join(samplesDir, 'no-such-model') })).rejects.toThrow(/does not exist/);
  });
});
