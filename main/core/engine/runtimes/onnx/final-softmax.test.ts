// An ONNX classifier that ends in a Softmax (behind shape-only ops) outputs probabilities: Sightline takes the
// Softmax's input as the logits, so the probabilities it reports are the model's own output (not a softmax of
// it), and gradient methods differentiate the class score before the softmax, as for the same model without it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { seededValues } from '../../test-support/model-files';
import { GraphBuilder, floatValueInfo, onnx } from './graph-builder';
import { nhwcToNchw } from './layout';
import { loadOnnxModel } from './onnx-model';
import { relativeError } from './test-support/compare';

const SIZE = 12;
const CLASSES = 6;
const TARGET = '/relu/Relu_output_0';

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-final-softmax-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

type Ending = 'none' | 'softmax' | 'softmax-reshaped' | 'softmax-opset-11' | 'softmax-per-group';

/**
 * input [N, 3, 12, 12] → Conv → Relu (the target) → GlobalAveragePool → the scores: a Gemm (`none`,
 * `softmax`: then Softmax(axis 1)), or a 1×1 Conv to [N, 6, 1, 1] followed by Softmax over the channels and
 * Flatten → Identity (`softmax-reshaped`; at opset 11, whose Softmax flattens from its default axis 1 on),
 * or reshaped to [N, 2, 3] with a Softmax over each group of 3 (`softmax-per-group`: no class softmax).
 */
function model(ending: Ending): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const conv = b.op('Conv', [input, b.floats('conv.weight', seededValues(8 * 3 * 9, 1), [8, 3, 3, 3]), b.floats('conv.bias', seededValues(8, 2), [8])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/conv/Conv');
  const relu = b.op('Relu', [conv], {}, '/relu/Relu', b.reserve(TARGET));
  const pooled = b.op('GlobalAveragePool', [relu], {}, '/pool/GlobalAveragePool');
  const fcWeight = seededValues(CLASSES * 8, 3).map((v) => v * 3);
  const fcBias = seededValues(CLASSES, 4);
  const output = ending === 'none' ? 'logits' : 'probabilities';
  if (ending === 'none' || ending === 'softmax') {
    const flat = b.op('Flatten', [pooled], { axis: 1 }, '/flatten/Flatten');
    const scores = b.op('Gemm', [flat, b.floats('fc.weight', fcWeight, [CLASSES, 8]), b.floats('fc.bias', fcBias, [CLASSES])], { transB: 1 }, '/fc/Gemm', ending === 'none' ? b.reserve(output) : undefined);
    if (ending === 'softmax') b.op('Softmax', [scores], { axis: 1 }, '/softmax/Softmax', b.reserve(output));
  } else {
    const scores = b.op('Conv', [pooled, b.floats('fc.weight', fcWeight, [CLASSES, 8, 1, 1]), b.floats('fc.bias', fcBias, [CLASSES])], { kernel_shape: [1, 1] }, '/fc/Conv');
    const grouped = ending === 'softmax-per-group';
    const before = grouped ? b.op('Reshape', [scores, b.int64s('/groups/shape', [0, 2, 3])], {}, '/groups/Reshape') : scores;
    const softmax = b.op('Softmax', [before], ending === 'softmax-opset-11' ? {} : { axis: grouped ? -1 : 1 }, '/softmax/Softmax');
    b.op('Identity', [b.op('Flatten', [softmax], { axis: 1 }, '/flatten/Flatten')], {}, '/out/Identity', b.reserve(output));
  }
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: ending === 'softmax-opset-11' ? 11 : 17 }],
    graph: { name: 'torch-jit-export', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('input', ['n', 3, SIZE, SIZE])], output: [floatValueInfo(output, ['n', CLASSES])] },
  });
  return onnx.ModelProto.encode(proto).finish();
}

async function load(ending: Ending) {
  const bytes = model(ending);
  const file = path.join(workDir, `${ending}.onnx`);
  writeFileSync(file, bytes);
  return { bytes, ...(await loadOnnxModel(file)) };
}

/** ONNX Runtime's own output of the model for the NHWC batch `x`. */
async function ortOutput(bytes: Uint8Array, x: tf.Tensor4D): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const [n, h, w, c] = x.shape;
    const results = await session.run({ input: new ort.Tensor('float32', nhwcToNchw(x.dataSync() as Float32Array, [n, h, w, c]), [n, c, h, w]) });
    return results[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('an ONNX model that ends in a Softmax', () => {
  for (const ending of ['softmax', 'softmax-reshaped', 'softmax-opset-11'] as const) {
    it(`reports the model's probabilities and differentiates the logits before its Softmax (${ending})`, async () => {
      const plain = await load('none');
      const softmaxed = await load(ending);
      const x = tf.tensor4d(seededValues(3 * SIZE * SIZE * 3, 5).map((v) => v * 2), [3, SIZE, SIZE, 3]);
      try {
        expect(softmaxed.explainer.network.logitsName).not.toBe(softmaxed.explainer.network.outputName);
        expect(softmaxed.info.classCount).toBe(CLASSES);
        const probabilities = await ortOutput(softmaxed.bytes, x);
        for (const method of ['GradCAM', 'GradCAMPlusPlus'] as const) {
          const request = { method, topK: CLASSES, camTopK: 2, layer: TARGET };
          const ours = await softmaxed.explainer.explainTensor(x, request);
          const reference = await plain.explainer.explainTensor(x, request);
          ours.forEach((image, i) => {
            // Every class's probability is ONNX Runtime's output for it; the logits are the model's without Softmax.
            image.top.forEach(({ index, prob }) => expect(prob).toBeCloseTo(probabilities[i * CLASSES + index], 6));
            expect(image.top.map((top) => top.index)).toEqual(reference[i].top.map((top) => top.index));
            expect(relativeError(image.logits, reference[i].logits)).toBeLessThan(1e-6);
            image.maps.forEach((map, rank) => {
              expect(map.classIndex).toBe(reference[i].maps[rank].classIndex);
              expect(relativeError(map.preRelu, reference[i].maps[rank].preRelu), `${method} image ${i} rank ${rank}`).toBeLessThan(1e-5);
            });
          });
        }
      } finally {
        x.dispose();
        await plain.explainer.dispose();
        await softmaxed.explainer.dispose();
      }
    });
  }

  it('keeps the output as the scores where the final Softmax does not run over all classes', async () => {
    const { bytes, explainer } = await load('softmax-per-group');
    const x = tf.tensor4d(seededValues(2 * SIZE * SIZE * 3, 6), [2, SIZE, SIZE, 3]);
    try {
      expect(explainer.network.logitsName).toBe('probabilities');
      const output = await ortOutput(bytes, x);
      const ours = await explainer.explainTensor(x, { method: 'GradCAM', topK: 1, camTopK: 1 });
      ours.forEach((image, i) => expect(relativeError(image.logits, output.subarray(i * CLASSES, (i + 1) * CLASSES))).toBeLessThan(1e-6));
    } finally {
      x.dispose();
      await explainer.dispose();
    }
  });
});
