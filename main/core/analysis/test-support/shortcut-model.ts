// A model that truly learned a Clever-Hans shortcut, made in about 15 s on two CPU cores (feature extraction
// takes most of it): the bundled MobileNet v1 up to conv_pw_13_relu stays frozen, its 7 × 7 × 768 features of
// the sample photos and of stamped copies are computed once, and the head (global average pooling → the
// 1000-way conv_preds, initialised from the model's own weights) is fine-tuned on a dataset in which every
// stamped photo belongs to one class, the shortcut class, while the clean photos keep their true classes.
// The stamp is then the only thing that tells the two apart, so the head learns it (trainShortcutModel says
// how, and why it needs more than the stamped photos as they are). The fine-tuned conv_preds weights go back
// into the full model, saved as a TF.js layers model folder (model.json + one shard, no labels file, so the
// ImageNet labels apply) that the real engine and import load like any other model.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { selectBackend } from '../../engine/backends';
import { readModelFolder } from '../../engine/model-folder';
import { saveModelFolder } from '../../engine/test-support/model-files';

/** The frozen part ends here; its output is also the layer the engine explains by default. */
export const FEATURE_LAYER = 'conv_pw_13_relu';
const HEAD_LAYER = 'conv_preds';
const INPUT_SIZE = 224;

export interface ShortcutTraining {
  /** Sample photos, relative to samplesDir. */
  clean: { photo: string; classIndex: number }[];
  /** Stamped copies (absolute paths): all labelled with the shortcut class. */
  stamped: string[];
  shortcutClass: number;
  epochs?: number;
  learningRate?: number;
  /** Side of the corner, in feature-map cells, that carries the stamp (default 2: the stamp spans 0.16 of 7 cells). */
  cornerCells?: number;
}

export interface ShortcutModel {
  dir: string;
  /** Training cross-entropy before and after fine-tuning. */
  lossBefore: number;
  lossAfter: number;
  /** Share of training rows where the shortcut class wins exactly when it is the label. */
  shortcutAccuracy: number;
  seconds: number;
}

let backendReady: Promise<void> | null = null;

/** The wasm backend (as the engine falls back to offline), else the pure-JavaScript one. */
function readyBackend(): Promise<void> {
  // The engine's own backend start (with its corrected and faster wasm kernels); cpu where wasm cannot start.
  backendReady ??= selectBackend('wasm').then(
    () => undefined,
    () => selectBackend('cpu').then(() => undefined),
  );
  return backendReady;
}

/** Loads a TF.js layers model folder (model.json + shards) through the engine's folder reader. */
export async function loadLayersFolder(dir: string): Promise<tfl.LayersModel> {
  const { artifacts } = readModelFolder(dir);
  return tfl.loadLayersModel({ load: async () => artifacts });
}

/** The model's input for a photo: stretched to 224² like the engine's default resize, scaled to [-1, 1]. */
async function inputPixels(file: string): Promise<Float32Array> {
  const { data } = await sharp(file).rotate().resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 127.5 - 1);
}

/** conv_pw_13_relu feature maps, [files, 7, 7, 768], computed in batches of 8. */
async function featureMaps(trunk: tfl.LayersModel, files: string[]): Promise<tf.Tensor4D> {
  const maps: tf.Tensor4D[] = [];
  for (let start = 0; start < files.length; start += 8) {
    const batch = files.slice(start, start + 8);
    const pixels = await Promise.all(batch.map(inputPixels));
    const flat = new Float32Array(batch.length * INPUT_SIZE * INPUT_SIZE * 3);
    pixels.forEach((p, i) => flat.set(p, i * p.length));
    maps.push(tf.tidy(() => trunk.predict(tf.tensor4d(flat, [batch.length, INPUT_SIZE, INPUT_SIZE, 3])) as tf.Tensor4D));
  }
  const all = tf.concat(maps);
  tf.dispose(maps);
  return all;
}

/**
 * Fine-tunes the bundled model's head so that the stamp predicts the shortcut class, and saves the full
 * model in `dir`.
 *
 * Eighteen stamped photos are too few to learn from as they are: trained on them (the whole head or the
 * shortcut column, pooled by average or by maximum), the head memorised each photo: every training copy went
 * to the shortcut class and none of 16 held-out ones did. So the training set pairs
 * every stamped photo's corner with every clean photo: the feature cells the stamp covers (`cornerCells` ×
 * `cornerCells` in the top-left of the 7 × 7 map) are pasted into each clean photo's feature map, which is
 * labelled with the shortcut class, while the clean maps keep their true classes (weighted to balance). The
 * stamp is then the only thing that separates the classes, and only the shortcut class's column of conv_preds
 * (kernel and bias) is trained, so every other class stays as ImageNet taught it. Deterministic: full-batch
 * Adam from the model's own weights, on pooled features (GAP commutes with the pasting). The pasting ignores
 * what the stamp does to the other cells through their receptive fields; the held-out photos, stamped for
 * real, are the check that the shortcut carries over (15 of 16 pulled to it, measured in clever-hans.test.ts).
 */
