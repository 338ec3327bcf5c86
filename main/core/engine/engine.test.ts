// The engine end to end through its worker thread, with the bundled model and the real sample photos;
// its runtimes (ONNX Runtime, TF.js layers) side by side; a model.onnx folder; the fallback to TF.js.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, defaultModelDir, type Engine, type EngineOptions, type ExplainResult } from './index';
import { LocalEngine } from './local-engine';
import { loadModel } from './model';
import { cachedModelFile } from './runtimes/onnx/cache';
import { convertLayerGraph, onnxTensorName } from './runtimes/onnx/convert';
import { GraphBuilder, OPSET, floatValueInfo, onnx as onnxProto } from './runtimes/onnx/graph-builder';
import { residualNet } from './runtimes/onnx/test-support/architectures';
import { relativeError } from './runtimes/onnx/test-support/compare';
import { expectNoTensorLeak } from './test-support/memory';
import { saveModelFolder } from './test-support/model-files';
import { decodeBatch, decodeRgb, samplePhotos, samplesDir } from './test-support/photos';

const BATCH = 8;
/** As in runtimes/onnx/mobilenet.test.ts: ONNX Runtime vs TF.js at conv_pw_13_relu, max map error / max |map|. */
const MAP_TOLERANCE = 1e-4;

let workDir: string;
beforeAll(async () => {
  // Models are built on this thread too (random weights); the engines have their own TF.js in their workers.
  await tf.setBackend('cpu');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-engine-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** An engine whose converted models go to this file's temporary folder, not the user's data folder. */
function engineOn(options: EngineOptions): Promise<Engine> {
  return createEngine({ onnxCacheDir: path.join(workDir, 'onnx-cache'), ...options });
}

describe('engine with the bundled MobileNet', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineOn({ modelDir: defaultModelDir() });
  });
  afterAll(() => engine?.dispose());

  it('runs the network on ONNX Runtime by default, with the TF.js backend for the head', () => {
    expect(engine.backend.runtime).toMatchObject({ name: 'onnxruntime', provider: 'cpu' });
    expect(engine.backend.runtime?.fallbackReason).toBeUndefined();
    expect(engine.backend.runtime?.skippedProviders?.map((skip) => skip.name)).toEqual(['cuda', 'dml', 'coreml']);
    for (const skip of engine.backend.runtime?.skippedProviders ?? []) expect(skip.reason).toMatch(/onnxruntime-node/);
  });

  it('describes the model and the backend it chose', () => {
    expect(engine.model.inputSize).toBe(224);
    expect(engine.model.layer).toBe('conv_pw_13_relu');
    expect(engine.model.layerShape).toEqual([7, 7, 768]);
    expect(engine.model.labels[235]).toBe('German shepherd');
    expect(engine.model.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(engine.backend.name).toBe('wasm');
    expect(engine.backend.skipped.map((skip) => skip.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(engine.backend.skipped[0].reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
  });

  it('gets the true class first for at least 30 of the 34 sample photos', async () => {
    const photos = samplePhotos();
    expect(photos).toHaveLength(34);
    const wrong: string[] = [];
    for (let first = 0; first < photos.length; first += BATCH) {
      const batch = photos.slice(first, first + BATCH);
      const pixels = await decodeBatch(batch.map((photo) => photo.file), 224);
      const results = await engine.explain({ pixels, count: batch.length, topK: 5, camTopK: 0 });
      results.forEach((result, index) => {
        expect(result.top).toHaveLength(5);
        expect(result.heatmaps).toHaveLength(0);
        const predicted = result.top[0].index;
        if (predicted !== batch[index].trueClass) {
          wrong.push(`${path.relative(samplesDir, batch[index].file)} → ${engine.model.labels[predicted]}`);
        }
      });
    }
    console.log(`top-1 correct: ${photos.length - wrong.length}/${photos.length}; wrong: ${wrong.join('; ')}`);
    expect(photos.length - wrong.length).toBeGreaterThanOrEqual(30);
  });

  it('puts the Grad-CAM peak for the German shepherd on the dog', async () => {
    const pixels = await decodeRgb(path.join(samplesDir, '235_german_shepherd', 'gcompris_dog.webp'), 224);
    const [result] = await engine.explain({ pixels, count: 1, topK: 3, camTopK: 1 });
    const [heatmap] = result.heatmaps;
    expect(heatmap.classIndex).toBe(235);
    expect([heatmap.h, heatmap.w]).toEqual([7, 7]);
    // The dog covers x 0.25‥0.87, y 0.05‥0.75 of the photo (its back, neck and head are inside; grass is not).
    const dogBox = { left: 0.25, right: 0.87, top: 0.05, bottom: 0.75 };
    const peak = heatmap.values.indexOf(heatmap.scale);
    const peakX = ((peak % heatmap.w) + 0.5) / heatmap.w;
    const peakY = (Math.floor(peak / heatmap.w) + 0.5) / heatmap.h;
    expect(peakX).toBeGreaterThan(dogBox.left);
    expect(peakX).toBeLessThan(dogBox.right);
    expect(peakY).toBeGreaterThan(dogBox.top);
    expect(peakY).toBeLessThan(dogBox.bottom);
    expect(heatmap.scale).toBeGreaterThan(0);
    expect(Math.min(...heatmap.values)).toBeGreaterThanOrEqual(0);
  });

  it('returns top-k and one map per requested class for each image of a batch', async () => {
    const photos = samplePhotos().slice(0, 3);
    const pixels = await decodeBatch(photos.map((photo) => photo.file), 224);
    const results = await engine.explain({ pixels, count: 3, topK: 4, camTopK: 2 });
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.top).toHaveLength(4);
      expect(result.heatmaps.map((heatmap) => heatmap.classIndex)).toEqual([result.top[0].index, result.top[1].index]);
      expect(result.top[0].prob).toBeGreaterThanOrEqual(result.top[1].prob);
    }
  });

  it('rejects a request that does not fit, with the reason, and keeps serving', async () => {
    await expect(engine.explain({ pixels: new Uint8Array(10), count: 1 })).rejects.toThrow(/224×224×3/);
    const pixels = () => new Uint8Array(224 * 224 * 3);
    await expect(engine.explain({ pixels: pixels(), count: 1, topK: 0 })).rejects.toThrow('topK must be a whole number ≥ 1');
    const method = 'GuidedBackprop' as 'GradCAM';
    await expect(engine.explain({ pixels: pixels(), count: 1, method })).rejects.toThrow('Unknown CAM method GuidedBackprop');
    const [result] = await engine.explain({ pixels: pixels(), count: 1, method: 'HiResCAM' });
    expect(result.heatmaps).toHaveLength(1);
  });
});

describe('createEngine', () => {
  it('rejects with the worker’s message when the model folder is unusable', async () => {
    await expect(createEngine({ modelDir: path.join(samplesDir, 'no-such-model') })).rejects.toThrow(/does not exist/);
  });

  it('warms each worker up with the coming run before it reports ready, and then explains as a cold engine does', async () => {
    const photos = samplePhotos().slice(0, 3);
    const pixels = await decodeBatch(photos.map((photo) => photo.file), 224);
    const request = { method: 'GradCAM', topK: 3, camTopK: 3 } as const;
    const warm = await engineOn({ modelDir: defaultModelDir(), workers: 1, warmUp: { batches: 2, ...request } });
    const cold = await engineOn({ modelDir: defaultModelDir(), workers: 1 });
    try {
      expect(await warm.explain({ pixels: pixels.slice(), count: 3, ...request })).toEqual(await cold.explain({ pixels: pixels.slice(), count: 3, ...request }));
    } finally {
      await Promise.all([warm.dispose(), cold.dispose()]);
    }
    // The warm-up runs in the worker before it is ready: one that cannot run fails the start, with its reason.
    const method = 'GuidedBackprop' as 'GradCAM';
    await expect(engineOn({ modelDir: defaultModelDir(), workers: 1, warmUp: { batches: 1, method } })).rejects.toThrow(
      'Unknown CAM method GuidedBackprop',
    );
  });

  it('rejects an unknown runtime', async () => {
    await expect(engineOn({ modelDir: defaultModelDir(), workers: 1, runtime: 'jax' as 'onnx' })).rejects.toThrow(
      'Unknown runtime jax; one of auto, onnx, tfjs',
    );
  });
});

describe('the bundled MobileNet on ONNX Runtime and on TF.js', () => {
  const engines: Partial<Record<'onnx' | 'tfjs', Engine>> = {};
  let pixels: Uint8Array;
  const count = 4;
  beforeAll(async () => {
    const [onnx, tfjs] = await Promise.all([
      engineOn({ modelDir: defaultModelDir(), runtime: 'onnx', workers: 1 }),
      engineOn({ modelDir: defaultModelDir(), runtime: 'tfjs', workers: 1 }),
    ]);
    Object.assign(engines, { onnx, tfjs });
    const photos = samplePhotos().filter((_, i) => i % 9 === 0);
    pixels = await decodeBatch(photos.slice(0, count).map((photo) => photo.file), 224);
  });
  afterAll(async () => {
    await engines.onnx?.dispose();
    await engines.tfjs?.dispose();
  });

  /** Both runtimes on the same request: identical top-k and class indices, maps within `tolerance`. */
  async function compare(request: Omit<Parameters<Engine['explain']>[0], 'pixels'> & { pixels: Uint8Array }, tolerance: number) {
    const onnx = await engines.onnx!.explain({ ...request, pixels: request.pixels.slice() });
    const tfjs = await engines.tfjs!.explain({ ...request, pixels: request.pixels.slice() });
    let worst = 0;
    tfjs.forEach((expected: ExplainResult, image) => {
      const ours = onnx[image];
      expect(ours.top.map((t) => t.index)).toEqual(expected.top.map((t) => t.index));
      ours.top.forEach((t, rank) => expect(t.prob).toBeCloseTo(expected.top[rank].prob, 4));
      expect(ours.heatmaps.map((h) => [h.classIndex, h.h, h.w])).toEqual(expected.heatmaps.map((h) => [h.classIndex, h.h, h.w]));
      ours.heatmaps.forEach((heatmap, rank) => {
        expect(expected.heatmaps[rank].scale).toBeGreaterThan(0);
        worst = Math.max(worst, relativeError(heatmap.values, expected.heatmaps[rank].values));
      });
    });
    expect(worst).toBeLessThan(tolerance);
    return worst;
  }

  it('say which runtime each runs on', () => {
    expect(engines.onnx!.backend.runtime).toMatchObject({ name: 'onnxruntime', provider: 'cpu' });
    expect(engines.tfjs!.backend.runtime).toEqual({ name: 'tfjs-layers' });
    expect(engines.onnx!.model).toEqual(engines.tfjs!.model);
  });

  it('give the same top-5 and the same Grad-CAM maps for the top-3 classes', async () => {
    const worst = await compare({ pixels, count, topK: 5, camTopK: 3, method: 'GradCAM' }, MAP_TOLERANCE);
    console.log(`Grad-CAM top-3, ONNX Runtime vs TF.js: max map error / max |map| ${worst.toExponential(2)}`);
  });

  it('give the same Score-CAM map (conv_pw_1_relu, 64 channels, one photo)', async () => {
    const one = pixels.slice(0, 224 * 224 * 3);
    const worst = await compare({ pixels: one, count: 1, topK: 5, camTopK: 1, method: 'ScoreCAM', layer: 'conv_pw_1_relu' }, MAP_TOLERANCE);
    console.log(`Score-CAM, ONNX Runtime vs TF.js: max map error / max |map| ${worst.toExponential(2)}`);
  });
});

describe('a TF.js layers model with a layer the ONNX converter refuses', () => {
  let dir: string;
  beforeAll(async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'upsample' }).apply(input) as tfl.SymbolicTensor;
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(up) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(conv) as tfl.SymbolicTensor;
    const scores = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: scores });
    dir = path.join(workDir, 'upsampling');
    await saveModelFolder(model, dir);
    model.dispose();
  });

  it('runs on TF.js under auto and says why', async () => {
    const engine = await engineOn({ modelDir: dir, workers: 1 });
    try {
      expect(engine.backend.runtime).toEqual({
        name: 'tfjs-layers',
        fallbackReason: 'the model does not convert to ONNX: layer upsample is a UpSampling2D, which the ONNX converter does not handle',
      });
      const [result] = await engine.explain({ pixels: new Uint8Array(8 * 8 * 3).fill(200), count: 1, topK: 3, camTopK: 1 });
      expect(result.heatmaps[0]).toMatchObject({ h: 14, w: 14 });
    } finally {
      await engine.dispose();
    }
  });

  it('fails to start with runtime onnx, naming the layer', async () => {
    await expect(engineOn({ modelDir: dir, workers: 1, runtime: 'onnx' })).rejects.toThrow(
      /cannot run on ONNX Runtime: the model does not convert to ONNX: layer upsample is a UpSampling2D/,
    );
  });
});

