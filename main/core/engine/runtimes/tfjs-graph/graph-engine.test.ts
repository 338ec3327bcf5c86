// A TF.js graph model folder through the whole engine (createEngine: worker thread, LocalEngine, the graph
// runtime): the bundled MobileNet written as a graph model gives the layers path's classes and heatmaps.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { explainBatch } from '../../cam/pipeline';
import { createEngine, type Engine } from '../../index';
import { loadModel } from '../../model';
import { defaultModelDir } from '../../paths';
import { preprocess } from '../../preprocess';
import { layerByLayerNetwork, layersTarget } from '../tfjs-layers/network';
import { decodeBatch, samplePhotos } from '../../test-support/photos';
import { relativeError } from './test-support/compare';
import { writeMobileNetGraph } from './test-support/fixtures';

describe('createEngine on a TF.js graph model folder', () => {
  let workDir: string;
  let engine: Engine;

  beforeAll(async () => {
    await selectBackend('wasm');
    workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-graph-engine-'));
    const { dir } = await writeMobileNetGraph(path.join(workDir, 'mobilenet_graph'));
    engine = await createEngine({ modelDir: dir, backend: 'wasm', workers: 1 });
  });
  afterAll(async () => {
    await engine?.dispose();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('runs on the tfjs-graph runtime at conv_pw_13_relu/Relu6', () => {
    expect(engine.backend.runtime).toEqual({ name: 'tfjs-graph' });
    expect(engine.model).toMatchObject({ name: 'mobilenet_graph', inputSize: 224, layer: 'conv_pw_13_relu/Relu6', layerShape: [7, 7, 768] });
  });

  it("gives the layers path's top classes and Grad-CAM heatmaps for sample photos", async () => {
    const photos = samplePhotos().filter((_, i) => i % 40 === 0);
    const pixels = await decodeBatch(photos.map((photo) => photo.file), 224);
    // The engine hands its pixels to the worker thread (the buffer moves): it gets a copy.
    const results = await engine.explain({ pixels: pixels.slice(), count: photos.length, topK: 5, camTopK: 1, method: 'GradCAM' });
    const loaded = await loadModel(defaultModelDir());
    const x = preprocess(pixels, photos.length, 224, 'mobilenet');
    const reference = await explainBatch(layerByLayerNetwork(loaded.graph), layersTarget(loaded, 'conv_pw_13_relu'), x, {
      method: 'GradCAM',
      topK: 5,
      camTopK: 1,
    });
    x.dispose();
    loaded.dispose();
    expect(results).toHaveLength(photos.length);
    results.forEach((result, i) => {
      expect(result.top.map((t) => t.index)).toEqual(reference[i].top.map((t) => t.index));
      const [heatmap] = result.heatmaps;
      expect([heatmap.classIndex, heatmap.h, heatmap.w]).toEqual([reference[i].top[0].index, 7, 7]);
      const expected = reference[i].maps[0].preRelu.map((value) => Math.max(value, 0));
      expect(heatmap.scale).toBeGreaterThan(0);
      expect(relativeError(heatmap.values, expected)).toBeLessThan(1e-4);
    });
    // Most sample photos are classified as their folder's class.
    const right = results.filter((result, i) => result.top[0].index === photos[i].trueClass).length;
    expect(right).toBeGreaterThanOrEqual(photos.length - 1);
  });
});
