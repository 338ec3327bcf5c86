// A VGG16 architecture and a residual net built here (random weights, 32² input) on ONNX Runtime
// against the TF.js path, and a model with a layer that does not convert.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { CAM_METHOD_NAMES, type CamMethod } from '../../../../../common/types';
import { LocalEngine } from '../../local-engine';
import { loadModel, type LoadedModel } from '../../model';
import { saveModelFolder, seededValues } from '../../test-support/model-files';
import { tryLayersModel, type OnnxExplainer } from './explainer';
import { residualNet, vgg16 } from './test-support/architectures';
import { compareWithTfjs, maxAbsDifference, tfjsLogits } from './test-support/compare';

const BATCH = 3;
/** See mobilenet.test.ts: a ReLU between the layer and the logits can flip on float noise. */
const TOLERANCE = { smoothHead: 1e-4, reluHead: 2e-2 };

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-onnx-arch-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function save(model: tfl.LayersModel, name: string): Promise<string> {
  const dir = path.join(workDir, name);
  await saveModelFolder(model, dir);
  model.dispose();
  return dir;
}

function randomBatch(size: number, seed: number): tf.Tensor4D {
  return tf.tensor4d(seededValues(BATCH * size * size * 3, seed), [BATCH, size, size, 3]);
}

interface Case {
  name: string;
  build: () => tfl.LayersModel;
  /** Layers and the tolerance their head allows; Score-CAM runs at the first, one image. */
  layers: [string, number][];
}

const cases: Case[] = [
  {
    name: 'VGG16',
    build: () => vgg16(32),
    layers: [['block5_conv3', TOLERANCE.reluHead], ['block4_conv3', TOLERANCE.reluHead]],
  },
  {
    name: 'residual net',
    build: residualNet,
    // last_conv: tanh, flatten, global max pool and dense; res_bn: its head reads the skip connection.
    layers: [['last_conv', TOLERANCE.smoothHead], ['res_bn', TOLERANCE.reluHead]],
  },
];

for (const { name, build, layers } of cases) {
  describe(`${name} on ONNX Runtime`, () => {
    let tfjsEngine: LocalEngine;
    let model: LoadedModel;
    let explainer: OnnxExplainer;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      const dir = await save(build(), name.replace(/\W/g, '_'));
      tfjsEngine = await LocalEngine.create({ modelDir: dir, backend: 'wasm', runtime: 'tfjs' });
      model = await loadModel(dir);
      const attempt = await tryLayersModel(model, { cacheDir: path.join(workDir, 'cache') });
      if (!attempt.explainer) throw new Error(attempt.reason);
      explainer = attempt.explainer;
      x = randomBatch(model.inputSize, 11);
    });
    afterAll(async () => {
      x?.dispose();
      await explainer?.dispose();
      model?.dispose();
      await tfjsEngine?.dispose();
    });

    it('gives the TF.js logits within 1e-4', async () => {
      const ours = await explainer.network.run(x);
      const reference = await tfjsLogits(tfjsEngine, x);
      const difference = maxAbsDifference(ours.logits.dataSync(), reference);
      const spread = Math.max(...reference.map(Math.abs));
      console.log(`${name}: max |logit difference| ${difference.toExponential(2)} (logits up to ${spread.toFixed(2)})`);
      expect(spread).toBeGreaterThan(0.1);
      expect(difference).toBeLessThan(1e-4);
      ours.logits.dispose();
    });

    it('gives the TF.js path’s maps for every method', async () => {
      const methods: CamMethod[] = CAM_METHOD_NAMES.filter((method) => method !== 'ScoreCAM');
      for (const [layer, tolerance] of layers) {
        for (const method of methods) {
          const error = await compareWithTfjs(tfjsEngine, explainer, x, { method, topK: 2, camTopK: 2, layer });
          console.log(`${name} ${method} at ${layer}: ${error.toExponential(2)}`);
          expect(error, `${method} at ${layer}`).toBeLessThan(tolerance);
        }
      }
      const one = tf.slice(x, [0, 0, 0, 0], [1, model.inputSize, model.inputSize, 3]);
      const layer = name === 'VGG16' ? 'block1_conv2' : 'last_conv';
      const error = await compareWithTfjs(tfjsEngine, explainer, one, { method: 'ScoreCAM', topK: 1, camTopK: 1, layer });
      one.dispose();
      console.log(`${name} ScoreCAM at ${layer}: ${error.toExponential(2)}`);
      expect(error).toBeLessThan(TOLERANCE.smoothHead);
    });
  });
}

describe('a model with a layer the converter does not handle', () => {
  it('stays on the TF.js path, naming the layer', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'upsample' }).apply(input) as tfl.SymbolicTensor;
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(up) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(conv) as tfl.SymbolicTensor;
    const model = await loadModel(await save(tfl.model({ inputs: input, outputs: pooled }), 'upsampling'));
    const attempt = await tryLayersModel(model, { cacheDir: path.join(workDir, 'cache') });
    expect(attempt.explainer).toBeNull();
    expect(!attempt.explainer && attempt.reason).toBe(
      'the model does not convert to ONNX: layer upsample is a UpSampling2D, which the ONNX converter does not handle',
    );
    model.dispose();
  });
});
