// The wasm backend with the borrowed cpu kernels computes the same gradients as the cpu backend
// (whole CAMs on both backends: wasm-vs-cpu.test.ts).
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs-core's gradient functions, as it does in the engine.
import '@tensorflow/tfjs-layers';
// tfjs-core's own Mean gradient, which the engine replaces, as the reference.
import { meanGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Mean_grad.js';
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../../common/types';
import { selectBackend } from './backends';
import { seededValues } from './test-support/model-files';
import { borrowCpuKernelsForWasm } from './wasm-kernels';


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
  it('fills in the gradient kernels that tfjs-backend-wasm lacks', () => {
    const borrowed = borrowCpuKernelsForWasm();
    for (const name of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
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

  it("computes the max-pool gradient like the cpu backend: overlapping and padded windows, ties to the first maximum, NaN", async () => {
    borrowCpuKernelsForWasm();
    const values = seededValues(2 * 9 * 7 * 5, 11).map((value, i) => (i % 13 === 0 ? 0.5 : value - 0.5)); // ties of 0.5
    values[17] = NaN;
    const x = () => tf.tensor4d(values, [2, 9, 7, 5]);
    const weights = tf.tensor1d(seededValues(5, 12)); // a different gradient per channel
    const cases: [string, () => tf.Tensor][] = [
      ['3×3, stride 2, same', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'), weights)))(x())],
      ['2×2, stride 2, valid', () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), weights)))(x())],
      ['3×2, stride 1, explicit pad', () => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, [3, 2], 1, [[0, 0], [1, 1], [0, 1], [0, 0]])))(x())],
    ];
    for (const [name, compute] of cases) {
      const onWasm = await on('wasm', compute);
      const onCpu = await on('cpu', compute);
      expect(Array.from(onWasm), name).toEqual(Array.from(onCpu));
      expect(onWasm.some((value) => value !== 0), name).toBe(true);
    }
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

  it('computes a·bᵀ and the input gradient of a 1×1 convolution like the cpu backend (the sped-up wasm kernels)', async () => {
    const a = seededValues(3 * 5 * 7, 4);
    const b = seededValues(3 * 6 * 7, 5);
    const x = seededValues(2 * 4 * 4 * 6, 6);
    const pointwise = seededValues(6 * 9, 8);
    const cases: [string, () => tf.Tensor][] = [
      ['a·bᵀ, batched', () => tf.matMul(tf.tensor3d(a, [3, 5, 7]), tf.tensor3d(b, [3, 6, 7]), false, true)],
      // b much larger than a: computed as (b·aᵀ)ᵀ.
      ['a·bᵀ, large b', () => tf.matMul(tf.tensor3d(seededValues(2 * 3 * 16, 10), [2, 3, 16]), tf.tensor3d(seededValues(2 * 40 * 16, 11), [2, 40, 16]), false, true)],
      ['1×1 conv input gradient, many channels', () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.conv2d(t as tf.Tensor4D, tf.tensor4d(seededValues(40 * 30, 12), [1, 1, 40, 30]), 1, 'valid'))))(tf.tensor4d(seededValues(40, 13), [1, 1, 1, 40]))],
      ['aᵀ·bᵀ', () => tf.matMul(tf.tensor2d(a.slice(0, 35), [7, 5]), tf.tensor2d(b.slice(0, 42), [6, 7]), true, true)],
      ['a·b, untouched', () => tf.matMul(tf.tensor2d(a.slice(0, 35), [5, 7]), tf.tensor2d(b.slice(0, 42), [7, 6]))],
      ['dense gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.matMul(t as tf.Tensor2D, tf.tensor2d(b.slice(0, 42), [7, 6])))))(tf.tensor2d(a.slice(0, 35), [5, 7]))],
      ['1×1 conv input gradient', () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.conv2d(t as tf.Tensor4D, tf.tensor4d(pointwise, [1, 1, 6, 9]), 1, 'same'))))(tf.tensor4d(x, [2, 4, 4, 6]))],
      ['3×3 conv input gradient, untouched', () => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.conv2d(t as tf.Tensor4D, tf.tensor4d(seededValues(3 * 3 * 6 * 2, 9), [3, 3, 6, 2]), 1, 'same'))))(tf.tensor4d(x, [2, 4, 4, 6]))],
    ];
    for (const [name, compute] of cases) {
      const onWasm = await on('wasm', compute);
      const onCpu = await on('cpu', compute);
      expect(onWasm.length, name).toBe(onCpu.length);
      expect(relativeError(onWasm, onCpu), name).toBeLessThan(1e-5);
    }
    // The transposed copies are freed: after the inputs and the product are disposed, wasm holds no more data.
    await selectBackend('wasm');
    const held = tf.engine().backend.numDataIds();
    tf.tidy(() => {
      tf.matMul(tf.tensor3d(a, [3, 5, 7]), tf.tensor3d(b, [3, 6, 7]), false, true);
      tf.matMul(tf.tensor3d(seededValues(2 * 3 * 16, 10), [2, 3, 16]), tf.tensor3d(seededValues(2 * 40 * 16, 11), [2, 40, 16]), false, true);
    });
    expect(tf.engine().backend.numDataIds()).toBe(held);
  });

  it("replaces tfjs-core's Mean gradient by one that gives the same values without a JavaScript array of ones", async () => {
    const values = seededValues(2 * 3 * 4 * 5, 14);
    const cases: [number | number[], boolean][] = [[[1, 2], false], [[1, 2], true], [-1, false], [[0, 1, 2, 3], true], [0, false]];
    for (const backend of ['wasm', 'cpu'] as const) {
      await selectBackend(backend);
      for (const [axis, keepDims] of cases) {
        const label = `${backend}, axis ${JSON.stringify(axis)}, keepDims ${keepDims}`;
        const x = tf.tensor4d(values, [2, 3, 4, 5]);
        const dy = tf.randomUniform(tf.mean(x, axis, keepDims).shape, -1, 1, 'float32', 3);
        const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis, keepDims), dy)))(x);
        const stock = (meanGradConfig.gradFunc(dy, [x], { axis } as unknown as tf.NamedAttrMap) as { x: () => tf.Tensor }).x();
        expect(ours.shape, label).toEqual(x.shape);
        expect(Array.from(ours.dataSync()), label).toEqual(Array.from(stock.dataSync()));
        tf.dispose([x, dy, ours, stock]);
      }
    }
  });
});
