// The randomised copy of a model for the sanity check (sanity.ts), in each format the engine reads: the weights
// of the model's top weight-bearing layers are permuted (same values, structure destroyed), the rest kept
// byte for byte. "Top" is network order: a TF.js layers model's layer list, a TF.js graph model's topological
// order, an ONNX graph's node list (which the ONNX spec requires to be topologically sorted).
import type * as tf from '@tensorflow/tfjs-core';
import { GraphTopology, nodeName, type GraphNodeDef } from '../engine/runtimes/tfjs-graph/graph-topology';
import { ONNX_MODEL_FILE, bytesPerValue, weightBytes, type ModelFolder, type OnnxModelFolder } from '../engine/model-folder';
import { graphOf, onnx, type TensorProto } from '../engine/runtimes/onnx/graph-builder';
import { seededRandom } from './seeded-random';

export interface RandomizedModel {
  /** The model's files for a new folder (its settings and labels are the caller's to write). */
  files: { name: string; bytes: Uint8Array }[];
  /** The layers, graph nodes or ONNX nodes whose weights were permuted, in network order. */
  layers: string[];
}

/** A layer (or node) and the weights it holds, by their names in the model's files. */
interface WeightOwner {
  name: string;
  weights: string[];
}

const RANDOMIZED_SHARD = 'randomized-weights.bin';

/** `folder`'s model with the weights of its last `topLayers` weight-bearing layers permuted. */
export function randomizeModel(folder: ModelFolder | OnnxModelFolder, topLayers: number, seed: number): RandomizedModel {
  if (!Number.isInteger(topLayers) || topLayers < 1) throw new Error(`topLayers must be a whole number ≥ 1, not ${topLayers}`);
  switch (folder.format) {
    case 'onnx':
      return randomizeOnnx(folder, topLayers, seed);
    case 'layers':
      return randomizeTfjs(folder, layersModelOwners(folder), topLayers, seed);
    case 'graph':
      return randomizeTfjs(folder, graphModelOwners(folder), topLayers, seed);
  }
}

function lastOwners(owners: WeightOwner[], topLayers: number, where: string): WeightOwner[] {
  if (owners.length === 0) throw new Error(`The model in ${where} has no float weights to randomise`);
  return owners.slice(Math.max(0, owners.length - topLayers));
}

/** Layers of a Keras-style topology that hold weights (named `layer/…`), in the order model.json lists them. */
function layersModelOwners(folder: ModelFolder): WeightOwner[] {
  const byLayer = new Map<string, string[]>();
  for (const spec of floatSpecs(folder)) {
    const layer = spec.name.split('/')[0];
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), spec.name]);
  }
  return layerOrder(folder.artifacts.modelTopology).flatMap((name) => (byLayer.has(name) ? [{ name, weights: byLayer.get(name)! }] : []));
}

/** Layer names in topological order as model.json lists them (nested configs included). */
function layerOrder(topology: unknown): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const config = record.config as Record<string, unknown> | undefined;
    if (typeof record.class_name === 'string' && typeof config?.name === 'string' && !Array.isArray(config.layers)) names.push(config.name);
    Object.values(record).forEach(visit);
  };
  visit(topology);
  return names;
}

/** Nodes of a GraphDef that read float weights (Const nodes in the manifest), in topological order. */
function graphModelOwners(folder: ModelFolder): WeightOwner[] {
  const nodes = (folder.artifacts.modelTopology as { node?: GraphNodeDef[] } | undefined)?.node ?? [];
  const topology = new GraphTopology(nodes);
  const weights = new Set(floatSpecs(folder).map((spec) => spec.name));
  return withBiases(
    topology.order.flatMap((name) => {
      if (topology.op(name) === 'Const') return [];
      const inputs = [...new Set(topology.inputsOf(name).map(nodeName))];
      const read = inputs.filter((input) => weights.has(input));
      if (read.length === 0) return [];
      const biasOf = topology.op(name) === 'BiasAdd' ? inputs.find((input) => !weights.has(input)) : undefined;
      return [{ name, weights: read, biasOf }];
    }),
  );
}

/**
 * Weight-bearing nodes as layers: a bias added to a node's output right after it (a graph model's BiasAdd, an
 * ONNX Add of a vector after MatMul) is that layer's bias, not a layer of its own.
 */
function withBiases(nodes: (WeightOwner & { biasOf?: string })[]): WeightOwner[] {
  const owners: WeightOwner[] = [];
  for (const node of nodes) {
    const last = owners.at(-1);
    if (last && node.biasOf !== undefined && node.biasOf === last.name) last.weights.push(...node.weights);
    else owners.push({ name: node.name, weights: [...node.weights] });
  }
  return owners;
}

/** Weights worth permuting: float values (quantized or not), more than one of them. */
function floatSpecs(folder: ModelFolder): tf.io.WeightsManifestEntry[] {
  return (folder.artifacts.weightSpecs ?? []).filter((spec) => spec.dtype === 'float32' && spec.shape.reduce((a, b) => a * b, 1) > 1);
}

