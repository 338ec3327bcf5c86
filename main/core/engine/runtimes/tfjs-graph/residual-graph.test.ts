// A small residual net (seeded weights) as a TF.js graph model against the same net on the TF.js layers
// path: targets inside the residual block, whose head reads the skip connection, need it fed with A; the
// head's gradient through the executor is also checked against finite differences.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { CAM_METHOD_NAMES } from '../../../../../common/types';
import { loadModel, type LoadedModel } from '../../model';
import { readModelFolder } from '../../model-folder';
import { saveModelFolder, seededValues } from '../../test-support/model-files';
import { loadGraphRuntime, type GraphRuntime } from './runtime';
import { compareWithLayers } from './test-support/compare';
import { residualNet } from './test-support/fixtures';
import { writeGraphModelFolder, type WrittenGraphModel } from './test-support/graph-model-writer';

const MAP_TOLERANCE = 1e-4;
const BATCH = 3;

/** The residual net written as a graph model (plain or with fused ops) and as a layers model, plus an input batch. */
interface Pair {
  workDir: string;
  written: WrittenGraphModel;
  runtime: GraphRuntime;
  loaded: LoadedModel;
  x: tf.Tensor4D;
}

function residualPair(fused: boolean, seed: number): () => Pair {
  let pair: Pair | undefined;
  beforeAll(async () => {
    await selectBackend('wasm');
    const workDir = mkdtempSync(path.join(os.tmpdir(), fused ? 'sightline-graph-fused-' : 'sightline-graph-residual-'));
    const model = residualNet();
    const written = writeGraphModelFolder(model, path.join(workDir, 'graph'), fused ? { fused: true } : undefined);
    await saveModelFolder(model, path.join(workDir, 'layers'));
    model.dispose();
    const runtime = await loadGraphRuntime(readModelFolder(written.dir));
    const loaded = await loadModel(path.join(workDir, 'layers'));
    pair = { workDir, written, runtime, loaded, x: tf.tensor4d(seededValues(BATCH * 16 * 16 * 3, seed), [BATCH, 16, 16, 3]) };
  });
  afterAll(async () => {
    pair?.x.dispose();
    pair?.loaded.dispose();
    await pair?.runtime.dispose();
    if (pair) rmSync(pair.workDir, { recursive: true, force: true });
  });
  return () => pair!;
}

