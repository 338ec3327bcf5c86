// The Keras 3 `.keras` reader on files written here in the layout Keras's saving code documents (no Keras 3 can
// run on this machine): the bundled MobileNet as .keras gives the TF.js folder's weights and, through the engine,
// its predictions and maps; damaged and unsupported archives are refused with what is wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../local-engine';
import { readModelFolder } from '../model-folder';
import { defaultModelDir } from '../paths';
import { decodeBatch, samplePhotos } from '../test-support/photos';
import { readKerasModel } from './keras-file';
import { toSnakeCase } from './keras-v3';
import { writeHdf5 } from './test-support/hdf5-writer';
import { kerasV3File } from './test-support/keras-v3-writer';
import { storedZip } from './test-support/zip-writer';
import { zipEntries, zipFile } from './zip';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-keras-v3-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const folder = readModelFolder(defaultModelDir());
let mobilenetKeras: Uint8Array;
beforeAll(async () => {
  mobilenetKeras = await kerasV3File(folder.artifacts);
});

/** The archive rebuilt with some files replaced, added, or (null) left out. */
function withFiles(changes: Record<string, Uint8Array | null>): Uint8Array {
  const entries = zipEntries(mobilenetKeras, 'x');
  const files = [...new Set([...entries.keys(), ...Object.keys(changes)])].flatMap((name) => {
    const bytes = name in changes ? changes[name] : zipFile(mobilenetKeras, entries.get(name)!, 1 << 30, 'x');
    return bytes ? [{ name, bytes }] : [];
  });
  return storedZip(files);
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('Keras 3 .keras files (written here in the documented layout)', () => {
  it('names variables as Keras does: the snake_case class name', () => {
    expect(['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'ZeroPadding2D', 'GlobalAveragePooling2D', 'Dense'].map(toSnakeCase)).toEqual([
      'conv2d',
      'depthwise_conv2d',
      'batch_normalization',
      're_lu',
      'zero_padding2d',
      'global_average_pooling2d',
      'dense',
    ]);
  });

  it('reads the bundled MobileNet as .keras: its config in the Keras 2 form and bit-identical weights', () => {
    const keras = readKerasModel(mobilenetKeras, 'mobilenet.keras');
    expect(keras).toMatchObject({ format: 'keras-v3', name: 'mobilenet', preprocessing: { preset: 'mobilenet' } });
    const layers = (keras.artifacts.modelTopology as { model_config: { config: { layers: { config: Record<string, unknown>; inbound_nodes: unknown }[] } } })
      .model_config.config.layers;
    expect(layers[0].config.batch_input_shape).toEqual([null, 224, 224, 3]);
    expect(layers[1].inbound_nodes).toEqual([[['input_1', 0, 0, {}]]]);
    expect(layers[1].config.dtype).toBe('float32');
    expect(Object.keys(layers[1].config).filter((key) => key.endsWith('_initializer'))).toEqual([]);
    const ours = keras.artifacts.weightSpecs!.map((spec) => spec.name).sort();
    expect(ours).toEqual(folder.artifacts.weightSpecs!.map((spec) => spec.name).sort());
    const byName = (artifacts: typeof keras.artifacts) => {
      const data = Buffer.from(artifacts.weightData as ArrayBuffer);
      let offset = 0;
      return new Map(
        artifacts.weightSpecs!.map(({ name, shape }) => {
          const bytes = 4 * shape.reduce((product, side) => product * side, 1);
          offset += bytes;
          return [name, data.subarray(offset - bytes, offset)];
        }),
      );
    };
    const theirs = byName(folder.artifacts);
    for (const [name, bytes] of byName(keras.artifacts)) expect(bytes.equals(theirs.get(name)!), name).toBe(true);
  });

  it('runs through the engine with the TF.js folder’s predictions and maps, bit for bit', async () => {
    const file = path.join(workDir, 'mobilenet.keras');
    writeFileSync(file, mobilenetKeras);
    const options = { backend: 'wasm' as const, onnxCacheDir: path.join(workDir, 'onnx-cache') };
    const [fromKeras, fromFolder] = [await LocalEngine.create({ ...options, modelDir: file }), await LocalEngine.create({ ...options, modelDir: defaultModelDir() })];
    try {
      expect(fromKeras.model).toMatchObject({ name: 'mobilenet', layer: 'conv_pw_13_relu', preprocessing: 'mobilenet' });
      const pixels = await decodeBatch(samplePhotos().slice(0, 2).map((photo) => photo.file), 224);
      for (const method of ['GradCAM', 'GradCAMPlusPlus', 'EigenCAM'] as const) {
        const request = { count: 2, topK: 5, camTopK: 1, method };
        const ours = await fromKeras.explain({ ...request, pixels: pixels.slice() });
        const theirs = await fromFolder.explain({ ...request, pixels: pixels.slice() });
        expect(ours.map((result) => result.top)).toEqual(theirs.map((result) => result.top));
        ours.forEach((result, image) => expect(Buffer.from(result.heatmaps[0].values.buffer).equals(Buffer.from(theirs[image].heatmaps[0].values.buffer))).toBe(true));
      }
    } finally {
      await fromKeras.dispose();
      await fromFolder.dispose();
    }
  });

  it('refuses what is not a Keras 3 archive, or a damaged one, saying what is wrong', async () => {
    expect(() => readKerasModel(Buffer.from('not a zip at all, just text'), 'model.keras')).toThrow('model.keras is not a zip archive');
    expect(() => readKerasModel(withFiles({ 'config.json': null }), 'model.keras')).toThrow('model.keras has no config.json: it is a zip file, but not a Keras 3 model');
    expect(() => readKerasModel(withFiles({ 'model.weights.h5': null, 'model.weights.npz': new Uint8Array(8) }), 'model.keras')).toThrow(
      'model.keras has no model.weights.h5 (its weights are in model.weights.npz: save with the default weights_format "h5")',
    );
    expect(() => readKerasModel(mobilenetKeras.subarray(0, mobilenetKeras.length - 100), 'model.keras')).toThrow('model.keras is not a zip archive');
    const damaged = Buffer.from(mobilenetKeras);
    damaged[200] ^= 0xff; // inside config.json, which is stored second
    expect(() => readKerasModel(damaged, 'model.keras')).toThrow(/^config\.json in model\.keras is damaged: its size or CRC-32 does not match/);
    expect(() => readKerasModel(withFiles({ 'model.weights.h5': Buffer.from('not hdf5') }), 'model.keras')).toThrow(
      'model.weights.h5 in model.keras is not an HDF5 file',
    );
  });

  it('refuses custom layers by name, and variables that do not fit a layer', async () => {
    const entries = zipEntries(mobilenetKeras, 'x');
    const config = JSON.parse(new TextDecoder().decode(zipFile(mobilenetKeras, entries.get('config.json')!, 1 << 26, 'x'))) as {
      config: { layers: { class_name: string }[] };
    };
    config.config.layers[3].class_name = 'MyBlock';
    expect(() => readKerasModel(withFiles({ 'config.json': json(config) }), 'custom.keras')).toThrow(
      /^custom\.keras: layer conv1_relu \(MyBlock\): TF\.js layers has no such layer class/,
    );
    const weights = await writeHdf5((file) => {
      const vars = file.create_group('layers').create_group('conv2d').create_group('vars');
      for (const name of ['0', '1']) vars.create_dataset({ name, data: new Float32Array(1), shape: [1], dtype: '<f4' });
    });
    expect(() => readKerasModel(withFiles({ 'model.weights.h5': weights }), 'model.keras')).toThrow(
      'model.weights.h5 in model.keras: layer conv1 (Conv2D) should have 1 variables (kernel) at layers/conv2d/vars, found 2',
    );
  });
});
