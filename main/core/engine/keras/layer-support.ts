// Which Keras layers Sightline can build: the classes tfjs-layers registers. Anything else (a custom layer, a
// Keras layer TF.js does not have, a model nested as a layer, an option TF.js would ignore) is refused with the
// layers' names.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { configLayers, layerName, type KerasConfig, type KerasLayerConfig } from './keras-model';
import { MODEL_CLASSES } from './nested-models';


export function checkLayersSupported(modelConfig: KerasConfig, what: string): void {
  if (!MODEL_CLASSES.has(modelConfig.class_name)) {
    throw new Error(`${what} holds a ${modelConfig.class_name}, not a Keras Functional or Sequential model`);
  }
  const layers = configLayers(modelConfig);
  const nested = layers.filter((layer) => MODEL_CLASSES.has(layer.class_name));
  if (nested.length > 0) {
    throw new Error(
      `${what}: ${describe(nested)} ${nested.length === 1 ? 'is a whole model' : 'are whole models'} nested inside this one ` +
        `that Sightline could not unpack: build the model on the base model's own tensors, e.g. keras.Model(base.input, ` +
        `head(base.output)), and save that`,
    );
  }
  const known = registeredClasses();
  const unknown = layers.filter((layer) => !known.has(layer.class_name));
  if (unknown.length > 0) {
    throw new Error(
      `${what}: ${describe(unknown)}: TF.js layers has no such layer class (custom layers, and Keras layers that TF.js ` +
        `does not implement, cannot be loaded); replace ${unknown.length === 1 ? 'it' : 'them'} with built-in layers, or export the model to ONNX`,
    );
  }
  const ignored = layers.flatMap((layer) => {
    const option = optionTfjsIgnores(layer);
    return option ? [`layer ${layerName(layer)} (${layer.class_name}) sets ${option}`] : [];
  });
  if (ignored.length > 0) {
    throw new Error(`${what}: ${ignored.join(', ')}, which TF.js layers does not implement: the model would compute something else`);
  }
}

/** A Keras option that TF.js's layer of the same class would silently ignore, or null. */
function optionTfjsIgnores({ class_name: className, config }: KerasLayerConfig): string | null {
  if (typeof config.groups === 'number' && config.groups !== 1) return `groups=${config.groups} (a grouped convolution)`;
  if (className === 'ReLU') {
    const slope = Number(config.negative_slope ?? 0);
    const threshold = Number(config.threshold ?? 0);
    if (slope !== 0 || threshold !== 0) return `negative_slope=${slope}, threshold=${threshold}`;
  }
  if (typeof config.lora_rank === 'number' && config.lora_rank > 0) return `lora_rank=${config.lora_rank}`;
  if (className === 'LayerNormalization' && config.rms_scaling === true) return 'rms_scaling=True';
  return null;
}

function describe(layers: KerasLayerConfig[]): string {
  const named = layers.map((layer) => `layer ${layerName(layer)} (${layer.class_name})`);
  return named.length > 5 ? `${named.slice(0, 5).join(', ')} and ${named.length - 5} more` : named.join(', ');
}

function registeredClasses(): Set<string> {
  const map = tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, unknown> };
  return new Set(Object.keys(map.classNameMap));
}
