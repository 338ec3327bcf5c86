// Gradient CAM methods on ONNX files loaded as they are (loadOnnxModel, the path a PyTorch export takes):
// the head after an EARLY layer (Conv, BatchNormalization, MaxPool, depthwise convs, residual Add, Concat)
// is rebuilt from the ONNX graph in TF.js ops, and must give the TF.js layers path's maps on the same model
// and layer. Graphs written by hand cover the attributes the converter never writes and a transformer's ops,
// against ONNX Runtime's own forward pass; a head with ops that cannot be rebuilt still says which ones.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { camMethods } from '../../cam/methods';
import { CAM_METHOD_NAMES } from '../../../../../common/types';
import { defaultModelDir } from '../../paths';
import { preprocess } from '../../preprocess';
import { seededValues } from '../../test-support/model-files';
import { decodeBatch, samplePhotos } from '../../test-support/photos';
import { loadOnnxModel } from './onnx-model';
import { gridView } from '../../cam/grid-view';
import type { CamHead } from '../../cam/network';
import { residualNet, vgg16 } from './test-support/architectures';
import { maxAbsDifference } from './test-support/compare';
import { bothPaths, compareAtLayer, compareHeadGradients, type BothPaths } from './test-support/onnx-files';
import {
  EXOTIC_CLASSES,
  EXOTIC_SIZE,
  EXOTIC_TARGET,
  TOKEN_CLASSES,
  TOKEN_SIZE,
  TOKEN_TARGET,
  UNSUPPORTED_TARGET,
  exoticHeadModel,
  tokenHeadModel,
  unsupportedHeadModel,
} from './test-support/onnx-graphs';

const GRADIENT_METHODS = CAM_METHOD_NAMES.filter((method) => camMethods[method].uses === 'gradients');

/**
 * Map tolerances as in architectures.test.ts and mobilenet.test.ts. Every early layer's head holds ReLUs or
 * ReLU6s (Clip) and max pools: activations from ONNX Runtime differ from TF.js's by ~1e-5 (its fused
 * convolutions round differently), which can flip a gradient mask or a pool's maximum and moves a map by
 * up to about 1 %: 2e-2. A wrong layout, weight or padding gives errors of order 1.
 */
const TOLERANCE = { reluHead: 2e-2, deepReluHead: 5e-2 };
/** The rebuilt head and the TF.js path's head on the same activations: nothing can flip, only rounding differs. */
const SAME_INPUT_TOLERANCE = 1e-4;

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-onnx-head-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Case {
  name: string;
  source: () => Parameters<typeof bothPaths>[0];
  batch: () => Promise<tf.Tensor4D>;
  /** Keras layer, what its head holds, tolerance. */
  layers: [string, string, number][];
}

const seededBatch = (count: number, size: number, seed: number) => async () =>
  tf.tensor4d(seededValues(count * size * size * 3, seed), [count, size, size, 3]);

const cases: Case[] = [
  {
    name: 'residual net',
    source: residualNet,
    batch: seededBatch(3, 32, 11),
    layers: [
      // BatchNormalization, ReLU6 as Clip, separable (depthwise + 1×1) and depthwise Conv, swish (Sigmoid·Mul),
      // residual Add that re-reads the stem, LeakyRelu, stride-2 SAME_UPPER Conv, squeeze-and-excitation
      // (GlobalAveragePool, Gemm, HardSigmoid, Reshape, broadcast Mul), MaxPool SAME, Concat on channels,
      // AveragePool, Flatten in NCHW order, GlobalMaxPool, Concat, Gemm, Softmax.
      ['stem_conv', 'the whole network after the stem convolution', TOLERANCE.reluHead],
      // The residual Add reads the skip connection (stem_relu) as a constant from the ONNX Runtime run.
      ['res_sep', 'depthwise Conv, BatchNormalization, Add with a skip that bypasses the layer', TOLERANCE.reluHead],
      ['down', 'squeeze-and-excitation, MaxPool, Concat', TOLERANCE.reluHead],
    ],
  },
  {
    name: 'VGG16 architecture (32², 10 classes)',
    source: () => vgg16(32, 10),
    batch: seededBatch(1, 32, 12),
    layers: [['block1_conv2', 'twelve 3×3 Conv + Relu, five MaxPool, Flatten, three Gemm', TOLERANCE.reluHead]],
  },
  {
    name: 'bundled MobileNet',
    source: defaultModelDir,
    batch: async () => {
      const photos = samplePhotos().slice(0, 1);
      return preprocess(await decodeBatch(photos.map((photo) => photo.file), 224), photos.length, 224, 'mobilenet');
    },
    // The converter keeps BatchNormalization as its own node (ONNX Runtime folds it when it runs the network;
    // the head rebuilds it as is); ReLU6 is Clip with min/max inputs; depthwise Conv is group = channels.
    layers: [
      ['conv_pw_11_relu', 'depthwise Conv stride 2, BatchNormalization, Clip (ReLU6), Reshape, 1×1 Conv, Softmax', TOLERANCE.reluHead],
      // Eight blocks of Clip (ReLU6) between the layer and the logits flip more masks on ONNX Runtime's
      // rounding: measured up to 2.4e-2 (HiResCAM), so the maps get 5e-2 (a wrong layout or weight gives
      // errors of order 1); the same-activation check above them holds the head itself to 1e-4 (measured 5e-7).
      ['conv_pw_5_relu', 'eight depthwise-separable blocks, two with stride 2', TOLERANCE.deepReluHead],
    ],
  },
];

