// Graph models Sightline cannot explain are refused at load, saying why; an input of open size needs
// inputSize from sightline.json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { readModelFolder } from '../../model-folder';
import { loadGraphRuntime } from './runtime';
import { featureMapNet, poolingOnlyClassifier, residualNet, vectorClassifier } from './test-support/fixtures';
import { layersToGraph, writeGraphJson, writeGraphModelFolder } from './test-support/graph-model-writer';

let workDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  workDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-graph-errors-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function graphFolder(build: () => tfl.LayersModel, name: string): string {
  const model = build();
  const dir = path.join(workDir, name);
  writeGraphModelFolder(model, dir);
  model.dispose();
  return dir;
}

describe('graph models that are not image classifiers', () => {
  it('refuses an input that is not a 4-D image batch', async () => {
    const dir = graphFolder(vectorClassifier, 'vector');
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(
      `The graph model in ${dir} takes float32 input features of [any, 10]; Sightline needs a 4-D float RGB image batch [batch, height, width, 3]`,
    );
  });

  it('refuses a model with no spatial feature map before its class scores', async () => {
    const dir = graphFolder(poolingOnlyClassifier, 'pooling-only');
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(
      `The graph model in ${dir} has no node with a spatial 4-D output [batch, height, width, channels] between its input and its class scores`,
    );
  });

  it('refuses an output that is not a vector of class scores', async () => {
    const dir = graphFolder(featureMapNet, 'feature-map');
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(
      `The graph model in ${dir} outputs [1, 6, 6, 4] at Identity for one image; Sightline needs a vector of class scores per image, [batch, classes]`,
    );
  });

  it('refuses a labels file that does not fit the class count', async () => {
    const dir = graphFolder(residualNet, 'wrong-labels');
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['cat', 'dog']));
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(`The labels file in ${dir} names 2 classes, but the model has 5 outputs`);
  });

  it('leaves no tensor behind when it refuses a model', async () => {
    const dir = graphFolder(featureMapNet, 'feature-map-memory');
    const before = tf.memory().numTensors;
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(/outputs \[1, 6, 6, 4\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a graph model with an input of open size', () => {
  let dir: string;
  beforeAll(() => {
    const model = residualNet();
    const { json, weights } = layersToGraph(model);
    model.dispose();
    const placeholder = json.modelTopology.node.find((node) => node.op === 'Placeholder')!;
    placeholder.attr = { ...placeholder.attr, shape: { shape: { dim: [-1, -1, -1, 3].map((size) => ({ size: String(size) })) } } };
    dir = path.join(workDir, 'open-size');
    writeGraphJson(dir, json, weights);
  });

  it('asks for inputSize in sightline.json', async () => {
    await expect(loadGraphRuntime(readModelFolder(dir))).rejects.toThrow(
      `The graph model in ${dir} takes [any, any, any, 3] images; set "inputSize" in its sightline.json to choose a square size`,
    );
  });

  it('runs at the size sightline.json gives, with its preprocessing and name', async () => {
    writeFileSync(path.join(dir, 'sightline.json'), JSON.stringify({ inputSize: 16, preprocessing: 'torch', name: 'Open net' }));
    const runtime = await loadGraphRuntime(readModelFolder(dir));
    expect(runtime.model).toMatchObject({ inputSize: 16, preprocessing: 'torch', name: 'Open net', defaultLayer: 'avg/AvgPool' });
    expect(runtime.model.candidateLayers.at(-1)).toEqual({ name: 'avg/AvgPool', shape: [2, 2, 6] });
    await runtime.dispose();
  });
});
