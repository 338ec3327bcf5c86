// TF.js layers models as plain ONNX files (through the converter), loaded back the way a model exported
// from PyTorch is, next to the TF.js engine on the same weights; and map-by-map comparison of the two
// when the layer has a different name on each side.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import type { CamRequest } from '../../../cam/pipeline';
import { LocalEngine } from '../../../local-engine';
import { loadModel, type LoadedModel } from '../../../model';
import { saveModelFolder } from '../../../test-support/model-files';
import { convertLayerGraph, onnxTensorName } from '../convert';
import type { OnnxExplainer } from '../explainer';
import { layersModelTarget } from '../layers-target';
import { loadOnnxModel, type OnnxModelInfo } from '../onnx-model';
import type { CamHead } from '../../../cam/network';
import { compareWithTfjs } from './compare';

export interface BothPaths {
  /** The TF.js engine on the model folder. */
  tfjs: LocalEngine;
  /** The converted model loaded from its .onnx file by loadOnnxModel (the generic ONNX path). */
  onnx: OnnxExplainer;
  info: OnnxModelInfo;
  loaded: LoadedModel;
  /** The ONNX tensor name of a Keras layer's output. */
  tensorOf(layer: string): string;
  dispose(): Promise<void>;
}

/** Saves `model` as a folder (`modelDir` given) or uses an existing folder, converts it, writes `<name>.onnx` in `workDir`. */
export async function bothPaths(source: tfl.LayersModel | string, workDir: string, name: string): Promise<BothPaths> {
  let modelDir: string;
  if (typeof source === 'string') {
    modelDir = source;
  } else {
    modelDir = path.join(workDir, name);
    await saveModelFolder(source, modelDir);
    source.dispose();
  }
  const loaded = await loadModel(modelDir);
  const file = path.join(workDir, `${name}.onnx`);
  writeFileSync(file, convertLayerGraph(loaded.graph, loaded.inputSize));
  const tfjs = await LocalEngine.create({ modelDir, backend: 'wasm', runtime: 'tfjs' });
  const { explainer, info } = await loadOnnxModel(file);
  return {
    tfjs,
    onnx: explainer,
    info,
    loaded,
    tensorOf: (layer) => {
      const choice = loaded.spatialLayers.find((l) => l.name === layer);
      if (!choice) throw new Error(`no spatial layer ${layer}`);
      return onnxTensorName(loaded.graph, choice.tensor);
    },
    dispose: async () => {
      await explainer.dispose();
      await tfjs.dispose();
      loaded.dispose();
    },
  };
}

/**
 * Both paths on `x` at the same layer (Keras name on the TF.js side, ONNX tensor name on the other): the
 * worst map error relative to the map's largest value, after checking logits, top-k and class indices, and
 * that the ONNX path leaves no tensor behind (the head's weights are made when its target is first asked for).
 */
export async function compareAtLayer(paths: BothPaths, x: tf.Tensor4D, layer: string, request: CamRequest): Promise<number> {
  const tensor = paths.tensorOf(layer);
  const target = paths.onnx.target(tensor);
  if (typeof target.head === 'string') throw new Error(target.head);
  return compareWithTfjs(paths.tfjs, paths.onnx, x, { ...request, layer }, tensor);
}

/**
 * The rebuilt ONNX head against the TF.js path's own head (the converted model's layers, layers-target.ts)
 * on the SAME activations from one ONNX Runtime run: ∂(class score)/∂A for each image's top class. With the
 * same inputs no ReLU or max-pool choice can flip between the two, so only float rounding differs.
 * Returns max |Δ gradient| / max |gradient|.
 */
export async function compareHeadGradients(paths: BothPaths, x: tf.Tensor4D, layer: string): Promise<number> {
  const tensor = paths.tensorOf(layer);
  const ours = paths.onnx.target(tensor);
  const reference = layersModelTarget(paths.loaded, layer);
  if (typeof ours.head === 'string' || typeof reference.head === 'string') throw new Error(String(ours.head));
  const { logits, kept } = await paths.onnx.network.run(x, [tensor, ...new Set([...ours.constants, ...reference.constants])]);
  try {
    const activations = kept.get(tensor) as tf.Tensor4D;
    const classes = Array.from(tf.tidy(() => tf.argMax(logits, 1).dataSync()));
    const gradient = (head: CamHead<string>) =>
      tf.tidy(() => {
        const score = (a: tf.Tensor) => {
          const scores = head(a as tf.Tensor4D, kept);
          return tf.sum(tf.mul(scores, tf.oneHot(tf.tensor1d(classes, 'int32'), scores.shape[1])));
        };
        return tf.grad(score)(activations).dataSync() as Float32Array;
      });
    return worstRelative(gradient(ours.head), gradient(reference.head));
  } finally {
    logits.dispose();
    kept.forEach((t) => t.dispose());
  }
}

/** max |a − b| / max |b| over arrays too long for Math.max(...values). */
function worstRelative(ours: Float32Array, reference: Float32Array): number {
  expect(ours.length).toBe(reference.length);
  let worst = 0;
  let scale = 0;
  reference.forEach((value, i) => {
    scale = Math.max(scale, Math.abs(value));
    worst = Math.max(worst, Math.abs(ours[i] - value));
  });
  expect(scale, 'a gradient that is not all zero').toBeGreaterThan(0);
  return worst / scale;
}
