// Loading model folders: what a good folder yields, and the message for each way a folder can be wrong.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends';
import { cutAt, forward } from './runtimes/tfjs-layers/cut';
import { LocalEngine } from './local-engine';
import { loadModel } from './model';
import { readAnyModelFolder, readModelFolder } from './model-folder';
import { GraphBuilder, OPSET, floatValueInfo, onnx } from './runtimes/onnx/graph-builder';
import { SHARD_NAME, saveModelFolder, seededValues } from './test-support/model-files';

let root: string;
let folderCount = 0;

async function folderWith(model: tfl.LayersModel): Promise<string> {
  const dir = path.join(root, `model-${folderCount++}`);
  await saveModelFolder(model, dir);
  model.dispose();
  return dir;
}

function tinyClassifier(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'features' }));
  model.add(tfl.layers.globalAveragePooling2d({}));
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'scores' }));
  return model;
}

beforeAll(async () => {
  await selectBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-models-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a good model folder', () => {
  it('yields name, content hash, input size, preprocessing and labels from the folder', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ name: 'Tiny', preprocessing: 'caffe' }));
    writeFileSync(path.join(dir, 'labels.txt'), 'cat\ndog\nbird\n');
    const model = await loadModel(dir);
    const expectedHash = createHash('sha256')
      .update(readFileSync(path.join(dir, 'model.json')))
      .update(readFileSync(path.join(dir, SHARD_NAME)))
      .digest('hex');
    expect(model).toMatchObject({ name: 'Tiny', hash: expectedHash, inputSize: 16, preprocessing: 'caffe', labels: ['cat', 'dog', 'bird'] });
    expect(model.spatialLayers.map((layer) => [layer.name, layer.shape])).toEqual([['features', [14, 14, 4]]]);
    model.dispose();
  });

  it('defaults to the folder name, [-1, 1] preprocessing and generic class names', async () => {
    const dir = await folderWith(tinyClassifier());
    const model = await loadModel(dir);
    expect(model).toMatchObject({ name: path.basename(dir), preprocessing: 'mobilenet', resizeMode: 'stretch', labels: ['class 0', 'class 1', 'class 2'] });
    model.dispose();
  });

  it('takes the resize mode and a labels file named in sightline.json, as a JSON list or one name per line', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'labels.txt'), 'not\nthese\nones\n');
    writeFileSync(path.join(dir, 'classes.csv'), 'cat\r\ndog\r\n\r\nbird\r\n');
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ resize: 'letterbox', labels: 'classes.csv' }));
    const model = await loadModel(dir);
    expect(model).toMatchObject({ resizeMode: 'letterbox', labels: ['cat', 'dog', 'bird'] });
    model.dispose();
    writeFileSync(path.join(dir, 'names.json'), JSON.stringify([{ name: 'tabby' }, 'tiger', 'lynx']));
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ resize: 'centre-crop', labels: 'names.json' }));
    const again = await loadModel(dir);
    expect(again).toMatchObject({ resizeMode: 'centre-crop', labels: ['tabby', 'tiger', 'lynx'] });
    again.dispose();
  });

  it('flattens a nested base network, so its inner layers can be targeted, and ends in logits', async () => {
    const baseInput = tfl.input({ shape: [16, 16, 3] });
    const inner = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'inner_conv' }).apply(baseInput);
    const base = tfl.model({ inputs: baseInput, outputs: inner as tfl.SymbolicTensor, name: 'base' });
    const classifier = tfl.sequential({
      layers: [base, tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 3, activation: 'softmax' })],
    });
    const x = tf.tensor4d(seededValues(2 * 16 * 16 * 3, 5), [2, 16, 16, 3]);
    const probabilities = (classifier.predict(x) as tf.Tensor).arraySync() as number[][];
    const dir = await folderWith(classifier);
    const model = await loadModel(dir);
    expect(cutAt(model, undefined).layer.name).toBe('inner_conv');
    const { logits } = forward(model.graph, x, []);
    const fromLogits = tf.softmax(logits).arraySync() as number[][];
    fromLogits.flat().forEach((p, i) => expect(p).toBeCloseTo(probabilities.flat()[i], 6));
    expect(Math.max(...(logits.arraySync() as number[][]).flat().map(Math.abs))).toBeGreaterThan(0);
    expect((tf.sum(logits, 1).arraySync() as number[]).some((sum) => Math.abs(sum - 1) > 1e-3)).toBe(true);
    model.dispose();
  });
});

