// The CAM methods against the reference maps of pytorch-grad-cam on the same weights
// (__fixtures__/golden/README.md): logit target, both layers, the top-1 and top-2 class of six photos.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CamMap, ImageExplanation } from './cam/pipeline';
import { CAM_METHOD_NAMES, type CamMethod } from '../../../common/types';
import { LocalEngine } from './local-engine';
import { defaultModelDir } from './paths';

const goldenDir = fileURLToPath(new URL('./__fixtures__/golden/', import.meta.url));
const LAYERS = ['conv_pw_13_relu', 'conv_pw_11_relu'];
const RAW_TOLERANCE = 1e-4;

interface GoldenPhoto {
  name: string;
  input: string;
  top5_tfjs: { index: number }[];
  cam_classes: number[];
  logits_pytorch_port: number[];
}
interface GoldenEntry {
  input: string;
  layer: string;
  class_index: number;
  method: CamMethod;
  raw: { h: number; w: number; values: number[] };
  pre_relu: number[];
}

const photos = (JSON.parse(readFileSync(path.join(goldenDir, 'predictions.json'), 'utf8')) as { photos: GoldenPhoto[] })
  .photos;
const entries = (JSON.parse(readFileSync(path.join(goldenDir, 'cams.json'), 'utf8')) as { entries: GoldenEntry[] })
  .entries;

/**
 * Score-CAM needs one forward pass per channel (768 or 384 per image, about a minute per photo here), so by
 * default it runs on one photo per layer, a different one for each; SIGHTLINE_GOLDEN_FULL=1 runs all six.
 */
function scoreCamPhotos(layerIndex: number): GoldenPhoto[] {
  return process.env.SIGHTLINE_GOLDEN_FULL ? photos : [photos[layerIndex]];
}

function readInput(relativePath: string): Float32Array {
  const bytes = readFileSync(path.join(goldenDir, relativePath));
  return new Float32Array(new Uint8Array(bytes).buffer, 0, 224 * 224 * 3);
}

/** max |ours − reference| / max |reference| on the raw (post-ReLU) map. */
function rawError(ours: CamMap, entry: GoldenEntry): number {
  const sign = entry.method === 'EigenCAM' ? eigenSign(ours.preRelu, entry.pre_relu) : 1;
  const reference = entry.raw.values;
  const scale = Math.max(...reference.map(Math.abs));
  let worst = 0;
  ours.preRelu.forEach((value, i) => (worst = Math.max(worst, Math.abs(Math.max(sign * value, 0) - reference[i]))));
  return worst / scale;
}

/** Eigen-CAM's singular vector has an arbitrary sign: take the one that matches the reference. */
function eigenSign(ours: Float32Array, reference: number[]): number {
  return ours.reduce((dot, value, i) => dot + value * reference[i], 0) < 0 ? -1 : 1;
}

describe('CAM methods against pytorch-grad-cam (golden fixtures)', () => {
  let engine: LocalEngine;
  let inputs: tf.Tensor4D;
  const worstByMethod = new Map<string, number>();

  beforeAll(async () => {
    engine = await LocalEngine.create({ modelDir: defaultModelDir(), backend: 'wasm', runtime: 'tfjs' });
    const batch = new Float32Array(photos.length * 224 * 224 * 3);
    photos.forEach((photo, index) => batch.set(readInput(photo.input), index * 224 * 224 * 3));
    inputs = tf.tensor4d(batch, [photos.length, 224, 224, 3]);
    // Each layer's forward pass is built on its first use and keeps its folded weights; build them here,
    // so that the tests below can check that explaining leaves no tensor behind.
    const first = tf.slice(inputs, 0, 1);
    for (const layer of LAYERS) await engine.explainTensor(first, { method: 'GradCAM', layer, topK: 1, camTopK: 0 });
    first.dispose();
  });
  afterAll(async () => {
    console.log(
      'max raw error / max|ref| per method and layer:\n' +
        [...worstByMethod].map(([key, error]) => `  ${key}: ${error.toExponential(2)}`).join('\n'),
    );
    inputs?.dispose();
    await engine?.dispose();
  });

  /** Explains and checks that the pipeline leaves no tensors behind. */
  async function explain(x: tf.Tensor4D, request: Parameters<LocalEngine['explainTensor']>[1]): Promise<ImageExplanation[]> {
    const tensorsBefore = tf.memory().numTensors;
    const explanations = await engine.explainTensor(x, request);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    return explanations;
  }

  function check(explanations: ImageExplanation[], photoNames: string[], layer: string, method: CamMethod) {
    const expected = entries.filter((entry) => entry.layer === layer && entry.method === method);
    let checked = 0;
    photoNames.forEach((name, image) => {
      for (const map of explanations[image].maps) {
        const entry = expected.find((e) => e.input === `inputs/${name}.f32` && e.class_index === map.classIndex);
        if (!entry) throw new Error(`no golden entry for ${name} ${layer} ${method} class ${map.classIndex}`);
        expect([map.h, map.w]).toEqual([entry.raw.h, entry.raw.w]);
        const error = rawError(map, entry);
        const key = `${method} @ ${layer}`;
        worstByMethod.set(key, Math.max(worstByMethod.get(key) ?? 0, error));
        expect(error, `${name} class ${map.classIndex}`).toBeLessThanOrEqual(RAW_TOLERANCE);
        checked++;
      }
    });
    expect(checked).toBe(photoNames.length * 2);
  }

  it('gives the same top-5 and logits as TF.js and the PyTorch port', async () => {
    const explanations = await explain(inputs, { method: 'GradCAM', topK: 5, camTopK: 0 });
    explanations.forEach((explanation, image) => {
      const photo = photos[image];
      expect(explanation.top.map((t) => t.index)).toEqual(photo.top5_tfjs.map((t) => t.index));
      const logitError = Math.max(...photo.logits_pytorch_port.map((logit, i) => Math.abs(logit - explanation.logits[i])));
      expect(logitError).toBeLessThan(1e-4);
    });
  });

  for (const [layerIndex, layer] of LAYERS.entries()) {
    for (const method of CAM_METHOD_NAMES.filter((name) => name !== 'ScoreCAM')) {
      it(`${method} at ${layer} matches within ${RAW_TOLERANCE} of the map's maximum`, async () => {
        const classes = photos.map((photo) => photo.cam_classes);
        const explanations = await explain(inputs, { method, layer, topK: 5, camTopK: 2, classes });
        check(explanations, photos.map((photo) => photo.name), layer, method);
      });
    }
    it(`ScoreCAM at ${layer} matches within ${RAW_TOLERANCE} of the map's maximum`, async () => {
      const chosen = scoreCamPhotos(layerIndex);
      const x = tf.gather(inputs, chosen.map((photo) => photos.indexOf(photo))) as tf.Tensor4D;
      try {
        const classes = chosen.map((photo) => photo.cam_classes);
        const explanations = await explain(x, { method: 'ScoreCAM', layer, topK: 5, camTopK: 2, classes });
        check(explanations, chosen.map((photo) => photo.name), layer, 'ScoreCAM');
      } finally {
        x.dispose();
      }
    });
  }
});
