// Transfer learning nests a whole model as one layer (`Sequential([VGG16(include_top=False), GlobalAveragePooling2D(),
// Dense(10)])`), which hides block5_conv3 from the CAM layers. A config in Keras 2's form (Keras 3's is first
// rewritten into it, keras3-config.ts) becomes one flat Functional graph: each nested model's layers take its place,
// its input layer replaced by the tensor it was called on, and what read its output reads the inner layer that made
// it. Keras 2 and Keras 3's .h5 store the nested model's weights under its own name with the inner layers' weight
// names, which is what h5-model.ts reads them by; a .keras file under layers/<model>/layers/… (keras-v3.ts).
import { configLayers, layerName, type KerasConfig, type KerasLayerConfig } from './keras-model';

export const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

/** [layer, node index, tensor index, kwargs], as Keras 2 writes a layer's inputs. */
type TensorRef = [string, number, number, unknown?];

export function hasNestedModels(modelConfig: KerasConfig): boolean {
  return configLayers(modelConfig).some((layer) => MODEL_CLASSES.has(layer.class_name));
}

/** Layers of the saved config that are whole models, at any depth. */
export function nestedModelNames(modelConfig: KerasConfig): Set<string> {
  const names = new Set<string>();
  for (const layer of configLayers(modelConfig)) {
    if (!MODEL_CLASSES.has(layer.class_name)) continue;
    names.add(layerName(layer));
    for (const inner of nestedModelNames({ class_name: layer.class_name, config: layer.config })) names.add(inner);
  }
  return names;
}

/** The model as one Functional graph without nested models; throws, naming the layer, what it cannot rewrite. */
export function flattenNestedModels(modelConfig: KerasConfig, what: string): KerasConfig {
  const functional = asFunctional(modelConfig, what);
  const layers: KerasLayerConfig[] = [];
  /** A nested model's name → the inner tensors its outputs are. */
  const outputsOf = new Map<string, TensorRef[]>();
  const resolve = (ref: TensorRef): TensorRef => {
    const outputs = outputsOf.get(ref[0]);
    if (!outputs) return ref;
    const inner = outputs[ref[2]];
    if (!inner) throw new Error(`${what}: a layer reads output ${ref[2]} of nested model ${ref[0]}, which has ${outputs.length}`);
    return [inner[0], inner[1], inner[2], ref[3] ?? {}];
  };
  for (const layer of configLayers(functional)) {
    const nodes = ((layer.inbound_nodes ?? []) as TensorRef[][]).map((node) => node.map(resolve));
    if (!MODEL_CLASSES.has(layer.class_name)) {
      layers.push({ ...layer, ...(layer.inbound_nodes && { inbound_nodes: nodes }) });
      continue;
    }
    const name = layerName(layer);
    if (nodes.length !== 1) throw new Error(`${what}: nested model ${name} is called ${nodes.length} times; Sightline reads models called once`);
    const inner = flattenNestedModels({ class_name: layer.class_name, config: layer.config }, what);
    const innerInputs = inner.config.input_layers as TensorRef[];
    if (innerInputs.length !== nodes[0].length) {
      throw new Error(`${what}: nested model ${name} takes ${innerInputs.length} inputs but is called on ${nodes[0].length}`);
    }
    const fedBy = new Map(innerInputs.map((input, i) => [input[0], nodes[0][i]]));
    for (const innerLayer of configLayers(inner)) {
      if (fedBy.has(layerName(innerLayer))) continue;
      const innerNodes = ((innerLayer.inbound_nodes ?? []) as TensorRef[][]).map((node) => node.map((ref) => fedBy.get(ref[0]) ?? ref));
      layers.push({ ...innerLayer, inbound_nodes: innerNodes });
    }
    outputsOf.set(name, (inner.config.output_layers as TensorRef[]).map((ref) => fedBy.get(ref[0]) ?? ref));
  }
  const names = layers.map(layerName);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new Error(`${what}: two layers are named ${repeated} once the nested models are unpacked`);
  return {
    class_name: 'Functional',
    config: {
      name: functional.config.name,
      layers,
      input_layers: functional.config.input_layers,
      output_layers: (functional.config.output_layers as TensorRef[]).map(resolve),
    },
  };
}

/** A Sequential config as the Functional chain it is; a Functional config unchanged. */
function asFunctional(modelConfig: KerasConfig, what: string): KerasConfig {
  if (modelConfig.class_name !== 'Sequential') return modelConfig;
  const modelName = String(modelConfig.config.name ?? 'sequential');
  const [first, ...rest] = configLayers(modelConfig).map((layer) => ({ ...layer, config: { ...layer.config } }));
  if (!first) throw new Error(`${what}: its Sequential model has no layers`);
  let input: KerasLayerConfig;
  const chain: KerasLayerConfig[] = [];
  if (first.class_name === 'InputLayer') {
    input = first;
  } else {
    const shape = MODEL_CLASSES.has(first.class_name) ? innerInputShape(first) : first.config.batch_input_shape;
    if (!Array.isArray(shape)) throw new Error(`${what}: the first layer of Sequential model ${modelName} has no input shape`);
    input = { class_name: 'InputLayer', name: `${modelName}_input`, config: { name: `${modelName}_input`, batch_input_shape: shape, dtype: 'float32' } };
    delete first.config.batch_input_shape;
    chain.push(first);
  }
  chain.push(...rest);
  const layers: KerasLayerConfig[] = [{ ...input, inbound_nodes: [] }];
  let previous = layerName(input);
  for (const layer of chain) {
    layers.push({ ...layer, name: layerName(layer), inbound_nodes: [[[previous, 0, 0, {}]]] });
    previous = layerName(layer);
  }
  return {
    class_name: 'Functional',
    config: { name: modelName, layers, input_layers: [[layerName(input), 0, 0]], output_layers: [[previous, 0, 0]] },
  };
}

/** The input shape of a nested model (its InputLayer's, or its first layer's when it is a Sequential without one). */
function innerInputShape(layer: KerasLayerConfig): unknown {
  const [first] = configLayers({ class_name: layer.class_name, config: layer.config });
  return first?.config.batch_input_shape;
}