for (const { name, source, batch, layers } of cases) {
  describe(`${name} as an ONNX file`, () => {
    let paths: BothPaths;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      paths = await bothPaths(source(), workDir, name.replace(/\W+/g, '_'));
      x = await batch();
    });
    afterAll(async () => {
      x?.dispose();
      await paths?.dispose();
    });

    for (const [layer, holds, tolerance] of layers) {
      it(`gives the TF.js path's maps at ${layer} (head: ${holds}) for every gradient method`, async () => {
        expect(paths.info.candidateLayers.map((c) => c.name)).toContain(paths.tensorOf(layer));
        const gradientError = await compareHeadGradients(paths, x, layer);
        console.log(`${name} at ${layer}: same activations, max gradient error / max |gradient| ${gradientError.toExponential(2)}`);
        expect(gradientError).toBeLessThan(SAME_INPUT_TOLERANCE);
        for (const method of GRADIENT_METHODS) {
          const error = await compareAtLayer(paths, x, layer, { method, topK: 2, camTopK: 2 });
          console.log(`${name} ${method} at ${layer}: max map error / max |map| ${error.toExponential(2)}`);
          expect(error, `${method} at ${layer}`).toBeLessThan(tolerance);
        }
      });
    }
  });
}

/**
 * The rebuilt head after `layer` on ONNX Runtime's own activations: the same logits, a gradient that
 * matches central differences, and a finite, nonzero map for every gradient method.
 */
async function expectHeadMatchesRuntime(file: string, layer: string, x: tf.Tensor4D, classes: number, name: string): Promise<void> {
  const { explainer, info } = await loadOnnxModel(file);
  try {
    const target = explainer.target(layer);
    const head = target.head as CamHead<string>;
    expect(typeof target.head, String(target.head)).toBe('function');
    const { logits, kept } = await explainer.network.run(x, [layer, ...target.constants]);
    const activations = gridView(kept.get(layer)!, info.candidateLayers.find((candidate) => candidate.name === layer)!);
    const reference = logits.dataSync();
    const rebuilt = tf.tidy(() => head(activations, kept).dataSync());
    const difference = maxAbsDifference(rebuilt, reference);
    const spread = Math.max(...reference.map(Math.abs));
    console.log(`${name}: max |logit difference| vs ONNX Runtime ${difference.toExponential(2)} (logits up to ${spread.toFixed(2)})`);
    expect(spread).toBeGreaterThan(0.1);
    expect(difference).toBeLessThan(1e-4);

    // Directional derivative along a seeded direction v: ⟨∇f, v⟩ against (f(A + hv) − f(A − hv)) / 2h,
    // with f a seeded mix of the class scores. Central differences in float32 with h = 1e-3 are good to
    // about 1e-3 here (measured 2e-4); a wrong gradient rule is off by tens of percent (tf.max's, which
    // counts a maximum that an overlapping MaxPool copied into two cells twice, was off by 35 %).
    const [directional, finite] = tf.tidy(() => {
      const mix = tf.tensor1d(seededValues(classes, 32));
      const f = (a: tf.Tensor) => tf.sum(tf.mul(head(a as tf.Tensor4D, kept), mix));
      const v = tf.tensor(seededValues(activations.size, 33), activations.shape);
      const h = 1e-3;
      const along = tf.sum(tf.mul(tf.grad(f)(activations), v)).dataSync()[0];
      const plus = f(tf.add(activations, tf.mul(v, h))).dataSync()[0];
      const minus = f(tf.sub(activations, tf.mul(v, h))).dataSync()[0];
      return [along, (plus - minus) / (2 * h)];
    });
    console.log(`${name}: directional derivative ${directional.toFixed(5)}, finite difference ${finite.toFixed(5)}`);
    expect(Math.abs(directional)).toBeGreaterThan(0.05);
    expect(Math.abs(directional - finite) / Math.abs(directional)).toBeLessThan(1e-2);

    for (const method of GRADIENT_METHODS) {
      const [first] = await explainer.explainTensor(x, { method, topK: 2, camTopK: 2, layer });
      expect(first.maps.every((map) => map.preRelu.every(Number.isFinite) && map.preRelu.some((value) => value !== 0)), method).toBe(true);
    }
    if (activations !== kept.get(layer)) activations.dispose();
    logits.dispose();
    kept.forEach((tensor) => tensor.dispose());
  } finally {
    await explainer.dispose();
  }
}

