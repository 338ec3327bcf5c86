// vgg16_mini.h5 nested as one layer of another model, as transfer learning saves it in Keras 2: a Functional model
// calling it on its own input, or a Sequential starting with it. Keras 2 keeps the nested model's weights in one
// group under its name, with the inner layers' weight names.
import { readKerasModel } from '../keras-file';
import { writeHdf5, writeKeras2Weights, type NamedWeights } from './hdf5-writer';

export async function nestedVggH5(vggH5: Uint8Array, outer: 'Functional' | 'Sequential'): Promise<Uint8Array> {
  const flat = readKerasModel(vggH5, 'vgg16_mini.h5');
  const vgg = (flat.artifacts.modelTopology as { model_config: { config: object } }).model_config;
  const input = { class_name: 'InputLayer', name: 'image', config: { name: 'image', batch_input_shape: [null, 224, 224, 3], dtype: 'float32' } };
  const nested = { class_name: 'Functional', name: 'vgg16', config: vgg.config };
  const config =
    outer === 'Functional'
      ? {
          class_name: 'Functional',
          config: {
            name: 'finetuned',
            layers: [{ ...input, inbound_nodes: [] }, { ...nested, inbound_nodes: [[['image', 0, 0, {}]]] }],
            input_layers: [['image', 0, 0]],
            output_layers: [['vgg16', 1, 0]],
          },
        }
      : { class_name: 'Sequential', config: { name: 'finetuned', layers: [input, nested] } };
  const data = new Float32Array(flat.artifacts.weightData as ArrayBuffer);
  let offset = 0;
  const inner: NamedWeights['weights'] = flat.artifacts.weightSpecs!.map(({ name, shape }) => {
    const count = shape.reduce((product, side) => product * side, 1);
    offset += count;
    return { name, shape, values: data.slice(offset - count, offset) };
  });
  return writeHdf5((file) => {
    file.create_attribute('model_config', JSON.stringify(config));
    writeKeras2Weights(file.create_group('model_weights'), [
      { layer: 'image', weights: [] },
      { layer: 'vgg16', weights: inner },
    ]);
  });
}
