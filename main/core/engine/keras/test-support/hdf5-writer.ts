// Writes HDF5 files for tests with h5wasm (the HDF5 C library itself, compiled to wasm, a devDependency): files in
// the layouts Keras writes, read back by the product's pure JavaScript reader.
import h5wasm, { type File as H5File } from 'h5wasm';

let fileCount = 0;

/** The bytes of an HDF5 file that `build` fills. */
export async function writeHdf5(build: (file: H5File) => void): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const name = `/test-${process.pid}-${fileCount++}.h5`;
  const file = new h5wasm.File(name, 'w');
  try {
    build(file);
  } finally {
    file.close();
  }
  const bytes = FS.readFile(name);
  FS.unlink(name);
  return bytes;
}

export interface NamedWeights {
  layer: string;
  /** `<layer>/<variable>` as Keras 2 names them, e.g. `conv1/kernel`. */
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

/**
 * Keras 2's weight groups (hdf5_format.save_weights_to_hdf5_group) into `group`: `layer_names`, then per layer
 * `weight_names` and one dataset per weight at `<layer>/<name>:0`.
 */
export function writeKeras2Weights(group: H5Group | H5File, layers: NamedWeights[]): void {
  group.create_attribute('layer_names', layers.map(({ layer }) => layer));
  group.create_attribute('backend', 'tensorflow');
  group.create_attribute('keras_version', '2.11.0');
  for (const { layer, weights } of layers) {
    const layerGroup = group.create_group(layer);
    layerGroup.create_attribute('weight_names', weights.map(({ name }) => `${name}:0`), [weights.length]);
    for (const { name, shape, values } of weights) {
      const parts = `${name}:0`.split('/');
      groupAt(layerGroup, parts.slice(0, -1)).create_dataset({ name: parts.at(-1)!, data: values, shape, dtype: '<f4' });
    }
  }
}

type H5Group = ReturnType<H5File['create_group']>;

/** The group at `names` below `group`, made where missing (h5wasm does not create intermediate groups). */
export function groupAt(group: H5Group | H5File, names: string[]): H5Group | H5File {
  let current = group;
  for (const name of names) current = current.keys().includes(name) ? (current.get(name) as H5Group) : current.create_group(name);
  return current;
}