function randomizeTfjs(folder: ModelFolder, owners: WeightOwner[], topLayers: number, seed: number): RandomizedModel {
  const chosen = lastOwners(owners, topLayers, folder.dir);
  const randomized = new Set(chosen.flatMap((owner) => owner.weights));
  const { artifacts } = folder;
  if (!(artifacts.weightData instanceof ArrayBuffer)) throw new Error(`The weights of the model in ${folder.dir} are not one buffer`);
  const data = new Uint8Array(artifacts.weightData.slice(0));
  const specs = artifacts.weightSpecs ?? [];
  let offset = 0;
  specs.forEach((spec, i) => {
    const size = weightBytes(spec);
    if (randomized.has(spec.name)) shuffleElements(data.subarray(offset, offset + size), bytesPerValue(spec), seed + i);
    offset += size;
  });
  const modelJson = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [RANDOMIZED_SHARD], weights: specs }],
  };
  return {
    files: [
      { name: 'model.json', bytes: Buffer.from(JSON.stringify(modelJson)) },
      { name: RANDOMIZED_SHARD, bytes: data },
    ],
    layers: chosen.map((owner) => owner.name),
  };
}

/** Bytes per value of the ONNX tensor types that hold real numbers. */
const ONNX_FLOAT_BYTES = new Map<number, number>([
  [onnx.TensorProto.DataType.FLOAT, 4],
  [onnx.TensorProto.DataType.FLOAT16, 2],
  [onnx.TensorProto.DataType.BFLOAT16, 2],
  [onnx.TensorProto.DataType.DOUBLE, 8],
]);

/** Nodes that read float initializers of more than one value (Conv, Gemm, MatMul, BatchNormalization, …) are its layers. */
function randomizeOnnx(folder: OnnxModelFolder, topLayers: number, seed: number): RandomizedModel {
  const model = onnx.ModelProto.decode(folder.bytes);
  const graph = graphOf(model);
  const weights = new Map(
    graph.initializer
      .filter((tensor) => ONNX_FLOAT_BYTES.has(tensor.dataType ?? 0) && (tensor.dims ?? []).reduce<number>((a, b) => a * Number(b), 1) > 1)
      .map((tensor) => [tensor.name ?? '', tensor]),
  );
  const nameOf = (node: (typeof graph.node)[number]) => node.name || node.output[0];
  const producer = new Map(graph.node.flatMap((node) => node.output.map((output) => [output, nameOf(node)] as const)));
  const owners = withBiases(
    graph.node.flatMap((node) => {
      const read = [...new Set(node.input)].filter((input) => weights.has(input));
      if (read.length === 0) return [];
      const isBias = node.opType === 'Add' && read.length === 1 && weights.get(read[0])!.dims!.length === 1;
      const biasOf = isBias ? producer.get(node.input.find((input) => input !== read[0]) ?? '') : undefined;
      return [{ name: nameOf(node), weights: read, biasOf }];
    }),
  );
  const chosen = lastOwners(owners, topLayers, folder.file);
  [...new Set(chosen.flatMap((owner) => owner.weights))].forEach((name, i) => shuffleTensor(weights.get(name)!, seed + i));
  return { files: [{ name: ONNX_MODEL_FILE, bytes: onnx.ModelProto.encode(model).finish() }], layers: chosen.map((owner) => owner.name) };
}

/** Permutes a tensor's values wherever the file keeps them: raw bytes, or the typed lists. */
function shuffleTensor(tensor: TensorProto, seed: number): void {
  if (tensor.rawData && tensor.rawData.length > 0) {
    // Decoded bytes are views of the file's buffer (Buffer.slice too): permute a copy.
    const bytes = Uint8Array.from(tensor.rawData);
    shuffleElements(bytes, ONNX_FLOAT_BYTES.get(tensor.dataType ?? 0)!, seed);
    tensor.rawData = bytes;
    return;
  }
  for (const field of ['floatData', 'doubleData', 'int32Data'] as const) {
    const values = tensor[field];
    if (values && values.length > 0) {
      const copy = Array.from(values);
      shuffle(copy, seed);
      tensor[field] = copy;
      return;
    }
  }
}

/** Permutes the `elementSize`-byte values of `bytes` in place. */
function shuffleElements(bytes: Uint8Array, elementSize: number, seed: number): void {
  const aligned = new Uint8Array(bytes);
  const views: Record<number, () => { length: number; [index: number]: number | bigint }> = {
    1: () => aligned,
    2: () => new Uint16Array(aligned.buffer),
    4: () => new Uint32Array(aligned.buffer),
    8: () => new BigUint64Array(aligned.buffer),
  };
  shuffle(views[elementSize](), seed);
  bytes.set(aligned);
}

/** Fisher–Yates, seeded: the same copy for the same seed. */
function shuffle<T>(values: { length: number; [index: number]: T }, seed: number): void {
  const next = seededRandom(seed);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}
