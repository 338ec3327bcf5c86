// The bundled MobileNet written as a TF.js graph model (GraphDef nodes, as tensorflowjs_converter lowers
// the Keras layers) on the graph runtime, against the TF.js layers path on the bundled layers model:
// same candidate layers, same top-5, same maps for every CAM method.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { CAM_METHOD_NAMES } from '../../../../../common/types';
import { loadModel, type LoadedModel } from '../../model';
import { readModelFolder } from '../../model-folder';
import { defaultModelDir } from '../../paths';
import { preprocess } from '../../preprocess';
import { decodeBatch, samplePhotos } from '../../test-support/photos';
import { loadGraphRuntime, type GraphRuntime } from './runtime';
import { compareWithLayers } from './test-support/compare';
import { writeMobileNetGraph } from './test-support/fixtures';
import type { WrittenGraphModel } from './test-support/graph-model-writer';

/** Max map error / max |map|, as for the ONNX path; both paths run the same TF.js ops on the same backend. */
const MAP_TOLERANCE = 1e-4;
const LOGIT_TOLERANCE = 1e-4;

describe('the bundled MobileNet as a TF.js graph model', () => {
  let workDir: string;
  let written: WrittenGraphModel;
  let runtime: GraphRuntime;
  let loaded: LoadedModel;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    await selectBackend('wasm');
    workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-graph-mobilenet-'));
    written = await writeMobileNetGraph(path.join(workDir, 'mobilenet_graph'));
    runtime = await loadGraphRuntime(readModelFolder(written.dir));
    loaded = await loadModel(defaultModelDir());
    const photos = samplePhotos().filter((_, i) => i % 17 === 0);
    x = preprocess(await decodeBatch(photos.map((photo) => photo.file), 224), photos.length, 224, 'mobilenet');
  });
  afterAll(async () => {
    x?.dispose();
    loaded?.dispose();
    await runtime?.dispose();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('is written with the ops tensorflowjs_converter emits for it', () => {
    expect(readModelFolder(written.dir).format).toBe('graph');
    expect(new Set(written.ops)).toEqual(
      new Set(['Placeholder', 'Const', 'Conv2D', 'FusedBatchNormV3', 'Relu6', 'DepthwiseConv2dNative', 'Mean', 'Reshape', 'Identity', 'BiasAdd', 'Softmax']),
    );
  });

  it("describes the model: the layers path's spatial layers as graph nodes, conv_pw_13_relu by default", () => {
    const { model, report } = runtime;
    expect(report).toEqual({ name: 'tfjs-graph' });
    expect(model.name).toBe('mobilenet_graph');
    expect(model.inputSize).toBe(224);
    expect(model.preprocessing).toBe('mobilenet');
    expect(model.resizeMode).toBe('stretch');
    expect(model.labels).toHaveLength(1000);
    expect(model.labels[235]).toBe('German shepherd');
    expect(model.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(model.candidateLayers).toEqual(loaded.spatialLayers.map((layer) => ({ name: written.nodeOf.get(layer.name), shape: layer.shape })));
    expect(model.defaultLayer).toBe('conv_pw_13_relu/Relu6');
    expect(model.candidateLayers.find((layer) => layer.name === model.defaultLayer)?.shape).toEqual([7, 7, 768]);
  });

  it('gives the top-5 classes and logits of the layers path', async () => {
    const { logitError } = await compareWithLayers(runtime, loaded, written.nodeOf, x, {
      method: 'GradCAM',
      topK: 5,
      camTopK: 0,
      layer: 'conv_pw_13_relu',
    });
    console.log(`MobileNet graph vs layers: max |logit difference| ${logitError.toExponential(2)}`);
    expect(logitError).toBeLessThan(LOGIT_TOLERANCE);
  });

  for (const method of CAM_METHOD_NAMES.filter((name) => name !== 'ScoreCAM')) {
    it(`${method}: the layers path's maps at conv_pw_13_relu and conv_pw_11_relu, top-2 classes`, async () => {
      for (const layer of ['conv_pw_13_relu', 'conv_pw_11_relu']) {
        const { mapError } = await compareWithLayers(runtime, loaded, written.nodeOf, x, { method, topK: 5, camTopK: 2, layer });
        console.log(`MobileNet graph ${method} at ${layer}: max map error / max |map| ${mapError.toExponential(2)}`);
        expect(mapError, `${method} at ${layer}`).toBeLessThan(MAP_TOLERANCE);
      }
    });
  }

  it("ScoreCAM: the layers path's maps at conv_pw_1_relu (48 channels), one photo", async () => {
    const one = tf.slice(x, [0, 0, 0, 0], [1, 224, 224, 3]);
    const { mapError } = await compareWithLayers(runtime, loaded, written.nodeOf, one, {
      method: 'ScoreCAM',
      topK: 5,
      camTopK: 1,
      layer: 'conv_pw_1_relu',
    });
    one.dispose();
    console.log(`MobileNet graph ScoreCAM at conv_pw_1_relu: ${mapError.toExponential(2)}`);
    expect(mapError).toBeLessThan(MAP_TOLERANCE);
  });
});
