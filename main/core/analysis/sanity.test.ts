// Model randomisation on real models in every format the engine reads: the bundled MobileNet (TF.js layers),
// the same MobileNet as a TF.js graph model, and the zoo's PyTorch-exported ResNet (ONNX). Grad-CAM must react
// to the weights it explains, the copy must differ from the original exactly in the randomised weights, and the
// original files must stay as they were.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backends';
import { createEngine } from '../engine/index';
import { readAnyModelFolder, readModelFolder, type ModelFolder } from '../engine/model-folder';
import { onnx } from '../engine/runtimes/onnx/graph-builder';
import { writeMobileNetGraph } from '../engine/runtimes/tfjs-graph/test-support/fixtures';
import { appPaths } from '../paths';
import { createCoreService } from '../service';
import { SANITY_WARN_SIMILARITY, summarizeSanity, writeRandomizedModel } from './sanity';

const PHOTOS = ['235_german_shepherd/gcompris_dog.webp', '088_macaw/gcompris_scarlet_macaw.webp', '967_espresso/skimage_coffee.png'];
/** Randomised maps of a model that learned something correlate this little with the trained ones, at most. */
const WELL_BELOW_WARNING = 0.7 * SANITY_WARN_SIMILARITY;
const zooResnet = fileURLToPath(new URL('../engine/__fixtures__/zoo/resnet', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sightline-sanity-'));
// The graph model is written from a TF.js layers model in this thread.
beforeAll(() => selectBackend('cpu'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** sha256 of every file in a folder, by name. */
function fingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')]));
}

/** Top-1 Grad-CAM maps of `pixels` (count images at the model's size) on one worker. */
async function mapsOf(modelDir: string, pixels: (size: number) => Promise<Uint8Array>, count: number) {
  const engine = await createEngine({ modelDir, workers: 1, onnxCacheDir: join(tmp, 'onnx-cache') });
  try {
    const results = await engine.explain({ pixels: await pixels(engine.model.inputSize), count, topK: 1, camTopK: 1 });
    return results.map((r) => r.heatmaps[0]);
  } finally {
    await engine.dispose();
  }
}

const samplePixels = async (size: number) => {
  const frames = await Promise.all(
    PHOTOS.map((p) => sharp(join(appPaths().samplesDir, p)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  return new Uint8Array(Buffer.concat(frames));
};
/** The zoo's four photos, 224 × 224 RGB as its reference maps saw them. */
const zooPixels = async () => new Uint8Array(readFileSync(join(zooResnet, 'inputs.u8')));

/** Each weight's bytes by name, as the folder's artifacts hold them. */
function weightBytesOf(folder: ModelFolder): Map<string, Buffer> {
  const data = Buffer.from(folder.artifacts.weightData as ArrayBuffer);
  const bytes = new Map<string, Buffer>();
  let offset = 0;
  for (const spec of folder.artifacts.weightSpecs ?? []) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 4;
    bytes.set(spec.name, data.subarray(offset, offset + size));
    offset += size;
  }
  return bytes;
}

/** The float32 values' bytes in sorted order: equal for two permutations of the same values. */
const floats = (bytes: Uint8Array) => new Float32Array(Uint8Array.from(bytes).buffer);
const sortedFloats = (bytes: Uint8Array) => Buffer.from(floats(bytes).sort().buffer);

/** Every weight unchanged unless `randomized(name)`, and those a permutation of the original (not the original where the values differ). */
function expectPermutedExactly(original: Map<string, Uint8Array>, copy: Map<string, Uint8Array>, randomized: (name: string) => boolean): number {
  expect([...copy.keys()]).toEqual([...original.keys()]);
  let permuted = 0;
  for (const [name, bytes] of original) {
    const other = copy.get(name)!;
    if (!randomized(name)) {
      expect(Buffer.from(other).equals(Buffer.from(bytes)), name).toBe(true);
      continue;
    }
    const values = floats(bytes);
    // A permutation of equal values (a bias of zeros) cannot differ.
    if (values.some((value) => value !== values[0])) expect(Buffer.from(other).equals(Buffer.from(bytes)), name).toBe(false);
    expect(sortedFloats(other).equals(sortedFloats(bytes)), name).toBe(true);
    permuted++;
  }
  return permuted;
}

describe('model-randomisation sanity check on a TF.js layers model', () => {
  it('randomises exactly the top weighted layers and leaves the rest byte-identical', async () => {
    const source = appPaths().defaultModelDir;
    const before = fingerprint(source);
    const out = join(tmp, 'top2');
    const layers = await writeRandomizedModel(source, out, 2);
    expect(layers).toEqual(['conv_pw_13_bn', 'conv_preds']);
    const permuted = expectPermutedExactly(weightBytesOf(readModelFolder(source)), weightBytesOf(readModelFolder(out)), (name) =>
      layers.includes(name.split('/')[0]),
    );
    // Batch norm's gamma, beta, mean and variance; the 1×1 convolution's kernel and bias.
    expect(permuted).toBe(6);
    expect(readAnyModelFolder(out)).toMatchObject({ name: readAnyModelFolder(source).name, labels: null });
    expect(fingerprint(source)).toEqual(before);
  });

  it('Grad-CAM maps drift further from the trained ones as more top layers are randomised', async () => {
    const trained = await mapsOf(appPaths().defaultModelDir, samplePixels, PHOTOS.length);
    const similarities: number[] = [];
    for (const top of [1, 2, 4, 8]) {
      const out = join(tmp, `top-${top}`);
      const layers = await writeRandomizedModel(appPaths().defaultModelDir, out, top);
      similarities.push(summarizeSanity(trained, await mapsOf(out, samplePixels, PHOTOS.length), layers).similarity);
    }
    console.log(`[sanity] rank correlation with the trained maps after randomising the top 1/2/4/8 layers: ${similarities.map((s) => s.toFixed(2)).join(' / ')}`);
    expect(similarities[0]).toBeLessThan(0.9);
    expect(similarities[3]).toBeLessThan(similarities[0]);
    const unchanged = summarizeSanity(trained, trained, []);
    expect(unchanged.similarity).toBeCloseTo(1, 6);
    expect(unchanged.warning).toMatch(/barely change/);
  });
});

describe('model-randomisation sanity check on a TF.js graph model', () => {
  it('permutes the weights of the last weight-bearing graph nodes, and the maps change', async () => {
    const source = join(tmp, 'mobilenet-graph');
    await writeMobileNetGraph(source);
    const before = fingerprint(source);
    const out = join(tmp, 'mobilenet-graph-top2');
    const layers = await writeRandomizedModel(source, out, 2);
    const nodes = (readModelFolder(source).artifacts.modelTopology as { node: { name: string; op: string; input?: string[] }[] }).node;
    const read = new Set(nodes.filter((node) => layers.includes(node.name)).flatMap((node) => node.input ?? []));
    // The same layers as on the layers model: batch norm, then the 1×1 convolution with its BiasAdd.
    expect(layers).toEqual(['conv_pw_13_bn/FusedBatchNormV3', 'conv_preds/Conv2D']);
    const bias = nodes.find((node) => node.op === 'BiasAdd' && node.input?.[0] === 'conv_preds/Conv2D')!;
    bias.input!.forEach((input) => read.add(input));
    expect(expectPermutedExactly(weightBytesOf(readModelFolder(source)), weightBytesOf(readModelFolder(out)), (name) => read.has(name))).toBe(6);

    const trained = await mapsOf(source, samplePixels, PHOTOS.length);
    const sanity = summarizeSanity(trained, await mapsOf(out, samplePixels, PHOTOS.length), layers);
    console.log(`[sanity] graph MobileNet, top 2 nodes (${layers.join(', ')}): rank correlation ${sanity.similarity.toFixed(2)}`);
    expect(sanity.similarity).toBeLessThan(WELL_BELOW_WARNING);
    expect(sanity.warning).toBeNull();
    expect(fingerprint(source)).toEqual(before);
  });
});

describe('model-randomisation sanity check on an ONNX model', () => {
  const initializers = (bytes: Uint8Array) =>
    new Map(onnx.ModelProto.decode(bytes).graph!.initializer!.map((tensor) => [tensor.name!, Uint8Array.from(tensor.rawData!)]));

  it('permutes the initializers of the zoo ResNet’s last weight-bearing nodes, and the maps change', async () => {
    const before = fingerprint(zooResnet);
    const out = join(tmp, 'resnet-top2');
    const layers = await writeRandomizedModel(join(zooResnet, 'model.onnx'), out, 2);
    const original = onnx.ModelProto.decode(readFileSync(join(zooResnet, 'model.onnx'))).graph!;
    const chosen = original.node!.filter((node) => layers.includes(node.name!));
    expect(chosen.map((node) => node.opType)).toEqual(['Conv', 'Gemm']);
    expect(layers.at(-1)).toBe(original.node!.filter((node) => node.opType === 'Gemm').at(-1)!.name);
    const read = new Set(chosen.flatMap((node) => node.input!));
    // Each node's weight and bias.
    expect(expectPermutedExactly(initializers(readFileSync(join(zooResnet, 'model.onnx'))), initializers(readFileSync(join(out, 'model.onnx'))), (name) => read.has(name))).toBe(4);
    expect(readAnyModelFolder(out)).toMatchObject({ format: 'onnx', name: 'zoo resnet (random weights)', settings: { inputSize: 224, preprocessing: 'torch' } });
    expect(readAnyModelFolder(out).labels).toEqual(readAnyModelFolder(zooResnet).labels);

    const trained = await mapsOf(zooResnet, zooPixels, 4);
    const sanity = summarizeSanity(trained, await mapsOf(out, zooPixels, 4), layers);
    console.log(`[sanity] zoo ResNet, top 2 nodes (${layers.join(', ')}): rank correlation ${sanity.similarity.toFixed(2)}`);
    expect(sanity.similarity).toBeLessThan(WELL_BELOW_WARNING);
    expect(sanity.warning).toBeNull();
    expect(fingerprint(zooResnet)).toEqual(before);
  });

  it('counts a MatMul and the Add of its bias as one layer (the zoo ViT)', async () => {
    const vit = fileURLToPath(new URL('../engine/__fixtures__/zoo/vit', import.meta.url));
    const out = join(tmp, 'vit-top2');
    const layers = await writeRandomizedModel(vit, out, 2);
    expect(layers).toEqual(['/encoder/layers/encoder_layer_1/mlp/mlp.3/MatMul', '/heads/head/Gemm']);
    const nodes = onnx.ModelProto.decode(readFileSync(join(vit, 'model.onnx'))).graph!.node!;
    const read = new Set(nodes.filter((node) => [...layers, '/encoder/layers/encoder_layer_1/mlp/mlp.3/Add'].includes(node.name!)).flatMap((node) => node.input!));
    // MatMul's weight and its bias, Gemm's weight and bias.
    expect(expectPermutedExactly(initializers(readFileSync(join(vit, 'model.onnx'))), initializers(readFileSync(join(out, 'model.onnx'))), (name) => read.has(name))).toBe(4);
  });

  it('runs through the service on a run of the ONNX model', async () => {
    const before = fingerprint(zooResnet);
    const photos = join(tmp, 'photos');
    for (const photo of PHOTOS) {
      mkdirSync(join(photos, photo.split('/')[0]), { recursive: true });
      cpSync(join(appPaths().samplesDir, photo), join(photos, photo));
    }
    const service = await createCoreService({ dataDir: join(tmp, 'service-data'), mode: 'web', modelDir: zooResnet, batchSize: 4 });
    try {
      const done = new Promise<void>((resolve) => {
        const stop = service.on('jobProgress', (progress) => {
          if (progress.state !== 'running') {
            stop();
            resolve();
          }
        });
      });
      const { runId } = await service.importFolder({ path: photos });
      await done;
      const check = await service.sanityCheck({ runId, topLayers: 2 });
      console.log(`[sanity] service, zoo ResNet: rank correlation ${check.similarity.toFixed(2)} over ${check.sampleSize} photos`);
      expect(check).toMatchObject({ runId, randomizedLayers: await writeRandomizedModel(zooResnet, join(tmp, 'service-expected'), 2), sampleSize: PHOTOS.length, warning: null });
      expect(check.similarity).toBeLessThan(WELL_BELOW_WARNING);
    } finally {
      await service.close();
    }
    expect(fingerprint(zooResnet)).toEqual(before);
  });
});
