// The Keras 2 .h5 reader on the real fixture files, and on weights-only, truncated, damaged, non-HDF5 and
// custom-layer files made here from them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFolder } from '../model-folder';
import { defaultModelDir } from '../paths';
import { contiguousFloat32, openHdf5, readFloat32, type Hdf5Dataset } from './hdf5';
import { readKerasModel } from './keras-file';
import { kerasFixtures } from './test-support/fixtures';
import { writeHdf5, writeKeras2Weights, type NamedWeights } from './test-support/hdf5-writer';
import { keras3Config } from './test-support/keras-v3-writer';
import { nestedVggH5 } from './test-support/nested-vgg';

const mobilenetH5 = readFileSync(path.join(kerasFixtures, 'mobilenet_v1_0.75_224.h5'));
const vggH5 = readFileSync(path.join(kerasFixtures, 'vgg16_mini.h5'));

/** Weight name → values, from TF.js artifacts. */
function weightsByName(artifacts: { weightSpecs?: { name: string; shape: number[] }[]; weightData?: unknown }) {
  const data = new Float32Array(artifacts.weightData as ArrayBuffer);
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const { name, shape } of artifacts.weightSpecs!) {
    const count = shape.reduce((product, side) => product * side, 1);
    weights.set(name, { shape, values: data.subarray(offset, offset + count) });
    offset += count;
  }
  return weights;
}

/** vgg16_mini's layers and weights, as Keras 2 names them. */
function vggWeights(): NamedWeights[] {
  const byName = weightsByName(readKerasModel(vggH5, 'vgg16_mini.h5').artifacts);
  const layers = new Map<string, NamedWeights>();
  for (const [name, weight] of byName) {
    const layer = name.split('/')[0];
    if (!layers.has(layer)) layers.set(layer, { layer, weights: [] });
    layers.get(layer)!.weights.push({ name, ...weight });
  }
  return [...layers.values()];
}

