// ONNX exports laid out otherwise than torch.onnx.export with dynamic_axes: a batch fixed at 1 or 2 (an export
// without dynamic_axes, whose graph also writes the batch size into its Reshape), and NHWC input (tf2onnx's
// default), alone and with a fixed batch. Each must give the predictions and maps of the same network exported
// NCHW with a free batch, for 3 images (not a multiple of 2), from a preprocessed tensor and from pixels, with
// Grad-CAM for the top 3 classes and Score-CAM (whose masked batches the network splits).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CamRequest, ImageExplanation } from '../../cam/pipeline';
import { preprocess, type PixelBatch } from '../../preprocess';
import { seededValues } from '../../test-support/model-files';
import { selectBackend } from '../../backends';
import { GraphBuilder, floatValueInfo, onnx } from './graph-builder';
import { loadOnnxModel } from './onnx-model';
import { relativeError } from './test-support/compare';

const SIZE = 12;
const CLASSES = 6;
const TARGET = '/relu1/Relu_output_0';

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-export-layouts-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Layout {
  /** The batch written into the graph (null: a dynamic axis). */
  batch: number | null;
  nhwc?: boolean;
  /** Input height and width, default SIZE × SIZE. */
  sides?: [number, number];
  /** The output without its batch axis (Reshape to [-1]). */
  squeezed?: boolean;
}

/**
 * input → Conv 3×3 (8) → Relu (the target) → Conv 3×3 stride 2 (8) → Relu → flattened in NCHW order → Gemm (6).
 * NHWC input is transposed to NCHW first, as tf2onnx writes it; a fixed batch flattens with Reshape to
 * [batch, -1], as an export with static shapes writes it.
 */
