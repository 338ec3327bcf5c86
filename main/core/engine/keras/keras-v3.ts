// Reads a Keras 3 `.keras` file (keras/src/saving/saving_lib.py): a zip holding config.json (the model serialised
// by serialize_keras_object), metadata.json and model.weights.h5 (H5IOStore), where each layer's variables sit at
// `layers/<name>/vars/0…n`, <name> being the snake_case class name numbered in layer order (conv2d, conv2d_1, …).
// The config is rewritten in the Keras 2 form that TF.js reads, then adapted to the layers TF.js has (tfjs-adapt.ts).
// Tested on files Keras 3.15 wrote (keras.applications models and models of its layers), and on files written to
// the documented layout here; what is not known to work is refused by name.
import { childDataset, childGroup, openHdf5, readFloat32, type Hdf5Group } from './hdf5';
import { parseModelConfig } from './h5-model';
import { keras2Config } from './keras3-config';
import { MAX_KERAS_FILE_BYTES, configLayers, layerName, type KerasLayerConfig, type KerasModel, type KerasWeight } from './keras-model';
import { checkLayersSupported } from './layer-support';
import { MODEL_CLASSES, flattenNestedModels, hasNestedModels, nestedModelNames } from './nested-models';
import { adaptForTfjs } from './tfjs-adapt';
import { zipEntries, zipFile } from './zip';

const CONFIG_FILE = 'config.json';
const METADATA_FILE = 'metadata.json';
const WEIGHTS_FILE = 'model.weights.h5';
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** TF.js's variable names, in the order Keras 3 stores them (trainable, then non-trainable, as each layer builds them). */
function variableNames(layer: KerasLayerConfig): string[] | null {
  const { config } = layer;
  const bias = config.use_bias === false ? [] : ['bias'];
  switch (layer.class_name) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
    case 'Dense':
      return ['kernel', ...bias];
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'SeparableConv1D':
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', ...bias];
    case 'BatchNormalization':
      return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
    case 'LayerNormalization':
      return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta'])];
    case 'Normalization':
      // Given in the config, the statistics are constants; adapted from data, they are variables.
      return config.mean == null ? ['mean', 'variance', 'count'] : [];
    case 'PReLU':
      return ['alpha'];
    case 'LayerScale':
      return ['gamma'];
    case 'Embedding':
      return ['embeddings'];
    default:
      return null;
  }
}

export function readKerasV3(bytes: Uint8Array, what: string): KerasModel {
  const entries = zipEntries(bytes, what);
  const member = (name: string, maxBytes: number) => {
    const entry = entries.get(name);
    return entry ? zipFile(bytes, entry, maxBytes, what) : null;
  };
  const configBytes = member(CONFIG_FILE, MAX_JSON_BYTES);
  if (!configBytes) throw new Error(`${what} has no ${CONFIG_FILE}: it is a zip file, but not a Keras 3 model`);
  const weightsBytes = member(WEIGHTS_FILE, MAX_KERAS_FILE_BYTES);
  if (!weightsBytes) {
    const npz = entries.has('model.weights.npz') ? ' (its weights are in model.weights.npz: save with the default weights_format "h5")' : '';
    throw new Error(`${what} has no ${WEIGHTS_FILE}${npz}`);
  }
  const metadataBytes = member(METADATA_FILE, MAX_JSON_BYTES);
  const metadata = metadataBytes ? (parseJson(metadataBytes, `${METADATA_FILE} in ${what}`) as { keras_version?: unknown }) : {};
  const saved = parseModelConfig(new TextDecoder().decode(configBytes), `${CONFIG_FILE} in ${what}`);
  const keras2 = keras2Config(saved, what);
  const flat = hasNestedModels(keras2) ? flattenNestedModels(keras2, what) : keras2;
  const { modelConfig, adaptWeights } = adaptForTfjs(flat, what, { keras3: true });
  checkLayersSupported(modelConfig, what);
  const weightsWhat = `${WEIGHTS_FILE} in ${what}`;
  const weightsFile = openHdf5(weightsBytes, weightsWhat);
  return {
    modelConfig,
    savedLayers: flat,
    // Keras names each layer's variables by the saved layers, before any was adapted.
    weights: adaptWeights(readVariables(weightsFile, configLayers(keras2), weightsWhat, weightsBytes.length)),
    kerasVersion: typeof metadata.keras_version === 'string' ? metadata.keras_version : null,
    backend: null,
    nestedModels: [...nestedModelNames(keras2)],
  };
}

/**
 * Each layer's `vars` group, matched to the layer by Keras's own naming (saving_lib._save_container_state); a nested
 * model's layers sit in its own `layers` group, numbered there.
 */
function readVariables(file: Hdf5Group, layers: KerasLayerConfig[], what: string, maxValues: number): KerasWeight[] {
  const layersGroup = childGroup(file, 'layers', what);
  const usedNames = new Map<string, number>();
  return layers.flatMap((layer) => {
    const base = toSnakeCase(layer.class_name);
    const seen = usedNames.get(base);
    usedNames.set(base, seen === undefined ? 0 : seen + 1);
    const key = seen === undefined ? base : `${base}_${seen + 1}`;
    if (MODEL_CLASSES.has(layer.class_name)) {
      const nested = layersGroup && childGroup(layersGroup, key, what);
      if (!nested) throw new Error(`${what}: nested model ${layerName(layer)} has no weights at layers/${key}`);
      return readVariables(nested, configLayers({ class_name: layer.class_name, config: layer.config }), what, maxValues);
    }
    const vars = layersGroup && childGroup(layersGroup, `${key}/vars`, what);
    const stored = vars ? storedVariables(vars, what) : [];
    const names = variableNames(layer);
    const name = layerName(layer);
    if (names === null) {
      if (stored.length === 0) return [];
      throw new Error(`${what}: layer ${name} (${layer.class_name}) has ${stored.length} stored variables that Sightline cannot map to TF.js`);
    }
    if (stored.length !== names.length) {
      throw new Error(
        `${what}: layer ${name} (${layer.class_name}) should have ${names.length} variables (${names.join(', ')}) at layers/${key}/vars, found ${stored.length}`,
      );
    }
    // A Normalization's sample count (an integer) is not needed to normalise.
    return stored.flatMap((dataset, i) => (names[i] === 'count' ? [] : [{ name: `${name}/${names[i]}`, ...readFloat32(dataset, what, maxValues) }]));
  });
}

function storedVariables(vars: Hdf5Group, what: string) {
  const count = vars.keys.length;
  return Array.from({ length: count }, (_, i) => {
    const dataset = childDataset(vars, String(i), what);
    if (!dataset) throw new Error(`${what}: ${vars.name} has ${count} entries but no variable ${i}`);
    return dataset;
  });
}

/** keras.src.utils.naming.to_snake_case. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}