describe('an ONNX graph with the attributes a converter from Keras never writes', () => {
  it('rebuilds a head that gives ONNX Runtime’s logits, and whose gradient matches finite differences', async () => {
    const file = path.join(workDir, 'exotic.onnx');
    writeFileSync(file, exoticHeadModel());
    const x = tf.tensor4d(seededValues(3 * EXOTIC_SIZE * EXOTIC_SIZE * 3, 31), [3, EXOTIC_SIZE, EXOTIC_SIZE, 3]);
    await expectHeadMatchesRuntime(file, EXOTIC_TARGET, x, EXOTIC_CLASSES, 'exotic head').finally(() => x.dispose());
  });
});

describe('a vision transformer graph with a decomposed LayerNorm, attention and element-wise ops', () => {
  it('lists the token tensor as a 4 × 4 grid and rebuilds the head after it', async () => {
    const file = path.join(workDir, 'tokens.onnx');
    writeFileSync(file, tokenHeadModel());
    const { explainer, info } = await loadOnnxModel(file);
    await explainer.dispose();
    expect(info.candidateLayers.find((candidate) => candidate.name === TOKEN_TARGET)).toEqual({ name: TOKEN_TARGET, shape: [4, 4, 6], layout: 'tokens' });
    const x = tf.tensor4d(seededValues(3 * TOKEN_SIZE * TOKEN_SIZE * 3, 61), [3, TOKEN_SIZE, TOKEN_SIZE, 3]);
    await expectHeadMatchesRuntime(file, TOKEN_TARGET, x, TOKEN_CLASSES, 'token head').finally(() => x.dispose());
  });
});

describe('a head with ops that cannot be rebuilt', () => {
  it('names each op and its node, while gradient-free methods still work', async () => {
    const file = path.join(workDir, 'unsupported.onnx');
    writeFileSync(file, unsupportedHeadModel());
    const { explainer } = await loadOnnxModel(file);
    const x = tf.tensor4d(seededValues(8 * 8 * 3, 41), [1, 8, 8, 3]);
    try {
      const message = explainer.target(UNSUPPORTED_TARGET).head;
      expect(message).toMatch(
        new RegExp(`^the head after ${UNSUPPORTED_TARGET} uses Resize \\(node /up/Resize/Resize\\), MaxPool with dilations 2×2 \\(node /pool/MaxPool/MaxPool\\), which Sightline cannot differentiate \\(it rebuilds .*Conv.*\\)$`),
      );
      await expect(explainer.explainTensor(x, { method: 'GradCAM', topK: 1, camTopK: 1, layer: UNSUPPORTED_TARGET })).rejects.toThrow(
        `GradCAM needs gradients, but the head after ${UNSUPPORTED_TARGET} uses Resize (node /up/Resize/Resize)`,
      );
      // After the unsupported ops the head rebuilds again.
      expect(typeof explainer.target('/pool/MaxPool_output_0').head).toBe('function');
      const [result] = await explainer.explainTensor(x, { method: 'EigenCAM', topK: 1, camTopK: 1, layer: UNSUPPORTED_TARGET });
      expect(result.maps[0].preRelu.some((value) => value !== 0)).toBe(true);
    } finally {
      x.dispose();
      await explainer.dispose();
    }
  });
});
