// ONNX models loaded as they are: a small NCHW graph written here the way torch.onnx.export lays one
// out, and the converted residual net written to a file and loaded back through this path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { loadModel } from '../../model';
import { saveModelFolder, seededValues } from '../../test-support/model-files';
import { convertLayerGraph, onnxTensorName } from './convert';
import { tryLayersModel } from './explainer';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './graph-builder';
import { loadOnnxModel } from './onnx-model';
import { residualNet } from './test-support/architectures';
import { relativeError } from './test-support/compare';

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-onnx-model-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** input [N,3,16,16] → Conv 3×3 (4) → Relu → Conv 3×3 stride 2 (6) → Relu → GlobalAveragePool → Flatten → Gemm (5). */
function torchStyleModel(): { bytes: Uint8Array; fc: Float32Array } {
  const b = new GraphBuilder();
  const input = b.reserve('input.1');
  const conv1 = b.op('Conv', [input, b.floats('conv1.weight', seededValues(4 * 3 * 9, 1), [4, 3, 3, 3]), b.floats('conv1.bias', seededValues(4, 2), [4])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/conv1/Conv');
  const relu1 = b.op('Relu', [conv1], {}, '/relu1/Relu_output_0');
  const conv2 = b.op('Conv', [relu1, b.floats('conv2.weight', seededValues(6 * 4 * 9, 3), [6, 4, 3, 3]), b.floats('conv2.bias', seededValues(6, 4), [6])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, '/conv2/Conv');
  const relu2 = b.op('Relu', [conv2], {}, '/relu2/Relu_output_0');
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [relu2], {}, '/avgpool')], { axis: 1 }, '/flatten');
  const fc = seededValues(5 * 6, 5);
  b.op('Gemm', [pooled, b.floats('fc.weight', fc, [5, 6]), b.floats('fc.bias', seededValues(5, 6), [5])], { transB: 1 }, '/fc/Gemm', b.reserve('scores'));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'torch-jit-export', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('input.1', ['batch', 3, 16, 16])], output: [floatValueInfo('scores', ['batch', 5])] },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), fc };
}

describe('an NCHW ONNX model written like a PyTorch export', () => {
  it('lists its spatial layers, and Grad-CAM weights each channel by the mean gradient (fc weight / 64)', async () => {
    const { bytes, fc } = torchStyleModel();
    const file = path.join(workDir, 'torch-style.onnx');
    writeFileSync(file, bytes);
    const { explainer, info } = await loadOnnxModel(file);
    try {
      expect(info.inputSize).toBe(16);
      expect(info.preprocessing).toBe('torch');
      expect(info.candidateLayers).toEqual([
        { name: '/conv1/Conv', shape: [16, 16, 4], layout: 'nchw' },
        { name: '/relu1/Relu_output_0', shape: [16, 16, 4], layout: 'nchw' },
        { name: '/conv2/Conv', shape: [8, 8, 6], layout: 'nchw' },
        { name: '/relu2/Relu_output_0', shape: [8, 8, 6], layout: 'nchw' },
      ]);
      const x = tf.tensor4d(seededValues(2 * 16 * 16 * 3, 9), [2, 16, 16, 3]);
      const [result] = await explainer.explainTensor(x, { method: 'GradCAM', topK: 5, camTopK: 1 });
      const { kept } = await explainer.network.run(x, ['/relu2/Relu_output_0']);
      const activations = kept.get('/relu2/Relu_output_0')!.arraySync() as number[][][][];
      const c = result.top[0].index;
      // ∂y_c/∂A[i,j,k] = fc[c,k] / 64 everywhere, so the map is Σ_k fc[c,k]/64 · A_k.
      const expected = Float32Array.from({ length: 64 }, (_, cell) =>
        activations[0][Math.floor(cell / 8)][cell % 8].reduce((sum, a, k) => sum + (fc[c * 6 + k] / 64) * a, 0),
      );
      expect(relativeError(result.maps[0].preRelu, expected)).toBeLessThan(1e-5);
      kept.forEach((tensor) => tensor.dispose());
      x.dispose();
    } finally {
      await explainer.dispose();
    }
  });

  it('says why a file is not a usable ONNX classifier', async () => {
    const file = path.join(workDir, 'not-onnx.onnx');
    writeFileSync(file, 'hello');
    await expect(loadOnnxModel(file)).rejects.toThrow(/not-onnx.onnx is not an ONNX model/);
  });
});