describe('a cached conversion that ONNX Runtime cannot run', () => {
  it('falls back to TF.js under auto, saying what ONNX Runtime reported', async () => {
    const dir = path.join(workDir, 'damaged-cache');
    const built = residualNet();
    await saveModelFolder(built, dir);
    built.dispose();
    const model = await loadModel(dir);
    const cacheDir = path.join(workDir, 'damaged-cache-onnx');
    mkdirSync(cacheDir);
    // A valid ONNX model, but another network: the layers' tensors are not in it.
    const onnx = residualNetOnnx(model.inputSize);
    writeFileSync(cachedModelFile(cacheDir, model), onnx);
    model.dispose();
    const engine = await createEngine({ modelDir: dir, workers: 1, onnxCacheDir: cacheDir });
    try {
      expect(engine.backend.runtime?.name).toBe('tfjs-layers');
      expect(engine.backend.runtime?.fallbackReason).toMatch(/^ONNX Runtime could not run the converted model: .*does not exist/);
      const [result] = await engine.explain({ pixels: new Uint8Array(32 * 32 * 3).fill(100), count: 1 });
      expect(result.heatmaps).toHaveLength(1);
    } finally {
      await engine.dispose();
    }
  });
});

/** A small ONNX classifier with the converter's input and output names and none of its inner tensors. */
function residualNetOnnx(size: number): Uint8Array {
  const b = new GraphBuilder();
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.reserve('input')], {}, 'pool')], { axis: 1 }, 'flat');
  b.op('Gemm', [pooled, b.floats('fc', new Float32Array(10 * 3).fill(0.1), [10, 3])], { transB: 1 }, 'fc', b.reserve('logits'));
  const model = onnxProto.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'other', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('input', ['N', 3, size, size])], output: [floatValueInfo('logits', ['N', 10])] },
  });
  return onnxProto.ModelProto.encode(model).finish();
}