describe('Keras 2 .h5 model files', () => {
  it('reads the bundled MobileNet written as .h5: the same Keras config and bit-identical weights as the TF.js folder', () => {
    const keras = readKerasModel(mobilenetH5, 'mobilenet_v1_0.75_224.h5');
    const folder = readModelFolder(defaultModelDir());
    expect(keras).toMatchObject({ format: 'keras-h5', name: 'mobilenet_v1_0.75_224', preprocessing: { preset: 'mobilenet' } });
    const topology = (folder.artifacts.modelTopology as { model_config: unknown }).model_config;
    expect((keras.artifacts.modelTopology as { model_config: unknown }).model_config).toEqual(topology);
    const ours = weightsByName(keras.artifacts);
    const theirs = weightsByName(folder.artifacts);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, { shape, values }] of theirs) {
      const mine = ours.get(name)!;
      expect(mine.shape, name).toEqual(shape);
      expect(bytesOf(mine.values).equals(bytesOf(values)), name).toBe(true);
    }
  });

  it('reads vgg16_mini.h5 in layer order and proposes caffe preprocessing', () => {
    const keras = readKerasModel(vggH5, 'vgg16_mini.h5');
    expect(keras.preprocessing?.preset).toBe('caffe');
    expect(keras.artifacts.weightSpecs!.map((spec) => spec.name).slice(0, 3)).toEqual(['block1_conv1/kernel', 'block1_conv1/bias', 'block1_conv2/kernel']);
    expect(keras.artifacts.weightSpecs!.find((spec) => spec.name === 'fc1/kernel')!.shape).toEqual([7 * 7 * 32, 64]);
    expect(keras.artifacts.weightSpecs).toHaveLength(16 * 2);
  });

  it('proposes caffe for VGG layer names under any model name', async () => {
    const config = JSON.parse(configOf(vggH5)) as { config: { name: string } };
    config.config.name = 'my_finetuned_net';
    const bytes = await writeHdf5((file) => {
      file.create_attribute('model_config', JSON.stringify(config));
      writeKeras2Weights(file.create_group('model_weights'), vggWeights());
    });
    expect(readKerasModel(bytes, 'finetuned.h5').preprocessing).toEqual({ preset: 'caffe', reason: 'VGG layer names (block1_conv1 …)' });
  });

  it('reads a file the HDF5 library wrote (superblock v2, a config past the 64 KB header limit) with the same weights', async () => {
    // ResNet50's config is about 100 KB: HDF5 keeps such an attribute in dense storage (a fractal heap).
    const config = JSON.parse(configOf(vggH5)) as { config: Record<string, unknown> };
    config.config.padding_for_size = 'x'.repeat(100_000);
    const bytes = await writeHdf5((file) => {
      file.create_attribute('model_config', JSON.stringify(config));
      file.create_attribute('keras_version', '2.11.0');
      writeKeras2Weights(file.create_group('model_weights'), vggWeights());
    });
    const rewritten = weightsByName(readKerasModel(bytes, 'rewritten.h5').artifacts);
    for (const [name, { values }] of weightsByName(readKerasModel(vggH5, 'vgg16_mini.h5').artifacts)) {
      expect(rewritten.get(name)!.values, name).toEqual(values);
    }
  });

  it('copies contiguous float32 weights out in one piece, and reads chunked, compressed ones element by element', async () => {
    const file = openHdf5(vggH5, 'vgg16_mini.h5');
    const kernel = file.get('model_weights/fc1/fc1/kernel:0') as Hdf5Dataset;
    const fast = contiguousFloat32(kernel, 1568 * 64);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(Float32Array.from(kernel.value));
    const values = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i));
    const chunked = openHdf5(
      await writeHdf5((h5) => h5.create_dataset({ name: 'w', data: values, shape: [64, 64], dtype: '<f4', chunks: [16, 16], compression: 'gzip' })),
      'chunked.h5',
    ).get('w') as Hdf5Dataset;
    expect(contiguousFloat32(chunked, 4096)).toBeNull();
    expect(readFloat32(chunked, 'chunked.h5', 1 << 20)).toEqual({ shape: [64, 64], values });
  });

  it('reads an .h5 file that Keras 3 wrote: its config in Keras 3 form, its weights in Keras 2 layout', async () => {
    const folder = readModelFolder(defaultModelDir());
    const config3 = keras3Config(folder.artifacts);
    const mobilenet = readKerasModel(mobilenetH5, 'mobilenet.h5');
    const layers = [...weightsByName(mobilenet.artifacts)].reduce((byLayer, [name, weight]) => {
      const layer = name.split('/')[0];
      byLayer.set(layer, [...(byLayer.get(layer) ?? []), { name, ...weight }]);
      return byLayer;
    }, new Map<string, NamedWeights['weights']>());
    const bytes = await writeHdf5((file) => {
      file.create_attribute('model_config', JSON.stringify(config3));
      file.create_attribute('keras_version', '3.6.0');
      writeKeras2Weights(file.create_group('model_weights'), [...layers].map(([layer, weights]) => ({ layer, weights })));
    });
    const keras = readKerasModel(bytes, 'mobilenet_keras3.h5');
    const config = (keras.artifacts.modelTopology as { model_config: { config: { layers: { config: Record<string, unknown>; inbound_nodes: unknown }[] } } })
      .model_config.config;
    expect(config.layers[0].config.batch_input_shape).toEqual([null, 224, 224, 3]);
    expect(config.layers[1].inbound_nodes).toEqual([[['input_1', 0, 0, {}]]]);
    const ours = weightsByName(keras.artifacts);
    for (const [name, { values }] of weightsByName(mobilenet.artifacts)) expect(bytesOf(ours.get(name)!.values).equals(bytesOf(values)), name).toBe(true);
  });

  it('refuses a weights-only file (save_weights): no model config, and how to save the whole model', async () => {
    const bytes = await writeHdf5((file) => writeKeras2Weights(file, vggWeights()));
    const weightsOnly = /^vgg16\.weights\.h5 holds only weights \(written by save_weights\), without the model config .*model\.save\('model\.h5'\).*model\.save\('model\.keras'\)/;
    expect(() => readKerasModel(bytes, 'vgg16.weights.h5')).toThrow(weightsOnly);
    // Keras 3's save_weights: H5IOStore's layers/<name>/vars groups, no attributes.
    const keras3 = await writeHdf5((file) => {
      file.create_group('vars');
      file.create_group('layers').create_group('conv2d').create_group('vars').create_dataset({ name: '0', data: new Float32Array(4), shape: [4], dtype: '<f4' });
    });
    expect(() => readKerasModel(keras3, 'vgg16.weights.h5')).toThrow(weightsOnly);
  });

  it('refuses an HDF5 file that is not a Keras model', async () => {
    const bytes = await writeHdf5((file) => file.create_dataset({ name: 'images', data: new Float32Array(6), shape: [2, 3] }));
    expect(() => readKerasModel(bytes, 'data.h5')).toThrow('data.h5 is an HDF5 file but not a Keras model: it has no model_config attribute');
  });

  it('refuses a truncated file, saying so', () => {
    for (const length of [100, 4096, vggH5.length / 2, vggH5.length - 1]) {
      expect(() => readKerasModel(vggH5.subarray(0, length), 'vgg16_mini.h5')).toThrow(
        `vgg16_mini.h5 is truncated: its HDF5 header says the file is ${vggH5.length} bytes long, but it has ${length} bytes`,
      );
    }
  });

  it('refuses a file that is not HDF5, whatever its name says', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('JFIF not a model')]);
    expect(() => readKerasModel(jpeg, 'model.h5')).toThrow('model.h5 is not an HDF5 file: it does not start with the HDF5 signature');
    expect(() => readKerasModel(new Uint8Array(0), 'model.h5')).toThrow('model.h5 is empty');
    const onnxFile = readFileSync(path.join(kerasFixtures, '..', 'zoo', 'resnet', 'model.onnx'));
    expect(() => readKerasModel(onnxFile, 'model.h5')).toThrow(
      'model.h5 is not an HDF5 file: it does not start with the HDF5 signature (it looks like an ONNX model: give it the .onnx extension)',
    );
    const kerasFile = readFileSync(path.join(kerasFixtures, 'keras3', 'constructs.keras'));
    expect(() => readKerasModel(kerasFile, 'model.h5')).toThrow('(it is a zip archive: a Keras 3 model saved as .keras? Give it the .keras extension)');
  });

  it('turns damage in the file structure into an error that names the file, never a crash', () => {
    // The first 8 KB hold the superblock, the root group, its attributes (model_config) and the B-tree.
    const errors: string[] = [];
    for (let at = 8; at < 8192; at += 61) {
      const damaged = Buffer.from(vggH5);
      damaged.fill(0xa5, at, at + 16);
      try {
        readKerasModel(damaged, 'vgg16_mini.h5');
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        errors.push((error as Error).message);
      }
    }
    expect(errors.length).toBeGreaterThan(20);
    for (const message of errors) expect(message).toMatch(/vgg16_mini\.h5/);
  });

  it('names custom layers and options TF.js would ignore in the refusal', async () => {
    const config = JSON.parse(configOf(vggH5)) as { config: { layers: { class_name: string; config: { name: string } }[] } };
    config.config.layers[5].class_name = 'MyAttention';
    config.config.layers[20].class_name = 'L2Normalize';
    const custom = await writeHdf5((file) => {
      file.create_attribute('model_config', JSON.stringify(config));
      writeKeras2Weights(file.create_group('model_weights'), vggWeights());
    });
    expect(() => readKerasModel(custom, 'custom.h5')).toThrow(
      'custom.h5: layer block2_conv2 (MyAttention), layer fc1 (L2Normalize): TF.js layers has no such layer class',
    );
    config.config.layers[5].class_name = 'Conv2D';
    config.config.layers[20].class_name = 'Dense';
    (config.config.layers[2].config as Record<string, unknown>).groups = 2;
    // A grouped convolution converts when each group reads one channel (a depthwise one); this one's groups read 4.
    const grouped = await writeHdf5((file) => {
      file.create_attribute('model_config', JSON.stringify(config));
      writeKeras2Weights(file.create_group('model_weights'), vggWeights());
    });
    expect(() => readKerasModel(grouped, 'grouped.h5')).toThrow(
      'grouped.h5: layer block1_conv2 (Conv2D) is a grouped convolution (groups=2) with 4 input channels per group; Sightline converts the depthwise case only',
    );
  });

  it.each(['Functional', 'Sequential'] as const)('unpacks a model nested in a %s (transfer learning) into one graph of its layers', async (outer) => {
    const flat = readKerasModel(vggH5, 'vgg16_mini.h5');
    const nested = readKerasModel(await nestedVggH5(vggH5, outer), 'finetuned.h5');
    expect(nested.preprocessing?.preset).toBe('caffe');
    const layersOf = (model: typeof flat) =>
      (model.artifacts.modelTopology as { model_config: { config: { layers: { class_name: string; config: { name: string } }[] } } }).model_config.config.layers;
    const flatNames = layersOf(flat).map((layer) => layer.config.name);
    expect(layersOf(nested).map((layer) => layer.config.name)).toEqual(['image', ...flatNames.slice(1)]);
    expect(layersOf(nested).filter((layer) => ['Functional', 'Model', 'Sequential'].includes(layer.class_name))).toEqual([]);
    const ours = weightsByName(nested.artifacts);
    const theirs = weightsByName(flat.artifacts);
    expect([...ours.keys()]).toEqual([...theirs.keys()]);
    for (const [name, { values }] of theirs) expect(bytesOf(ours.get(name)!.values).equals(bytesOf(values)), name).toBe(true);
  });
});

const bytesOf = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

function configOf(bytes: Uint8Array): string {
  return JSON.stringify((readKerasModel(bytes, 'x.h5').artifacts.modelTopology as { model_config: unknown }).model_config);
}