describe('a converted model loaded back as an ONNX file', () => {
  it('gives the layers path’s maps: Score-CAM and Eigen-CAM on any graph, Grad-CAM through a rebuilt head', async () => {
    const dir = path.join(workDir, 'residual');
    const built = residualNet();
    await saveModelFolder(built, dir);
    built.dispose();
    const model = await loadModel(dir);
    const file = path.join(workDir, 'residual.onnx');
    writeFileSync(file, convertLayerGraph(model.graph, model.inputSize));
    const layersPath = await tryLayersModel(model, { cacheDir: path.join(workDir, 'cache') });
    if (!layersPath.explainer) throw new Error(layersPath.reason);
    const { explainer, info } = await loadOnnxModel(file);
    const x = tf.tensor4d(seededValues(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
    try {
      const lastConv = onnxTensorName(model.graph, model.spatialLayers.find((l) => l.name === 'last_conv')!.tensor);
      expect(info.candidateLayers.map((layer) => layer.name)).toContain(lastConv);
      for (const method of ['ScoreCAM', 'EigenCAM', 'GradCAM', 'GradCAMPlusPlus'] as const) {
        const ours = await explainer.explainTensor(x, { method, topK: 2, camTopK: 2, layer: lastConv });
        const reference = await layersPath.explainer.explainTensor(x, { method, topK: 2, camTopK: 2, layer: 'last_conv' });
        ours.forEach((image, i) =>
          image.maps.forEach((map, rank) => {
            expect(map.classIndex).toBe(reference[i].maps[rank].classIndex);
            expect(relativeError(map.preRelu, reference[i].maps[rank].preRelu), `${method}`).toBeLessThan(1e-5);
          }),
        );
      }
    } finally {
      x.dispose();
      await explainer.dispose();
      await layersPath.explainer.dispose();
      model.dispose();
    }
  });

  it('reuses a cached conversion for a later load of the model, whose TF.js tensor ids differ', async () => {
    const dir = path.join(workDir, 'residual-reloaded');
    const built = residualNet();
    await saveModelFolder(built, dir);
    built.dispose();
    const cacheDir = path.join(workDir, 'reload-cache');
    const x = tf.tensor4d(seededValues(32 * 32 * 3, 6), [1, 32, 32, 3]);
    const request = { method: 'GradCAM', topK: 2, camTopK: 1, layer: 'res_bn' } as const;
    const results = [];
    for (const load of ['converts', 'reads the cache']) {
      const model = await loadModel(dir);
      const attempt = await tryLayersModel(model, { cacheDir });
      if (!attempt.explainer) throw new Error(attempt.reason);
      try {
        expect(attempt.cached, load).toBe(load === 'reads the cache');
        results.push(await attempt.explainer.explainTensor(x, request));
      } finally {
        await attempt.explainer.dispose();
        model.dispose();
      }
    }
    x.dispose();
    expect(results[1][0].top).toEqual(results[0][0].top);
    expect(relativeError(results[1][0].maps[0].preRelu, results[0][0].maps[0].preRelu)).toBe(0);
  });

  it('differentiates through a rebuilt head of pooling and convolutions (merge), as the layers path does', async () => {
    // Which ops stop gradient methods, and that the message names them: onnx-head.test.ts.
    const dir = path.join(workDir, 'residual-conv-head');
    const built = residualNet();
    await saveModelFolder(built, dir);
    built.dispose();
    const model = await loadModel(dir);
    const file = path.join(workDir, 'conv-head.onnx');
    writeFileSync(file, convertLayerGraph(model.graph, model.inputSize));
    const { explainer } = await loadOnnxModel(file);
    const layersPath = await tryLayersModel(model, { cacheDir: path.join(workDir, 'cache') });
    if (!layersPath.explainer) throw new Error(layersPath.reason);
    const layer = onnxTensorName(model.graph, model.spatialLayers.find((l) => l.name === 'merge')!.tensor);
    const x = tf.tensor4d(seededValues(2 * 32 * 32 * 3, 5), [2, 32, 32, 3]);
    try {
      for (const method of ['GradCAM', 'EigenCAM'] as const) {
        const ours = await explainer.explainTensor(x, { method, topK: 1, camTopK: 1, layer });
        const reference = await layersPath.explainer.explainTensor(x, { method, topK: 1, camTopK: 1, layer: 'merge' });
        ours.forEach((image, i) => {
          expect(image.maps[0].preRelu.some((value) => value !== 0)).toBe(true);
          expect(relativeError(image.maps[0].preRelu, reference[i].maps[0].preRelu, method === 'EigenCAM'), method).toBeLessThan(1e-4);
        });
      }
    } finally {
      x.dispose();
      await explainer.dispose();
      await layersPath.explainer.dispose();
      model.dispose();
    }
  });
});