describe('a folder with model.onnx', () => {
  let layersDir: string;
  let onnxDir: string;
  let onnxBytes: Uint8Array;
  let lastConv: string;
  beforeAll(async () => {
    layersDir = path.join(workDir, 'residual-layers');
    const built = residualNet();
    await saveModelFolder(built, layersDir);
    built.dispose();
    // The same network as the ONNX file, with the preprocessing an ONNX folder gets by default.
    writeFileSync(path.join(layersDir, 'sightline.json'), JSON.stringify({ preprocessing: 'torch' }));
    const model = await loadModel(layersDir);
    onnxBytes = convertLayerGraph(model.graph, model.inputSize);
    lastConv = onnxTensorName(model.graph, model.spatialLayers.find((layer) => layer.name === 'last_conv')!.tensor);
    model.dispose();
    onnxDir = path.join(workDir, 'residual-onnx');
    mkdirSync(onnxDir);
    writeFileSync(path.join(onnxDir, 'model.onnx'), onnxBytes);
    writeFileSync(path.join(onnxDir, 'sightline.json'), JSON.stringify({ name: 'Residual (ONNX)', resize: 'centre-crop' }));
    writeFileSync(path.join(onnxDir, 'labels.txt'), Array.from({ length: 10 }, (_, i) => `digit ${i}`).join('\n'));
  });

  it('loads through createEngine with its spatial layers and torch preprocessing, and explains like the layers model', async () => {
    const [engine, reference] = await Promise.all([
      engineOn({ modelDir: onnxDir, workers: 1 }),
      engineOn({ modelDir: layersDir, workers: 1, runtime: 'tfjs', layer: 'last_conv' }),
    ]);
    try {
      expect(engine.backend.runtime).toMatchObject({ name: 'onnxruntime', provider: 'cpu' });
      expect(engine.model).toMatchObject({
        name: 'Residual (ONNX)',
        hash: createHash('sha256').update(onnxBytes).digest('hex'),
        inputSize: 32,
        preprocessing: 'torch',
        resizeMode: 'centre-crop',
        labels: Array.from({ length: 10 }, (_, i) => `digit ${i}`),
      });
      expect(engine.model.candidateLayers.map((layer) => layer.name)).toContain(lastConv);
      // The default is last_conv itself, not the channels-last copy that the converter transposes it to before Flatten.
      expect(engine.model.candidateLayers.at(-1)).toMatchObject({ layout: 'nhwc' });
      expect(engine.model.layer).toBe(lastConv);
      // Mid-grey pixels: torch preprocessing maps them near 0, where last_conv's tanh does not saturate (saturated
      // values tie in the head's global max pool, and which one wins is float noise).
      const pixels = new Uint8Array(2 * 32 * 32 * 3).map((_, i) => 96 + ((i * 53 + (i >> 7)) % 64));
      const ours = await engine.explain({ pixels: pixels.slice(), count: 2, topK: 3, camTopK: 2, layer: lastConv });
      const expected = await reference.explain({ pixels: pixels.slice(), count: 2, topK: 3, camTopK: 2 });
      ours.forEach((result, image) => {
        expect(result.top.map((t) => t.index)).toEqual(expected[image].top.map((t) => t.index));
        expect(result.heatmaps).toHaveLength(2);
        result.heatmaps.forEach((heatmap, rank) => {
          expect(heatmap.classIndex).toBe(expected[image].heatmaps[rank].classIndex);
          expect(relativeError(heatmap.values, expected[image].heatmaps[rank].values)).toBeLessThan(MAP_TOLERANCE);
        });
      });
    } finally {
      await engine.dispose();
      await reference.dispose();
    }
  });

  it('refuses runtime tfjs, and garbage in model.onnx, with the reason', async () => {
    await expect(engineOn({ modelDir: onnxDir, workers: 1, runtime: 'tfjs' })).rejects.toThrow(/model.onnx is an ONNX model: it runs on ONNX Runtime/);
    const garbageDir = path.join(workDir, 'garbage');
    mkdirSync(garbageDir);
    writeFileSync(path.join(garbageDir, 'model.onnx'), Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256));
    await expect(engineOn({ modelDir: garbageDir, workers: 1 })).rejects.toThrow(/model.onnx in .*garbage is not a usable ONNX model: /);
  });
});

describe('engine memory on ONNX Runtime', () => {
  it('holds as many tensors after 300 images as after 10, with every method', async () => {
    const dir = path.join(workDir, 'residual-memory');
    const built = residualNet();
    await saveModelFolder(built, dir);
    built.dispose();
    const engine = await LocalEngine.create({ modelDir: dir, backend: 'wasm', runtime: 'onnx', onnxCacheDir: path.join(workDir, 'onnx-cache') });
    expect(engine.backend.runtime?.name).toBe('onnxruntime');
    await expectNoTensorLeak(engine, { images: 300, secondLayer: 'res_bn' });
    await engine.dispose();
  });
});
