// The engine's forward pass (convolutions fused with their batch norm and activation) against the model's
// layers run one by one, and the engine's memory over many mini-batches.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backends';
import { cutAt, forward } from './cut';
import { layersForward } from './forward';
import { planForward } from '../../fused-convolutions';
import { LocalEngine } from '../../local-engine';
import { loadModel, type LoadedModel } from '../../model';
import { defaultModelDir } from '../../paths';
import { smallResidualNet } from '../../test-support/architectures';
import { expectNoTensorLeak } from '../../test-support/memory';
import { saveModelFolder, seededValues } from '../../test-support/model-files';

let root: string;
let residualDir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  root = mkdtempSync(path.join(os.tmpdir(), 'sightline-forward-'));
  residualDir = path.join(root, 'residual');
  const model = smallResidualNet(16);
  await saveModelFolder(model, residualDir);
  model.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / tf.max(tf.abs(expected)).dataSync()[0]);
}

function expectSameAsLayerByLayer(model: LoadedModel, layer: string, x: tf.Tensor4D) {
  const cut = cutAt(model, layer);
  const keep = [cut.layer.tensor, ...cut.constants];
  const reference = forward(model.graph, x, keep);
  const fused = layersForward(model.graph, keep);
  const result = fused.run(x);
  expect(relativeError(result.logits, reference.logits)).toBeLessThan(1e-4);
  for (const id of keep) expect(relativeError(result.kept.get(id)!, reference.kept.get(id)!)).toBeLessThan(1e-4);
  for (const { logits, kept } of [reference, result]) {
    logits.dispose();
    kept.forEach((t) => t.dispose());
  }
  fused.dispose();
}

describe('the fused forward pass', () => {
  it('merges MobileNet’s 27 convolution → batch norm → ReLU6 chains and gives the same logits and activations', async () => {
    const model = await loadModel(defaultModelDir());
    const { ops, weights } = planForward(model.graph, new Set([model.graph.output]));
    const normalisations = model.graph.ops.filter((op) => op.layer?.getClassName() === 'BatchNormalization').length;
    expect(normalisations).toBe(27);
    expect(model.graph.ops.length - ops.length).toBe(2 * 27);
    weights.forEach((weight) => weight.dispose());
    const x = tf.tensor4d(seededValues(2 * 224 * 224 * 3, 3), [2, 224, 224, 3]);
    for (const layer of ['conv_pw_13_relu', 'conv_pw_11_relu', 'conv_pw_11_bn']) expectSameAsLayerByLayer(model, layer, x);
    x.dispose();
    model.dispose();
  });

  it('stops a chain at a tensor that the head needs', async () => {
    const model = await loadModel(residualDir);
    const cut = cutAt(model, 'target_conv');
    const { ops, weights } = planForward(model.graph, new Set([cut.layer.tensor, ...cut.constants, model.graph.output]));
    expect(ops.map((op) => op.name)).toContain('target_conv');
    expect(ops).toHaveLength(model.graph.ops.length - 2); // only the depthwise conv absorbed its norm and ReLU6
    weights.forEach((weight) => weight.dispose());
    const x = tf.tensor4d(seededValues(3 * 16 * 16 * 3, 4), [3, 16, 16, 3]);
    expectSameAsLayerByLayer(model, 'target_conv', x);
    x.dispose();
    model.dispose();
  });
});

describe('engine memory', () => {
  it('holds as many tensors after 1,000 images as after 10, with every method', async () => {
    const engine = await LocalEngine.create({ modelDir: residualDir, backend: 'wasm', runtime: 'tfjs' });
    await expectNoTensorLeak(engine, { images: 1000, secondLayer: 'bypass' });
    await engine.dispose();
  });
});
