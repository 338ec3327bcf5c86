// Keras 3 serialises a model's config differently from Keras 2 (serialization_lib, also in the .h5 files Keras 3
// writes): inbound nodes as {args: [__keras_tensor__ …], kwargs}, InputLayer's batch_shape, DTypePolicy objects,
// module/registered_name keys. TF.js reads the Keras 2 form; this rewrites one into the other.
import { configLayers, layerName, type KerasConfig, type KerasLayerConfig } from './keras-model';

/** True when the config is in Keras 3's form (any of its marks). */
export function isKeras3Config(modelConfig: KerasConfig): boolean {
  return configLayers(modelConfig).some(
    (layer) =>
      'module' in layer ||
      'batch_shape' in (layer.config ?? {}) ||
      (layer.inbound_nodes ?? []).some((node) => !Array.isArray(node)),
  );
}

/**
 * Keras 3's config in the Keras 2 form: inbound nodes as [layer, node, tensor, kwargs] lists, InputLayer's
 * batch_shape as batch_input_shape, dtype policies as dtype names, and no initializers, regularizers or
 * constraints (the weights are loaded; only the forward pass is used).
 */
export function keras2Config(saved: KerasConfig, what: string): KerasConfig {
  const layers = configLayers(saved).map((layer) => toKeras2Layer(layer, what));
  const { config } = saved;
  return {
    class_name: saved.class_name,
    config: {
      name: config.name,
      layers,
      ...('input_layers' in config && { input_layers: tensorList(config.input_layers) }),
      ...('output_layers' in config && { output_layers: tensorList(config.output_layers) }),
    },
  };
}

function toKeras2Layer(layer: KerasLayerConfig, what: string): KerasLayerConfig {
  const name = layerName(layer);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(layer.config ?? {})) {
    if (/_(initializer|regularizer|constraint)$/.test(key)) continue;
    config[key] = key === 'dtype' ? dtypeName(value) : value;
  }
  if (layer.class_name === 'InputLayer' && 'batch_shape' in config) {
    config.batch_input_shape = config.batch_shape;
    delete config.batch_shape;
  }
  if (typeof config.activation === 'object' && config.activation !== null) {
    throw new Error(`${what}: layer ${name} (${layer.class_name}) uses a custom activation, which cannot be loaded`);
  }
  return {
    class_name: layer.class_name,
    name,
    config,
    ...(layer.inbound_nodes && { inbound_nodes: layer.inbound_nodes.map((node) => inboundNode(node, name, what)) }),
  };
}

/** `{args: [keras tensors…], kwargs}` → `[[layer, node, tensor, {}], …]`; a Keras 2 node passes unchanged. */
function inboundNode(node: unknown, layer: string, what: string): unknown {
  if (Array.isArray(node)) return node;
  const args = (node as { args?: unknown } | null)?.args;
  const tensors: unknown[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (isKerasTensor(value)) tensors.push([...value.config.keras_history, {}]);
  };
  collect(args);
  if (tensors.length === 0) throw new Error(`${what}: layer ${layer} has an inbound node without input tensors`);
  return tensors;
}

function isKerasTensor(value: unknown): value is { config: { keras_history: [string, number, number] } } {
  const tensor = value as { class_name?: unknown; config?: { keras_history?: unknown } } | null;
  return tensor?.class_name === '__keras_tensor__' && Array.isArray(tensor.config?.keras_history);
}

/** `[name, 0, 0]` (one tensor) or `[[name, 0, 0], …]` → the list form. */
function tensorList(value: unknown): unknown {
  return Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
}

/** A DTypePolicy object → its variable dtype; mixed policies keep float32 variables. */
function dtypeName(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const policy = (value as { config?: { name?: unknown } }).config?.name;
  if (typeof policy !== 'string') return 'float32';
  return policy.startsWith('mixed_') ? 'float32' : policy;
}