function model({ batch, nhwc = false, sides = [SIZE, SIZE], squeezed = false }: Layout): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const nchw = nhwc ? b.op('Transpose', [input], { perm: [0, 3, 1, 2] }, '/input/Transpose') : input;
  const conv1 = b.op('Conv', [nchw, b.floats('conv1.weight', seededValues(8 * 3 * 9, 1), [8, 3, 3, 3]), b.floats('conv1.bias', seededValues(8, 2), [8])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/conv1/Conv');
  const relu1 = b.op('Relu', [conv1], {}, '/relu1/Relu', b.reserve(TARGET));
  const conv2 = b.op('Conv', [relu1, b.floats('conv2.weight', seededValues(8 * 8 * 9, 3).map((v) => v * 0.5), [8, 8, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, '/conv2/Conv');
  const relu2 = b.op('Relu', [conv2], {}, '/relu2/Relu');
  const flat = batch === null ? b.op('Flatten', [relu2], { axis: 1 }, '/flatten/Flatten') : b.op('Reshape', [relu2, b.int64s('/flatten/shape', [batch, -1])], {}, '/flatten/Reshape');
  const cells = 8 * (SIZE / 2) ** 2;
  const output = squeezed ? undefined : b.reserve('logits');
  const scores = b.op('Gemm', [flat, b.floats('fc.weight', seededValues(CLASSES * cells, 4).map((v) => v * 0.2), [CLASSES, cells]), b.floats('fc.bias', seededValues(CLASSES, 5), [CLASSES])], { transB: 1 }, '/fc/Gemm', output);
  if (squeezed) b.op('Reshape', [scores, b.int64s('/squeeze/shape', [-1])], {}, '/squeeze/Reshape', b.reserve('logits'));
  const n = batch ?? 'n';
  const [h, w] = sides;
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'torch-jit-export',
      node: b.nodes,
      initializer: b.initializers,
      input: [floatValueInfo('input', nhwc ? [n, h, w, 3] : [n, 3, h, w])],
      output: [floatValueInfo('logits', squeezed ? [CLASSES] : [n, CLASSES])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

async function load(name: string, layout: Layout) {
  const file = path.join(workDir, `${name}.onnx`);
  writeFileSync(file, model(layout));
  return loadOnnxModel(file);
}

function expectSame(ours: ImageExplanation[], reference: ImageExplanation[], what: string): void {
  expect(ours.length, what).toBe(reference.length);
  ours.forEach((image, i) => {
    expect(image.top.map((top) => top.index), what).toEqual(reference[i].top.map((top) => top.index));
    image.top.forEach((top, k) => expect(top.prob, what).toBeCloseTo(reference[i].top[k].prob, 5));
    expect(relativeError(image.logits, reference[i].logits), what).toBeLessThan(1e-5);
    expect(image.maps.length, what).toBe(reference[i].maps.length);
    image.maps.forEach((map, rank) => {
      expect(map.classIndex, what).toBe(reference[i].maps[rank].classIndex);
      expect(relativeError(map.preRelu, reference[i].maps[rank].preRelu), `${what}: image ${i}, rank ${rank}`).toBeLessThan(1e-5);
    });
  });
}

describe('ONNX exports with a fixed batch or NHWC input', () => {
  const pixels: PixelBatch = { pixels: Uint8Array.from(seededValues(3 * SIZE * SIZE * 3, 9), (v) => Math.round((v + 1) * 127)), count: 3, size: SIZE, preset: 'torch' };

  for (const [name, layout] of [
    ['a batch fixed at 1', { batch: 1 }],
    ['a batch fixed at 2', { batch: 2 }],
    ['NHWC input', { batch: null, nhwc: true }],
    ['NHWC input with a batch fixed at 1', { batch: 1, nhwc: true }],
  ] as const) {
    it(`gives ${name} the maps and predictions of the dynamic NCHW export`, async () => {
      const reference = await load('reference', { batch: null });
      const ours = await load(name.replaceAll(' ', '-'), layout);
      const x = preprocess(pixels.pixels, pixels.count, SIZE, 'torch');
      try {
        expect(ours.info.inputSize).toBe(SIZE);
        expect(ours.info.classCount).toBe(CLASSES);
        expect(ours.info.candidateLayers.filter((layer) => layer.name !== '/input/Transpose')).toEqual(reference.info.candidateLayers);
        const requests: (CamRequest & { layer: string })[] = [
          { method: 'GradCAM', topK: 3, camTopK: 3, layer: TARGET },
          { method: 'ScoreCAM', topK: 2, camTopK: 1, layer: TARGET },
          { method: 'LayerCAM', topK: 1, camTopK: 0, classes: [[1, 4], [0, 2], [5, 3]], layer: TARGET },
        ];
        for (const request of requests) {
          expectSame(await ours.explainer.explainTensor(x, request), await reference.explainer.explainTensor(x, request), `${request.method} on a tensor`);
          expectSame(await ours.explainer.explainTensor(pixels, request), await reference.explainer.explainTensor(pixels, request), `${request.method} on pixels`);
        }
        // One image through the network alone (the runtime's first run): padded to the fixed batch.
        const one = tf.slice(x, 0, 1);
        const { logits, kept } = await ours.explainer.network.run(one, [TARGET]);
        expect(logits.shape).toEqual([1, CLASSES]);
        expect(kept.get(TARGET)!.shape).toEqual([1, SIZE, SIZE, 8]);
        logits.dispose();
        kept.forEach((tensor) => tensor.dispose());
        one.dispose();
        expect(ours.explainer.network.fixedBatch).toBe(layout.batch);
        expect(ours.explainer.network.inputLayout).toBe('nhwc' in layout ? 'nhwc' : 'nchw');
      } finally {
        x.dispose();
        await reference.explainer.dispose();
        await ours.explainer.dispose();
      }
    });
  }

  it('says what an NHWC input needs, and what a fixed-batch output gives instead of class scores per image', async () => {
    await expect(load('nhwc-oblong', { batch: null, nhwc: true, sides: [SIZE, 16] })).rejects.toThrow(
      /takes input input of shape \[n, 12, 16, 3\]; Sightline needs a square RGB batch \[N, size, size, 3\] \(or \[N, 3, size, size\]\)/,
    );
    await expect(load('squeezed', { batch: 1, squeezed: true })).rejects.toThrow(
      /outputs \[6\] for a batch of 1; Sightline needs a vector of class scores per image, \[N, classes\]/,
    );
  });
});
