// Keras .h5 files through the real engine (readAnyModelFolder → loadModel → ONNX Runtime with a TF.js head):
// the bundled MobileNet as .h5 gives exactly the TF.js folder's predictions and maps, and the lesson's VGG16 in
// miniature matches pytorch-grad-cam's maps at block5_conv3 with caffe preprocessing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAM_METHOD_NAMES } from '../../../../common/types';
import { LocalEngine } from '../local-engine';
import { defaultModelDir } from '../paths';
import { decodeBatch, samplePhotos } from '../test-support/photos';
import type { ExplainResult } from '../types';
import { kerasFixtures } from './test-support/fixtures';
import { nestedVggH5 } from './test-support/nested-vgg';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-keras-engine-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const openEngine = (modelDir: string) =>
  LocalEngine.create({ modelDir, backend: 'wasm', onnxCacheDir: path.join(workDir, 'onnx-cache') });

describe('the bundled MobileNet as a Keras .h5 file', () => {
  let fromH5: LocalEngine;
  let fromFolder: LocalEngine;
  let pixels: Uint8Array;

  beforeAll(async () => {
    [fromH5, fromFolder] = [await openEngine(path.join(kerasFixtures, 'mobilenet_v1_0.75_224.h5')), await openEngine(defaultModelDir())];
    pixels = await decodeBatch(samplePhotos().slice(0, 2).map((photo) => photo.file), 224);
  });
  afterAll(async () => {
    await fromH5?.dispose();
    await fromFolder?.dispose();
  });

  it('opens on ONNX Runtime with the folder model’s layers, input and preprocessing', () => {
    expect(fromH5.backend.runtime).toMatchObject({ name: 'onnxruntime' });
    const { hash: h5Hash, ...h5Model } = fromH5.model;
    const { hash: folderHash, ...folderModel } = fromFolder.model;
    expect(h5Hash).toMatch(/^[0-9a-f]{64}$/);
    expect(h5Hash).not.toBe(folderHash);
    expect(h5Model).toEqual(folderModel);
    expect(fromH5.model.layer).toBe('conv_pw_13_relu');
  });

  it.each(CAM_METHOD_NAMES)('%s: the same top-5 and the same map, bit for bit', async (method) => {
    // Score-CAM runs one forward pass per channel of the layer (768): one photo is enough for it.
    const count = method === 'ScoreCAM' ? 1 : 2;
    const request = { count, topK: 5, camTopK: 1, method, pixels: pixels.subarray(0, count * 224 * 224 * 3) };
    const [ours, theirs] = [await fromH5.explain({ ...request, pixels: request.pixels.slice() }), await fromFolder.explain({ ...request, pixels: request.pixels.slice() })];
    expect(ours).toHaveLength(count);
    expect(ours.map(topOf)).toEqual(theirs.map(topOf));
    ours.forEach((result, image) => {
      expect(result.heatmaps.map((map) => map.classIndex)).toEqual(theirs[image].heatmaps.map((map) => map.classIndex));
      result.heatmaps.forEach((map, i) => {
        const other = theirs[image].heatmaps[i];
        expect(bytesOf(map.values).equals(bytesOf(other.values))).toBe(true);
        expect(map.scale).toBe(other.scale);
      });
    });
  });
});

describe('vgg16_mini.h5: the lesson’s network against pytorch-grad-cam', () => {
  const reference = JSON.parse(readFileSync(path.join(kerasFixtures, 'vgg16_mini.reference.json'), 'utf8')) as {
    top5: number[][];
    maps: Record<string, { classes: number[]; shape: [number, number, number]; values: number[][][] }>;
  };
  const inputs = new Uint8Array(readFileSync(path.join(kerasFixtures, 'vgg16_mini.inputs.u8')));
  let engine: LocalEngine;

  beforeAll(async () => {
    engine = await openEngine(path.join(kerasFixtures, 'vgg16_mini.h5'));
  });
  afterAll(() => engine?.dispose());

  it('targets block5_conv3 by default with caffe preprocessing', () => {
    expect(engine.model).toMatchObject({ name: 'vgg16_mini', layer: 'block5_conv3', layerShape: [14, 14, 32], preprocessing: 'caffe', inputSize: 224 });
    expect(engine.model.candidateLayers.map((layer) => layer.name)).toContain('block5_pool');
  });

  it.each(['GradCAM', 'HiResCAM', 'GradCAMPlusPlus', 'LayerCAM'] as const)('%s: the same top-5, maps within 1e-4 of their maximum', async (method) => {
    const results = await engine.explain({ pixels: inputs.slice(), count: 4, topK: 5, camTopK: 1, method });
    expect(results.map((result) => result.top.map((score) => score.index))).toEqual(reference.top5);
    const expected = reference.maps[method];
    results.forEach((result, image) => {
      const [map] = result.heatmaps;
      expect(map.classIndex).toBe(expected.classes[image]);
      expect([map.h, map.w]).toEqual(expected.shape.slice(1));
      const values = expected.values[image].flat();
      const maximum = Math.max(...values);
      const error = Math.max(...values.map((value, i) => Math.abs(value - map.values[i])));
      console.log(`vgg16_mini ${method} image ${image}: max error / max map ${(error / maximum).toExponential(2)}`);
      expect(error / maximum, `image ${image}`).toBeLessThan(1e-4);
    });
  });
});

const bytesOf = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

describe('vgg16_mini nested in a Sequential, as transfer learning saves it', () => {
  it('opens as one graph: block5_conv3 by default, the flat file’s top-5 and maps', async () => {
    const file = path.join(workDir, 'finetuned.h5');
    writeFileSync(file, await nestedVggH5(readFileSync(path.join(kerasFixtures, 'vgg16_mini.h5')), 'Sequential'));
    const [nested, flat] = [await openEngine(file), await openEngine(path.join(kerasFixtures, 'vgg16_mini.h5'))];
    try {
      expect(nested.model).toMatchObject({ name: 'finetuned', layer: 'block5_conv3', preprocessing: 'caffe' });
      expect(nested.model.candidateLayers).toEqual(flat.model.candidateLayers);
      const inputs = new Uint8Array(readFileSync(path.join(kerasFixtures, 'vgg16_mini.inputs.u8')));
      const request = { count: 4, topK: 5, camTopK: 1, method: 'GradCAM' as const };
      const ours = await nested.explain({ ...request, pixels: inputs.slice() });
      const theirs = await flat.explain({ ...request, pixels: inputs.slice() });
      expect(ours.map(topOf)).toEqual(theirs.map(topOf));
      ours.forEach((result, image) => expect(bytesOf(result.heatmaps[0].values).equals(bytesOf(theirs[image].heatmaps[0].values))).toBe(true));
    } finally {
      await nested.dispose();
      await flat.dispose();
    }
  });
});

function topOf(result: ExplainResult) {
  return result.top.map(({ index, prob }) => [index, prob]);
}
