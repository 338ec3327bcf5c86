// The bundled MobileNet on ONNX Runtime against the TF.js path: same logits, same maps for every method.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAM_METHOD_NAMES } from '../../../../../common/types';
import { LocalEngine } from '../../local-engine';
import { loadModel, type LoadedModel } from '../../model';
import { defaultModelDir } from '../../paths';
import { preprocess } from '../../preprocess';
import { decodeBatch, samplePhotos } from '../../test-support/photos';
import { cachedModelFile } from './cache';
import { tryLayersModel, type OnnxExplainer } from './explainer';
import { compareWithTfjs, maxAbsDifference, tfjsLogits } from './test-support/compare';

const MAP_TOLERANCE = 1e-4;
/**
 * Below conv_pw_11 the head holds ReLU6s: activations that differ by 1e-5 (ONNX Runtime's fused NCHWc
 * convolutions round differently) can flip a ReLU6's gradient mask, which moves a map by up to about 1 %.
 * A wrong layout or weight gives errors of order 1.
 */
const DEEP_HEAD_TOLERANCE = 2e-2;

describe('bundled MobileNet on ONNX Runtime', () => {
  let tfjsEngine: LocalEngine;
  let model: LoadedModel;
  let explainer: OnnxExplainer;
  let x: tf.Tensor4D;
  let pixels: Uint8Array;
  let cacheDir: string;

  beforeAll(async () => {
    tfjsEngine = await LocalEngine.create({ modelDir: defaultModelDir(), backend: 'wasm', runtime: 'tfjs' });
    model = await loadModel(defaultModelDir());
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-onnx-'));
    const attempt = await tryLayersModel(model, { cacheDir });
    if (!attempt.explainer) throw new Error(attempt.reason);
    expect(attempt.cached).toBe(false);
    explainer = attempt.explainer;
    const photos = samplePhotos().filter((_, i) => i % 9 === 0);
    pixels = await decodeBatch(photos.map((photo) => photo.file), 224);
    x = preprocess(pixels, photos.length, 224, 'mobilenet');
  });
  afterAll(async () => {
    x?.dispose();
    await explainer?.dispose();
    model?.dispose();
    await tfjsEngine?.dispose();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('gives the TF.js logits within 1e-4', async () => {
    const ours = await explainer.network.run(x);
    const difference = maxAbsDifference(ours.logits.dataSync(), await tfjsLogits(tfjsEngine, x));
    console.log(`MobileNet: max |logit difference| ONNX Runtime vs TF.js: ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    expect(ours.logits.shape).toEqual([x.shape[0], 1000]);
    ours.logits.dispose();
  });

  it('runs on the CPU provider and says why the others were skipped', () => {
    expect(explainer.provider.name).toBe('cpu');
    expect(explainer.provider.skipped.map((skip) => skip.name)).toEqual(['cuda', 'dml', 'coreml']);
    for (const skip of explainer.provider.skipped) expect(skip.reason).toMatch(/onnxruntime-node .* (has no|does not ship)/);
  });

  it('keeps the conversion in the cache and reuses it', async () => {
    expect(existsSync(cachedModelFile(cacheDir, model))).toBe(true);
    const again = await tryLayersModel(model, { cacheDir });
    expect(again.explainer && again.cached).toBe(true);
    await again.explainer?.dispose();
  });

  for (const method of CAM_METHOD_NAMES.filter((name) => name !== 'ScoreCAM')) {
    it(`${method}: the TF.js path's maps at conv_pw_13_relu and conv_pw_11_relu, top-2 classes`, async () => {
      for (const [layer, tolerance] of [['conv_pw_13_relu', MAP_TOLERANCE], ['conv_pw_11_relu', DEEP_HEAD_TOLERANCE]] as const) {
        const error = await compareWithTfjs(tfjsEngine, explainer, x, { method, topK: 3, camTopK: 2, layer });
        console.log(`${method} at ${layer}: max map error / max |map| ${error.toExponential(2)}`);
        expect(error, `${method} at ${layer}`).toBeLessThan(tolerance);
      }
    });
  }

  it('takes pixels straight to ONNX Runtime (no NHWC tensor) with the same results, batch after batch', async () => {
    const count = x.shape[0];
    const half = Math.floor(count / 2);
    const imageBytes = 224 * 224 * 3;
    // Two different batches in turn: the network reuses its input array, so a stale one would show.
    for (const [first, size] of [[0, half], [half, count - half], [0, half]]) {
      const batchPixels = pixels.slice(first * imageBytes, (first + size) * imageBytes);
      const batchX = tf.slice(x, [first, 0, 0, 0], [size, 224, 224, 3]);
      const request = { method: 'GradCAM', topK: 3, camTopK: 2 } as const;
      const tensors = tf.memory().numTensors;
      const fromPixels = await explainer.explainTensor({ pixels: batchPixels, count: size, size: 224, preset: 'mobilenet' }, request);
      expect(tf.memory().numTensors).toBe(tensors);
      const fromTensor = await explainer.explainTensor(batchX, request);
      batchX.dispose();
      expect(fromPixels.map((image) => image.top)).toEqual(fromTensor.map((image) => image.top));
      expect(fromPixels.map((image) => image.maps)).toEqual(fromTensor.map((image) => image.maps));
    }
  });

  it('makes the NHWC tensor from pixels only for a method that reads the input (ScoreCAM), and frees it', async () => {
    const one = pixels.slice(0, 224 * 224 * 3);
    const request = { method: 'ScoreCAM', topK: 1, camTopK: 1, layer: 'conv_pw_1_relu' } as const;
    const tensors = tf.memory().numTensors;
    const fromPixels = await explainer.explainTensor({ pixels: one, count: 1, size: 224, preset: 'mobilenet' }, request);
    expect(tf.memory().numTensors).toBe(tensors);
    const oneX = preprocess(one, 1, 224, 'mobilenet');
    const fromTensor = await explainer.explainTensor(oneX, request);
    oneX.dispose();
    expect(fromPixels[0].maps).toEqual(fromTensor[0].maps);
  });

  it("ScoreCAM: the TF.js path's maps at conv_pw_1_relu (48 channels), one photo", async () => {
    const one = tf.slice(x, [0, 0, 0, 0], [1, 224, 224, 3]);
    const error = await compareWithTfjs(tfjsEngine, explainer, one, { method: 'ScoreCAM', topK: 1, camTopK: 1, layer: 'conv_pw_1_relu' });
    one.dispose();
    expect(error).toBeLessThan(MAP_TOLERANCE);
  });
});