describe('a residual net as a TF.js graph model', () => {
  const pair = residualPair(false, 5);
  let written: WrittenGraphModel;
  let runtime: GraphRuntime;
  let loaded: LoadedModel;
  let x: tf.Tensor4D;
  beforeAll(() => ({ written, runtime, loaded, x } = pair()));

  it('is written with padding, pooling, batch norm, a residual add and a dense softmax head', () => {
    for (const op of ['Pad', 'Conv2D', 'FusedBatchNormV3', 'Relu6', 'Relu', 'DepthwiseConv2dNative', 'AddV2', 'MaxPool', 'AvgPool', 'Reshape', 'MatMul', 'BiasAdd', 'Softmax']) {
      expect(written.ops).toContain(op);
    }
  });

  it("has the layers path's spatial layers among its candidates, the last one (avg) by default, and 5 classes", () => {
    // The graph also offers the nodes inside a layer (a convolution before its BiasAdd and activation).
    const layerOutputs = new Set(written.nodeOf.values());
    expect(runtime.model.candidateLayers.filter((candidate) => layerOutputs.has(candidate.name))).toEqual(
      loaded.spatialLayers.map((layer) => ({ name: written.nodeOf.get(layer.name), shape: layer.shape })),
    );
    expect(runtime.model.candidateLayers.map((candidate) => candidate.name)).toContain('block_conv/Conv2D');
    expect(runtime.model.defaultLayer).toBe(written.nodeOf.get('avg'));
    expect(runtime.model.inputSize).toBe(16);
    expect(runtime.model.labels).toEqual(['class 0', 'class 1', 'class 2', 'class 3', 'class 4']);
  });

  it('feeds the skip connection to heads that start inside the residual block, and nothing else', () => {
    for (const layer of ['block_bn', 'block_conv']) {
      expect(runtime.target(written.nodeOf.get(layer)).constants, layer).toEqual([written.nodeOf.get('stem_relu')]);
    }
    for (const layer of ['stem_relu', 'block_add', 'pool']) {
      expect(runtime.target(written.nodeOf.get(layer)).constants, layer).toEqual([]);
    }
  });

  it("gives the layers path's maps for every method inside and after the residual block", async () => {
    for (const layer of ['block_bn', 'block_conv', 'block_out']) {
      for (const method of CAM_METHOD_NAMES) {
        const { mapError, logitError } = await compareWithLayers(runtime, loaded, written.nodeOf, x, { method, topK: 5, camTopK: 2, layer });
        console.log(`residual graph ${method} at ${layer}: max map error / max |map| ${mapError.toExponential(2)}`);
        expect(mapError, `${method} at ${layer}`).toBeLessThan(MAP_TOLERANCE);
        expect(logitError).toBeLessThan(1e-5);
      }
    }
  });

  it('differentiates the head through the graph executor: the gradient matches central differences', () => {
    const target = runtime.target(written.nodeOf.get('block_bn'));
    if (typeof target.head === 'string') throw new Error(target.head);
    const head = target.head;
    const fed = new Map<string, tf.Tensor>();
    const one = tf.slice(x, [0, 0, 0, 0], [1, 16, 16, 3]);
    // A and the skip tensor for the first image, as the forward run keeps them.
    const { logits, kept: constants } = runtime.network.runSync(one, [target.tensor, ...target.constants]);
    logits.dispose();
    const activations = constants.get(target.tensor) as tf.Tensor4D;
    target.constants.forEach((ref) => fed.set(ref, constants.get(ref)!));
    const classIndex = 2;
    const score = (a: tf.Tensor) => tf.sum(tf.slice(head(a as tf.Tensor4D, fed), [0, classIndex], [1, 1]));
    const gradient = tf.grad(score)(activations).dataSync() as Float32Array;
    const values = activations.dataSync() as Float32Array;
    const byMagnitude = Array.from(gradient.keys()).sort((a, b) => Math.abs(gradient[b]) - Math.abs(gradient[a]));
    const step = 1e-2;
    for (const index of byMagnitude.slice(0, 6)) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const shifted = values.slice();
          shifted[index] += delta;
          return score(tf.tensor(shifted, activations.shape)).dataSync()[0];
        });
      const difference = (at(step) - at(-step)) / (2 * step);
      expect(Math.abs(difference - gradient[index]), `element ${index}`).toBeLessThan(1e-3 + 1e-2 * Math.abs(gradient[index]));
    }
    expect(Math.abs(gradient[byMagnitude[0]])).toBeGreaterThan(1e-3);
    one.dispose();
    constants.forEach((tensor) => tensor.dispose());
  });

  it('says which nodes it can explain when asked for another', () => {
    expect(() => runtime.target('no_such_node')).toThrow(/^The model has no node named no_such_node; nodes with a spatial output: stem_pad\/Pad, /);
    expect(() => runtime.target(written.nodeOf.get('flat'))).toThrow(
      'Node flat/Reshape has no spatial 4-D output [batch, height, width, channels] on the way to the class scores and cannot be a CAM target',
    );
  });

  it('takes a default node from the caller and refuses one it cannot explain', async () => {
    const other = await loadGraphRuntime(readModelFolder(written.dir), written.nodeOf.get('block_bn'));
    expect(other.model.defaultLayer).toBe(written.nodeOf.get('block_bn'));
    const one = tf.slice(x, [0, 0, 0, 0], [1, 16, 16, 3]);
    const [image] = await other.explainTensor(one, { method: 'GradCAM', topK: 1, camTopK: 1 });
    one.dispose();
    expect([image.maps[0].h, image.maps[0].w]).toEqual([8, 8]);
    await other.dispose();
    await expect(loadGraphRuntime(readModelFolder(written.dir), 'predictions/MatMul')).rejects.toThrow(/Node predictions\/MatMul has no spatial 4-D output/);
  });
});

describe("the residual net with the converter's fused ops", () => {
  const pair = residualPair(true, 9);
  let written: WrittenGraphModel;
  let runtime: GraphRuntime;
  let loaded: LoadedModel;
  let x: tf.Tensor4D;
  beforeAll(() => ({ written, runtime, loaded, x } = pair()));

  it('is written with _FusedConv2D and _FusedMatMul where a layer has a bias', () => {
    expect(written.ops).toEqual(expect.arrayContaining(['_FusedConv2D', '_FusedMatMul', 'Conv2D', 'DepthwiseConv2dNative']));
    expect(written.ops).not.toContain('MatMul');
    expect(written.nodeOf.get('block_conv')).toBe('block_conv/Relu');
  });

  it("gives the layers path's maps through fused heads, and at a fused node", async () => {
    for (const layer of ['block_bn', 'block_conv', 'head_conv']) {
      for (const method of CAM_METHOD_NAMES) {
        const { mapError } = await compareWithLayers(runtime, loaded, written.nodeOf, x, { method, topK: 5, camTopK: 2, layer });
        console.log(`fused residual graph ${method} at ${layer}: ${mapError.toExponential(2)}`);
        expect(mapError, `${method} at ${layer}`).toBeLessThan(MAP_TOLERANCE);
      }
    }
  });
});
