// The wasm backend with the borrowed cpu kernels computes the same gradients and CAMs as the cpu backend.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../../common/types';
import { selectBackend } from './backends';
import type { CamRequest } from './cam/pipeline';
import { LocalEngine } from './local-engine';
import { defaultModelDir } from './paths';
import { saveModelFolder, seededValues } from './test-support/model-files';
import { borrowCpuKernelsForWasm } from './wasm-kernels';

const TOLERANCE = 1e-4;

/** Runs `compute` on the given backend and returns plain numbers, so that backends can be compared. */
async function on(backend: BackendName, compute: () => tf.Tensor): Promise<Float32Array> {
  await selectBackend(backend);
  const result = compute();
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  return actual.reduce((worst, value, i) => Math.max(worst, Math.abs(value - expected[i])), 0) / scale;
}

describe('cpu kernels borrowed by the wasm backend', () => {
  it('fills in the gradient kernels that tfjs-backend-wasm lacks and replaces MaxPoolGrad', () => {
    const borrowed = borrowCpuKernelsForWasm();
    for (const name of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
      'MaxPoolGrad',
    ]) {
      expect(borrowed).toContain(name);
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    }
  });

  it('keeps the max-pool gradient of windows whose maximum is negative', async () => {
    const x = seededValues(2 * 6 * 6 * 3, 7).map((value) => value - 2); // all < 0
    const gradient = () => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [2, 6, 6, 3]));
    const onWasm = await on('wasm', gradient);
    const onCpu = await on('cpu', gradient);
    expect(Array.from(onWasm)).toEqual(Array.from(onCpu));
    expect(onWasm.reduce((sum, value) => sum + value, 0)).toBe(2 * 3 * 3 * 3); // one 1 per window
  });

  it('computes convolution filter and depthwise gradients and segment sums like the cpu backend', async () => {
    const x = seededValues(2 * 9 * 9 * 4, 1);
    const filter = seededValues(3 * 3 * 4 * 5, 2);
    const depthFilter = seededValues(3 * 3 * 4 * 2, 3);
    const cases: [string, () => tf.Tensor][] = [
      ['Conv2DBackpropFilter', () => tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(tf.tensor4d(x, [2, 9, 9, 4]), f as tf.Tensor4D, 2, 'same'))))(tf.tensor4d(filter, [3, 3, 4, 5]))],
      ['DepthwiseConv2dNativeBackpropFilter', () => tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(tf.tensor4d(x, [2, 9, 9, 4]), f as tf.Tensor4D, 1, 'same'))))(tf.tensor4d(depthFilter, [3, 3, 4, 2]))],
      ['DepthwiseConv2dNativeBackpropInput', () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(t as tf.Tensor4D, tf.tensor4d(depthFilter, [3, 3, 4, 2]), 2, 'valid'))))(tf.tensor4d(x, [2, 9, 9, 4]))],
      ['UnsortedSegmentSum', () => tf.unsortedSegmentSum(tf.tensor2d(x.slice(0, 40), [10, 4]), tf.tensor1d([0, 2, 1, 2, 0, 3, 3, 1, 0, 2], 'int32'), 4)],
    ];
    for (const [name, compute] of cases) {
      const onWasm = await on('wasm', compute);
      const onCpu = await on('cpu', compute);
      expect(relativeError(onWasm, onCpu), name).toBeLessThan(1e-5);
    }
  });
});

/** A small functional net: max-pooling over a linear conv (negative maxima), depthwise and plain convs, a residual add with a branch that bypasses the target layer. */
function smallResidualNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  const target = tfl.layers.conv2d({ name: 'target_conv', filters: 8, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(target) as tfl.SymbolicTensor;
  const depthwise = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(pooled) as tfl.SymbolicTensor;
  const conv = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(depthwise) as tfl.SymbolicTensor;
  const bypass = tfl.layers.conv2d({ name: 'bypass', filters: 8, kernelSize: 1, strides: 2 }).apply(input) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([conv, bypass, pooled]) as tfl.SymbolicTensor;
  const pooledFeatures = tfl.layers.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: 5, activation: 'softmax' }).apply(pooledFeatures) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

describe('Grad-CAM on wasm equals Grad-CAM on cpu', () => {
  let smallNetDir: string;
  beforeAll(async () => {
    await selectBackend('cpu');
    smallNetDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-small-net-'));
    const model = smallResidualNet();
    await saveModelFolder(model, smallNetDir);
    model.dispose();
  });
  afterAll(() => rmSync(smallNetDir, { recursive: true, force: true }));

  async function camsOn(backend: BackendName, modelDir: string, input: Float32Array, shape: number[], request: CamRequest & { layer?: string }) {
    const engine = await LocalEngine.create({ modelDir, backend });
    try {
      const x = tf.tensor4d(input, shape as [number, number, number, number]);
      const explanations = engine.explainTensor(x, request);
      x.dispose();
      return explanations;
    } finally {
      engine.dispose();
    }
  }

  async function expectEqualCams(modelDir: string, input: Float32Array, shape: number[], request: CamRequest & { layer?: string }) {
    const onWasm = await camsOn('wasm', modelDir, input, shape, request);
    const onCpu = await camsOn('cpu', modelDir, input, shape, request);
    let worst = 0;
    onCpu.forEach((explanation, image) => {
      expect(onWasm[image].top.map((t) => t.index)).toEqual(explanation.top.map((t) => t.index));
      explanation.maps.forEach((map, rank) => {
        expect(onWasm[image].maps[rank].classIndex).toBe(map.classIndex);
        worst = Math.max(worst, relativeError(onWasm[image].maps[rank].preRelu, map.preRelu));
      });
    });
    console.log(`${path.basename(modelDir)} ${request.layer ?? 'default layer'}: max |wasm − cpu| / max|cpu| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  }

  it('for a small residual net with max-pooling, through the whole head', async () => {
    const input = seededValues(2 * 32 * 32 * 3, 11);
    await expectEqualCams(smallNetDir, input, [2, 32, 32, 3], { method: 'GradCAM', layer: 'target_conv', topK: 3, camTopK: 2 });
  });

  it('for MobileNet at conv_pw_13_relu and conv_pw_11_relu', async () => {
    const goldenInput = fileURLToPath(new URL('./__fixtures__/golden/inputs/285_egyptian_cat.f32', import.meta.url));
    const input = new Float32Array(new Uint8Array(readFileSync(goldenInput)).buffer);
    for (const layer of ['conv_pw_13_relu', 'conv_pw_11_relu']) {
      await expectEqualCams(defaultModelDir(), input, [1, 224, 224, 3], { method: 'GradCAM', layer, topK: 2, camTopK: 2 });
    }
  });
});
