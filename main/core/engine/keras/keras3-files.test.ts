// Files Keras 3 itself wrote (Keras 3.15.1 on TensorFlow 2.21; __fixtures__/keras/keras3/make_keras3_fixtures.py),
// through the real engine on both runtimes: the probabilities Keras computed and the Grad-CAM maps of Keras's own
// gradients (the Keras Grad-CAM tutorial's recipe), at the layer Sightline targets by default.
// - constructs.keras / .h5: every construct of keras.applications models that TF.js lacks or reads otherwise:
//   hard_silu, silu, leaky_relu, Keras 3's hard_sigmoid, gelu, `x + 3.0` and `x * (1 / 6)` operations, `ops.add` of
//   two tensors, keepdims pooling, Normalization (adapted, and given), BatchNormalization without scale, Conv2D with
//   groups (depthwise), LayerScale; and layers the ONNX converter learnt for them (Cropping2D, LayerNormalization);
// - transfer.keras: Sequential([MobileNetV3Small(alpha=0.75, include_top=False), GlobalAveragePooling2D(), Dense(3)]),
//   transfer learning as Keras 3 users save it, the base model nested as one layer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../local-engine';
import { kerasFixtures } from './test-support/fixtures';
import { readKerasModel } from './keras-file';
import { storedZip } from './test-support/zip-writer';
import { zipEntries, zipFile } from './zip';

const dir = path.join(kerasFixtures, 'keras3');
const reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as {
  keras: string;
  models: Record<string, { size: number; layer: string; probs: number[][]; top: number[]; map_shape: [number, number]; maps: number[][] }>;
};
const inputs = new Uint8Array(readFileSync(path.join(dir, 'inputs.u8')));
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-keras3-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The two photos of a model's size: inputs.u8 holds the 64 × 64 pair, then the 96 × 96 pair. */
function photosFor(size: number): Uint8Array {
  const small = 2 * 64 * 64 * 3;
  return size === 64 ? inputs.slice(0, small) : inputs.slice(small, small + 2 * size * size * 3);
}

const CASES = [
  { file: 'constructs.keras', model: 'constructs', format: 'keras-v3' },
  { file: 'constructs.h5', model: 'constructs', format: 'keras-h5' },
  { file: 'transfer.keras', model: 'transfer', format: 'keras-v3' },
] as const;

describe(`files written by Keras ${reference.keras}`, () => {
  it.each(CASES)('$file: read with the preprocessing its first layer asks for (it scales its pixels itself)', ({ file, format }) => {
    const model = readKerasModel(new Uint8Array(readFileSync(path.join(dir, file))), file);
    expect(model.format).toBe(format);
    expect(model.preprocessing?.preset).toBe('raw');
  });

  describe.each(CASES)('$file through the engine', ({ file, model }) => {
    const expected = reference.models[model];
    it.each(['onnx', 'tfjs'] as const)('on %s: Keras’s probabilities and Grad-CAM maps at its default layer', async (runtime) => {
      const engine = await LocalEngine.create({ modelDir: path.join(dir, file), backend: 'wasm', runtime, onnxCacheDir: path.join(workDir, 'onnx') });
      try {
        expect(engine.backend.runtime?.name).toBe(runtime === 'onnx' ? 'onnxruntime' : 'tfjs-layers');
        expect(engine.model).toMatchObject({ layer: expected.layer, inputSize: expected.size, preprocessing: 'raw' });
        const results = await engine.explain({ pixels: photosFor(expected.size), count: 2, topK: 5, camTopK: 1, method: 'GradCAM' });
        results.forEach((result, image) => {
          expect(result.top[0].index, `image ${image}`).toBe(expected.top[image]);
          for (const { index, prob } of result.top) expect(Math.abs(prob - expected.probs[image][index]), `image ${image} class ${index}`).toBeLessThan(1e-5);
          const [map] = result.heatmaps;
          expect([map.h, map.w]).toEqual(expected.map_shape);
          const maximum = Math.max(...expected.maps[image]);
          expect(maximum).toBeGreaterThan(0);
          const error = Math.max(...expected.maps[image].map((value, i) => Math.abs(value - map.values[i])));
          expect(error / maximum, `image ${image}: max error / max map`).toBeLessThan(1e-4);
        });
      } finally {
        await engine.dispose();
      }
    });
  });
});

describe('what Keras 3 writes that Sightline refuses, by name', () => {
  const constructs = new Uint8Array(readFileSync(path.join(dir, 'constructs.keras')));
  /** constructs.keras with its config changed. */
  function withConfig(change: (layers: Record<string, unknown>[]) => void): Uint8Array {
    const entries = zipEntries(constructs, 'x');
    const files = [...entries.keys()].map((name) => ({ name, bytes: zipFile(constructs, entries.get(name)!, 1 << 30, 'x') }));
    const config = files.find((file) => file.name === 'config.json')!;
    const parsed = JSON.parse(new TextDecoder().decode(config.bytes)) as { config: { layers: Record<string, unknown>[] } };
    change(parsed.config.layers);
    config.bytes = new TextEncoder().encode(JSON.stringify(parsed));
    return storedZip(files);
  }
  const layerNamed = (layers: Record<string, unknown>[], name: string) => layers.find((layer) => layer.name === name)!;

  it('an operation other than arithmetic with a number or of two tensors, rather than the layer of its class name', () => {
    const changed = withConfig((layers) => {
      const add = layers.find((layer) => layer.module === 'keras.src.ops.numpy' && layer.class_name === 'Add')!;
      add.class_name = 'Maximum';
    });
    expect(() => readKerasModel(changed, 'ops.keras')).toThrow(
      /^ops\.keras: layer \S+ is the Keras operation Maximum \(keras\.src\.ops\.numpy\): Sightline converts a tensor combined with a number/,
    );
  });

  it('a Normalization that inverts, or normalises another axis', () => {
    const inverted = withConfig((layers) => ((layerNamed(layers, 'given_normalization').config as Record<string, unknown>).invert = true));
    expect(() => readKerasModel(inverted, 'inverted.keras')).toThrow('inverted.keras: layer given_normalization (Normalization) inverts the normalisation');
    const axis = withConfig((layers) => ((layerNamed(layers, 'given_normalization').config as Record<string, unknown>).axis = [1]));
    expect(() => readKerasModel(axis, 'axis.keras')).toThrow('axis.keras: layer given_normalization (Normalization) normalises over axis [1]');
  });
});