describe('a bad model folder is refused with a message that names the problem', () => {
  it('when the folder does not exist', async () => {
    await expect(loadModel(path.join(root, 'nowhere'))).rejects.toThrow(/Model folder .*nowhere does not exist/);
  });

  it('when model.json is missing', async () => {
    const dir = await folderWith(tinyClassifier());
    unlinkSync(path.join(dir, 'model.json'));
    await expect(loadModel(dir)).rejects.toThrow(/No model.json in/);
  });

  it('when model.json is not JSON', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'model.json'), '{ not json');
    await expect(loadModel(dir)).rejects.toThrow(/model.json in .* is not valid JSON/);
  });

  it('when it is a graph model (the layers loader refuses it; the folder reader tells it apart for the graph runtime)', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }));
    expect(readModelFolder(dir).format).toBe('graph');
    await expect(loadModel(dir)).rejects.toThrow(/is a TF.js graph model; loadModel reads TF.js layers models/);
    // Older converters leave out "format"; the GraphDef's node list gives it away.
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: { node: [{ name: 'input', op: 'Placeholder' }] }, weightsManifest: [] }));
    expect(readModelFolder(dir).format).toBe('graph');
    await expect(loadModel(dir)).rejects.toThrow(/is a TF.js graph model/);
  });

  it('when a weight shard is missing', async () => {
    const dir = await folderWith(tinyClassifier());
    unlinkSync(path.join(dir, SHARD_NAME));
    await expect(loadModel(dir)).rejects.toThrow(`Weight shard ${SHARD_NAME} named in model.json's weightsManifest is missing`);
  });

  it('when a shard has the wrong size for its manifest entries', async () => {
    const dir = await folderWith(tinyClassifier());
    truncateSync(path.join(dir, SHARD_NAME), 100);
    // conv 3·3·3·4 + 4, dense 4·3 + 3 float32 values = 127 · 4 bytes
    await expect(loadModel(dir)).rejects.toThrow(
      `Weight shard ${SHARD_NAME} is 100 bytes, but weightsManifest group 1 expects 508 bytes for features/kernel, features/bias, scores/kernel and 1 more`,
    );
  });

  it('when the input is not a 4-D image batch', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 10, activation: 'softmax' })] });
    const dir = await folderWith(model);
    await expect(loadModel(dir)).rejects.toThrow(/takes input of shape \[any, 784\]; Sightline needs a 4-D RGB image batch/);
  });

  it('when the output is not a vector of class scores', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 10, kernelSize: 3 })] });
    const dir = await folderWith(model);
    await expect(loadModel(dir)).rejects.toThrow(/outputs \[any, 14, 14, 10\]; Sightline needs a vector of class scores/);
  });

  it('when the labels file names a different number of classes', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['cat', 'dog']));
    await expect(loadModel(dir)).rejects.toThrow(/names 2 classes, but the model has 3 outputs/);
  });

  it('when sightline.json asks for an unknown preprocessing', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ preprocessing: 'imagenet' }));
    await expect(loadModel(dir)).rejects.toThrow(/"preprocessing" must be one of mobilenet, caffe, torch, raw, not "imagenet"/);
  });

  it('when sightline.json asks for an unknown resize mode or names a labels file that is not there', async () => {
    const dir = await folderWith(tinyClassifier());
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ resize: 'zoom' }));
    await expect(loadModel(dir)).rejects.toThrow(/"resize" must be one of stretch, centre-crop, letterbox, not "zoom"/);
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ labels: 'classes.txt' }));
    await expect(loadModel(dir)).rejects.toThrow(/names labels file classes.txt, which does not exist/);
  });

  it('when the CAM target layer does not exist or has no spatial output', async () => {
    const model = await loadModel(await folderWith(tinyClassifier()));
    expect(() => cutAt(model, 'nope')).toThrow(/no layer named nope; layers with a spatial output: features/);
    const pooling = model.graph.ops.find((op) => op.name.startsWith('global_average'))!.name;
    expect(() => cutAt(model, pooling)).toThrow(/has no spatial 4-D output/);
    model.dispose();
  });
});