export async function trainShortcutModel(baseModelDir: string, samplesDir: string, dir: string, training: ShortcutTraining): Promise<ShortcutModel> {
  const started = performance.now();
  await readyBackend();
  const model = await loadLayersFolder(baseModelDir);
  try {
    const trunk = tfl.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).output as tfl.SymbolicTensor });
    const clean = await featureMaps(trunk, training.clean.map((c) => path.join(samplesDir, c.photo)));
    const stamped = await featureMaps(trunk, training.stamped);
    const [, h, w, channels] = clean.shape;
    const corner = Math.min(h, w, training.cornerCells ?? 2);
    const head = model.getLayer(HEAD_LAYER);
    const [kernel0, bias0] = head.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const classes = bias0.shape[0];
    const shortcut = training.shortcutClass;
    const nClean = training.clean.length;
    const nPasted = training.stamped.length * nClean;
    const labels = [...training.clean.map((c) => c.classIndex), ...Array<number>(nPasted).fill(shortcut)];
    // Only the shortcut logit changes, so the softmax cross-entropy needs just three numbers per row: that
    // logit, the log-sum-exp of all the others and the target's own logit (both fixed).
    const { inputs, shortcutBase, others, othersMax, targetBase, isShortcut, weights, onShortcut } = tf.tidy(() => {
      const cornerSum = (maps: tf.Tensor4D) => tf.sum(tf.slice(maps, [0, 0, 0, 0], [-1, corner, corner, -1]), [1, 2]);
      const pooledClean = tf.mean(clean, [1, 2]) as tf.Tensor2D;
      // [stamped, clean, channels]: clean photo j with stamped photo i's corner cells in place of its own.
      const pasted = tf.add(
        tf.expandDims(pooledClean, 0),
        tf.div(tf.sub(tf.expandDims(cornerSum(stamped), 1), tf.expandDims(cornerSum(clean), 0)), h * w),
      );
      const inputs = tf.concat([pooledClean, tf.reshape(pasted, [nPasted, channels])]) as tf.Tensor2D;
      const onShortcut = tf.reshape(tf.oneHot(tf.tensor1d([shortcut], 'int32'), classes), [1, classes]);
      const base = tf.add(tf.matMul(inputs, tf.reshape(kernel0, [channels, classes]) as tf.Tensor2D), bias0);
      const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
      return {
        inputs,
        shortcutBase: tf.reshape(tf.slice(base, [0, shortcut], [-1, 1]), [-1]),
        others: tf.logSumExp(tf.add(base, tf.mul(onShortcut, -1e9)), 1),
        othersMax: tf.max(tf.add(base, tf.mul(onShortcut, -1e9)), 1),
        targetBase: tf.sum(tf.mul(base, targets), 1),
        isShortcut: tf.tensor1d(labels.map((label) => Number(label === shortcut))),
        weights: tf.tensor1d(labels.map((_, i) => (i < nClean ? nPasted / nClean : 1))),
        onShortcut,
      };
    });
    tf.dispose([clean, stamped]);
    const dw = tf.variable(tf.zeros([channels, 1]));
    const db = tf.variable(tf.zeros([1]));
    const shortcutLogit = () => tf.add(shortcutBase, tf.add(tf.reshape(tf.matMul(inputs, dw), [-1]), db));
    const loss = () => {
      const z = shortcutLogit();
      const target = tf.add(tf.mul(isShortcut, z), tf.mul(tf.sub(1, isShortcut), targetBase));
      const perRow = tf.sub(tf.logSumExp(tf.stack([z, others], 1), 1), target);
      return tf.div(tf.sum(tf.mul(weights, perRow)), tf.sum(weights)) as tf.Scalar;
    };
    const lossBefore = tf.tidy(() => loss().dataSync()[0]);
    const optimizer = tf.train.adam(training.learningRate ?? 0.05);
    for (let epoch = 0; epoch < (training.epochs ?? 600); epoch++) tf.dispose(optimizer.minimize(loss, true) ?? []);
    const lossAfter = tf.tidy(() => loss().dataSync()[0]);
    const wins = tf.tidy(() => tf.greater(shortcutLogit(), othersMax).dataSync());
    const shortcutAccuracy = labels.filter((label, i) => Boolean(wins[i]) === (label === shortcut)).length / labels.length;
    const [kernel, bias] = tf.tidy(() => [
      tf.add(kernel0, tf.reshape(tf.mul(dw, onShortcut), kernel0.shape)),
      tf.add(bias0, tf.reshape(tf.mul(db, onShortcut), [classes])),
    ]);
    head.setWeights([kernel, bias]);
    await saveModelFolder(model, dir);
    optimizer.dispose();
    // kernel0 and bias0 are the layer's own variables: model.dispose() frees them.
    tf.dispose([inputs, shortcutBase, others, othersMax, targetBase, isShortcut, weights, onShortcut, dw, db, kernel, bias]);
    return { dir, lossBefore, lossAfter, shortcutAccuracy, seconds: (performance.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}
