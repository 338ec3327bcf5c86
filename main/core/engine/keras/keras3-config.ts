// Keras 3 serialises a model's config differently from Keras 2 (serialization_lib, also in the .h5 files Keras 3
// writes): inbound nodes as {args: [__keras_tensor__ …], kwargs}, InputLayer's batch_shape, DTypePolicy objects,
// module/registered_name keys. TF.js reads the Keras 2 form; this rewrites one into the other.
import { configLayers, layerName, type KerasConfig, type KerasLayerConfig } from './keras-model';
import { MODEL_CLASSES } from './nested-models';

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
  if (isOperation(layer)) return scalarArithmetic(layer, name, what);
  if (MODEL_CLASSES.has(layer.class_name)) {
    // A model nested as a layer (transfer learning's base model): its own config converted the same way, for
    // flattenNestedModels to unpack.
    const nested = keras2Config({ class_name: layer.class_name, config: layer.config }, what);
    return {
      class_name: layer.class_name,
      name,
      config: nested.config,
      ...(layer.inbound_nodes && { inbound_nodes: layer.inbound_nodes.map((node) => inboundNode(node, name, what)) }),
    };
  }
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

/**
 * A Keras 3 operation applied to a symbolic tensor (`x + 3.0`, `ops.multiply(x, 0.5)`), saved as a layer of
 * module keras.src.ops.*. Its class name can be a layer's (`Add`, `Multiply`). The .h5 files Keras 3 writes drop
 * the module, so there an arithmetic operation is told from the merge layer of the same name by its call: the
 * layer takes one list of tensors, the operation two arguments.
 */
function isOperation(layer: KerasLayerConfig): boolean {
  if (typeof layer.module === 'string') return /^keras(\.src)?\.ops\b/.test(layer.module);
  if (!ARITHMETIC_OPERATIONS.has(layer.class_name)) return false;
  return (layer.inbound_nodes ?? []).some((node) => {
    const args = (node as { args?: unknown } | null)?.args;
    return Array.isArray(args) && (args.length !== 1 || typeof args[0] === 'number');
  });
}

const ARITHMETIC_OPERATIONS = new Set(['Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide']);

const ARITHMETIC: Record<string, (c: number, tensorFirst: boolean) => { scale: number; offset: number }> = {
  Add: (c) => ({ scale: 1, offset: c }),
  Subtract: (c, tensorFirst) => (tensorFirst ? { scale: 1, offset: -c } : { scale: -1, offset: c }),
  Multiply: (c) => ({ scale: c, offset: 0 }),
};

/**
 * A tensor and a number combined by +, −, × or ÷ (MobileNetV3's hard sigmoid is `relu6(x + 3) * (1 / 6)`) as the
 * Rescaling layer that computes it, x · scale + offset. Any other operation is refused by name: TF.js would
 * build the layer of the same class name and compute something else.
 */
function scalarArithmetic(layer: KerasLayerConfig, name: string, what: string): KerasLayerConfig {
  const [node, ...more] = layer.inbound_nodes ?? [];
  const args = (node as { args?: unknown } | undefined)?.args;
  const kwargs = (node as { kwargs?: unknown } | undefined)?.kwargs;
  const refuse = (why: string) =>
    new Error(
      `${what}: layer ${name} is the Keras operation ${layer.class_name}${layer.module ? ` (${layer.module})` : ''}${why && ` ${why}`}: Sightline converts ` +
        `a tensor combined with a number by +, −, × or ÷, and two tensors added or multiplied, nothing else: use Keras layers instead, or export the model to ONNX`,
    );
  if (more.length > 0 || !Array.isArray(args) || args.length !== 2 || (kwargs && Object.keys(kwargs).length > 0)) throw refuse('with these arguments');
  if (args.every(isKerasTensor) && (layer.class_name === 'Add' || layer.class_name === 'Multiply')) {
    // Two tensors added or multiplied (ConvNeXt's residual `x + block(x)`): the merge layer of the same name.
    return { class_name: layer.class_name, name, config: { name, trainable: false, dtype: 'float32' }, inbound_nodes: [args.map((t) => [...t.config.keras_history, {}])] };
  }
  const tensorFirst = isKerasTensor(args[0]);
  const [tensor, constant] = tensorFirst ? args : [args[1], args[0]];
  if (!isKerasTensor(tensor) || typeof constant !== 'number') throw refuse(isKerasTensor(constant) ? 'on two tensors' : 'on something other than a number');
  const className = layer.class_name === 'Divide' || layer.class_name === 'TrueDivide' ? 'Divide' : layer.class_name;
  let affine: { scale: number; offset: number };
  if (className === 'Divide') {
    if (!tensorFirst) throw refuse('dividing a number by a tensor');
    affine = { scale: 1 / constant, offset: 0 };
  } else {
    const make = ARITHMETIC[className];
    if (!make) throw refuse('');
    affine = make(constant, tensorFirst);
  }
  return { class_name: 'Rescaling', name, config: { name, trainable: false, dtype: 'float32', ...affine }, inbound_nodes: [[[...tensor.config.keras_history, {}]]] };
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

