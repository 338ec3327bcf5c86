// Reads a Keras 2 / tf.keras HDF5 model file (`model.save('x.h5')`, keras/saving/legacy/hdf5_format.py): the root
// attribute `model_config` holds the Keras config (the same JSON as TF.js's modelTopology.model_config), and
// `model_weights/<layer>/<weight name>` the weights, listed by the attributes `layer_names` and `weight_names`.
import { attributes, childDataset, childGroup, openHdf5, readFloat32, textAttribute, textListAttribute, type Hdf5Group } from './hdf5';
import { isKeras3Config, keras2Config } from './keras3-config';
import { configLayers, layerName, type KerasConfig, type KerasModel, type KerasWeight } from './keras-model';
import { MODEL_CLASSES, flattenNestedModels, hasNestedModels, nestedModelNames } from './nested-models';
import { checkLayersSupported } from './layer-support';
import { adaptForTfjs } from './tfjs-adapt';

/** Larger configs are not a model's: a bound on what JSON.parse is given. */
export const MAX_CONFIG_CHARS = 64 * 1024 * 1024;

const SAVE_WHOLE_MODEL =
  "save the whole model with model.save('model.h5') (Keras 2 / tf.keras) or model.save('model.keras') (Keras 3), not model.save_weights()";

export function readKerasH5(bytes: Uint8Array, what: string): KerasModel {
  const file = openHdf5(bytes, what);
  const rootAttrs = attributes(file, what);
  const configText = textAttribute(rootAttrs.model_config);
  if (configText === undefined) throw new Error(withoutConfigMessage(file, rootAttrs, what));
  const savedConfig = parseModelConfig(configText, `The model_config of ${what}`);
  const savedLayers = kerasConfigToRead(savedConfig, what);
  const { modelConfig, adaptWeights } = adaptForTfjs(savedLayers, what, { keras3: isKeras3Config(savedConfig) });
  checkLayersSupported(modelConfig, what);
  const nestedModels = nestedModelNames(savedConfig);
  const weightsGroup = childGroup(file, 'model_weights', what);
  if (!weightsGroup) throw new Error(`${what} has a model config but no model_weights group: it holds no weights`);
  return {
    modelConfig,
    savedLayers,
    weights: adaptWeights(readLayerWeights(weightsGroup, nestedModels, normalizationLayers(savedConfig), what, bytes.length)),
    kerasVersion: textAttribute(rootAttrs.keras_version) ?? null,
    backend: textAttribute(rootAttrs.backend) ?? null,
    nestedModels: [...nestedModels],
  };
}

export function parseModelConfig(text: string, what: string): KerasConfig {
  if (text.length > MAX_CONFIG_CHARS) throw new Error(`${what} is ${text.length} characters long, more than a model config can be`);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  const shape = config as Partial<KerasConfig> | null;
  if (typeof shape?.class_name !== 'string' || typeof shape.config !== 'object' || shape.config === null) {
    throw new Error(`${what} is not a Keras model config ({"class_name": …, "config": …})`);
  }
  return config as KerasConfig;
}

/**
 * The config TF.js is given: Keras 3's form (model.save('x.h5') in Keras 3) rewritten in Keras 2's, and nested
 * models flattened into one graph.
 */
function kerasConfigToRead(saved: KerasConfig, what: string): KerasConfig {
  const keras2 = isKeras3Config(saved) ? keras2Config(saved, what) : saved;
  return hasNestedModels(keras2) ? flattenNestedModels(keras2, what) : keras2;
}

/**
 * Every layer's weights in `layer_names` order, each named `<layer>/<variable>` as TF.js names them. A nested
 * model's group holds its inner layers' weights, named by their own layers (`block1_conv1/kernel:0`).
 */
function readLayerWeights(group: Hdf5Group, nestedModels: Set<string>, normalizations: Set<string>, what: string, maxValues: number): KerasWeight[] {
  const layerNames = textListAttribute(attributes(group, what), 'layer_names', what);
  if (!layerNames) throw new Error(`${what}: model_weights has no layer_names attribute`);
  return layerNames.flatMap((layer) => {
    const layerGroup = childGroup(group, layer, what);
    if (!layerGroup) throw new Error(`${what}: layer ${layer} is listed in layer_names but model_weights has no group for it`);
    const weightNames = textListAttribute(attributes(layerGroup, what), 'weight_names', what) ?? [];
    return weightNames.flatMap((weightName) => {
      const owner = nestedModels.has(layer) ? (weightName.split('/').at(-2) ?? layer) : layer;
      // A Normalization's sample count (an integer) is not needed to normalise.
      if (normalizations.has(owner) && variableName(weightName) === 'count') return [];
      const dataset = childDataset(layerGroup, weightName, what);
      if (!dataset) throw new Error(`${what}: weight ${weightName} of layer ${layer} is listed in weight_names but missing`);
      const { shape, values } = readFloat32(dataset, what, maxValues);
      return [{ name: `${owner}/${variableName(weightName)}`, shape, values }];
    });
  });
}

/** The Normalization layers of a saved config, at any depth. */
function normalizationLayers(modelConfig: KerasConfig): Set<string> {
  const names = new Set<string>();
  for (const layer of configLayers(modelConfig)) {
    if (layer.class_name === 'Normalization') names.add(layerName(layer));
    if (MODEL_CLASSES.has(layer.class_name)) for (const inner of normalizationLayers({ class_name: layer.class_name, config: layer.config })) names.add(inner);
  }
  return names;
}

/** `block1_conv1/kernel:0` → `kernel`. */
function variableName(weightName: string): string {
  return weightName.split('/').at(-1)!.replace(/:\d+$/, '');
}

/** Why an HDF5 file without model_config is no model file: weights only (Keras 2 or 3), or not Keras at all. */
function withoutConfigMessage(file: Hdf5Group, rootAttrs: Record<string, unknown>, what: string): string {
  const keras2Weights = 'layer_names' in rootAttrs || 'layer_names0' in rootAttrs || file.keys.includes('model_weights');
  const keras3Weights = file.keys.includes('vars') || file.keys.includes('layers');
  if (keras2Weights || keras3Weights) {
    return `${what} holds only weights (written by save_weights), without the model config that says how the layers connect: ${SAVE_WHOLE_MODEL}`;
  }
  return `${what} is an HDF5 file but not a Keras model: it has no model_config attribute (${SAVE_WHOLE_MODEL})`;
}