/** input [N, 3, h, w] → Conv 3×3 (4 channels, stride `stride`) → Relu → GlobalAveragePool → Flatten → Gemm (3 classes). */
function onnxClassifier({ height = 16, width = 16, stride = 1 } = {}): Uint8Array {
  const b = new GraphBuilder();
  const input = b.reserve('input');
  const conv = b.op('Conv', [input, b.floats('conv.weight', seededValues(4 * 3 * 9, 1), [4, 3, 3, 3])], { kernel_shape: [3, 3], strides: [stride, stride] }, '/conv/Conv');
  const relu = b.op('Relu', [conv], {}, '/relu/Relu');
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [relu], {}, '/pool')], { axis: 1 }, '/flatten');
  b.op('Gemm', [pooled, b.floats('fc.weight', seededValues(3 * 4, 2), [3, 4])], { transB: 1 }, '/fc/Gemm', b.reserve('logits'));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'g', node: b.nodes, initializer: b.initializers, input: [floatValueInfo('input', ['N', 3, height, width])], output: [floatValueInfo('logits', ['N', 3])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

function onnxFolder(bytes: Uint8Array | string, settings?: object): string {
  const dir = path.join(root, `onnx-${folderCount++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'model.onnx'), bytes);
  if (settings) writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify(settings));
  return dir;
}

function onnxEngine(dir: string): Promise<LocalEngine> {
  return LocalEngine.create({ modelDir: dir, backend: 'cpu', onnxCacheDir: path.join(root, 'onnx-cache') });
}

describe('a folder with model.onnx', () => {
  it('is read as an ONNX model, hashed by its bytes, with the folder’s settings and labels', async () => {
    const bytes = onnxClassifier();
    const dir = onnxFolder(bytes, { name: 'Tiny ONNX', preprocessing: 'mobilenet' });
    writeFileSync(path.join(dir, 'labels.txt'), 'cat\ndog\nbird\n');
    const folder = readAnyModelFolder(dir);
    expect(folder).toMatchObject({ format: 'onnx', hash: createHash('sha256').update(bytes).digest('hex'), labels: ['cat', 'dog', 'bird'] });
    const engine = await onnxEngine(dir);
    try {
      expect(engine.model).toMatchObject({ name: 'Tiny ONNX', inputSize: 16, preprocessing: 'mobilenet', labels: ['cat', 'dog', 'bird'] });
      expect(engine.model.candidateLayers.map(({ name, shape }) => ({ name, shape }))).toEqual([
        { name: '/conv/Conv', shape: [14, 14, 4] },
        { name: '/relu/Relu', shape: [14, 14, 4] },
      ]);
      expect(engine.model.layer).toBe('/relu/Relu');
    } finally {
      await engine.dispose();
    }
  });

  it('is refused with the reason when model.onnx is empty or not ONNX at all', async () => {
    await expect(onnxEngine(onnxFolder(''))).rejects.toThrow(/model.onnx in .* is not a usable ONNX model: the file is empty/);
    const garbage = Uint8Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 256);
    await expect(onnxEngine(onnxFolder(garbage))).rejects.toThrow(/model.onnx in .* is not a usable ONNX model: /);
  });

  it('is refused when the input is not a square RGB image', async () => {
    await expect(onnxEngine(onnxFolder(onnxClassifier({ height: 16, width: 20 })))).rejects.toThrow(
      /model.onnx takes input input of shape \[N, 3, 16, 20\]; Sightline needs a square RGB batch \[N, 3, size, size\]/,
    );
  });

  it('is refused when no tensor has a spatial output to explain', async () => {
    // A 3×3 convolution with stride 16 leaves a 1 × 1 map: nothing to draw a heatmap from.
    await expect(onnxEngine(onnxFolder(onnxClassifier({ stride: 16 })))).rejects.toThrow(/model.onnx has no tensor with a spatial /);
  });

  it('is refused when sightline.json sets another input size or the labels do not fit', async () => {
    await expect(onnxEngine(onnxFolder(onnxClassifier(), { inputSize: 224 }))).rejects.toThrow(
      /sightline.json sets "inputSize" 224, but .*model.onnx takes \[N, 3, 16, 16\] images/,
    );
    const dir = onnxFolder(onnxClassifier());
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['cat', 'dog']));
    await expect(onnxEngine(dir)).rejects.toThrow(/names 2 classes, but the model has 3 outputs/);
  });
});
