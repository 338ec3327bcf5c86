// A Keras model file, `.h5` (Keras 2 / tf.keras) or `.keras` (Keras 3), as the TF.js layers artifacts the engine
// builds its model from, with its content hash and the preprocessing its config suggests. The caller reads the
// bytes (model-folder.ts: inside the file's folder, a regular file, at most MAX_KERAS_FILE_BYTES).
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { PreprocessingPreset } from '../preprocess';
import { readKerasH5 } from './h5-model';
import { toArtifacts } from './keras-model';
import { readKerasV3 } from './keras-v3';
import { detectPreprocessing } from './preprocessing';

export { MAX_KERAS_FILE_BYTES } from './keras-model';

const H5_EXTENSIONS = ['.h5', '.hdf5'];
const V3_EXTENSION = '.keras';

export interface KerasModelFile {
  format: 'keras-h5' | 'keras-v3';
  /** The file name without its extension. */
  name: string;
  artifacts: tf.io.ModelArtifacts;
  /** sha256 of the file's bytes. */
  hash: string;
  /** What the config suggests, or null when it says nothing (the engine's default then applies). */
  preprocessing: { preset: PreprocessingPreset; reason: string } | null;
}

export function isKerasModelFile(file: string): boolean {
  const extension = path.extname(file).toLowerCase();
  return H5_EXTENSIONS.includes(extension) || extension === V3_EXTENSION;
}

/** `fileName` decides the format by its extension and names the file in every message. */
export function readKerasModel(bytes: Uint8Array, fileName: string): KerasModelFile {
  if (bytes.length === 0) throw new Error(`${fileName} is empty`);
  const isV3 = path.extname(fileName).toLowerCase() === V3_EXTENSION;
  const model = isV3 ? readKerasV3(bytes, fileName) : readKerasH5(bytes, fileName);
  return {
    format: isV3 ? 'keras-v3' : 'keras-h5',
    name: path.basename(fileName, path.extname(fileName)),
    artifacts: toArtifacts(model),
    hash: createHash('sha256').update(bytes).digest('hex'),
    preprocessing: detectPreprocessing(model.savedLayers, model.nestedModels),
  };
}
