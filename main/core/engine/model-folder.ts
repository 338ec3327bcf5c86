// Reads a model from disk (tfjs-node's file:// handler is not available here): a TF.js model folder
// (model.json + shards, checked against its own manifest), or an ONNX model (a folder with model.onnx, or any
// .onnx file), and says exactly what is wrong when it does not fit. Every file is read through
// ConfinedFolder: inside the model's folder, regular files only, sizes checked before reading.
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type onnxProto from 'onnx-proto';
import { ConfinedFolder, describeBytes, readChecked, type ConfinedFile } from './confined-folder';
import { MAX_KERAS_FILE_BYTES, readKerasModel } from './keras/keras-file';
import { onnx, type TensorProto } from './runtimes/onnx/graph-builder';
import { PREPROCESSING_PRESETS, type PreprocessingPreset } from './preprocess';
import { RESIZE_MODES, type ResizeMode } from '../../../common/types';

/** Optional `sightline.json` next to model.json. */
export interface ModelSettings {
  /** Display name. */
  name?: string;
  inputSize?: number;
  preprocessing?: PreprocessingPreset;
  /** How photos are brought to the input size (done by the scan stage). */
  resize?: ResizeMode;
  /** Labels file in the folder, instead of labels.json / labels.txt: a JSON list, else one name per line. */
  labels?: string;
}

export interface ModelFolder {
  dir: string;
  /** A Keras-style layers model, or a TF.js graph model (a GraphDef: `format: graph-model`). */
  format: 'layers' | 'graph';
  artifacts: tf.io.ModelArtifacts;
  /** sha256 over model.json and every shard, in manifest order. */
  hash: string;
  /** sightline.json's name, else the folder's. */
  name: string;
  settings: ModelSettings;
  /** Class names from labels.json / labels.txt in the folder, when there is one. */
  labels: string[] | null;
  /** The model file when the model is one file (a Keras .h5 or .keras file), whose folder is `dir`. */
  file?: string;
}

type GraphDescription = onnxProto.onnx.IGraphProto;

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** An ONNX model (e.g. from torch.onnx.export), with the same optional sightline.json and labels in its folder. */
export interface OnnxModelFolder {
  dir: string;
  format: 'onnx';
  file: string;
  bytes: Uint8Array;
  /** sha256 of the .onnx file. */
  hash: string;
  /** sightline.json's name, else the folder's for model.onnx, else the file's without .onnx. */
  name: string;
  settings: ModelSettings;
  labels: string[] | null;
}

export const ONNX_MODEL_FILE = 'model.onnx';
const MODEL_JSON_FILE = 'model.json';
const SETTINGS_FILE = 'sightline.json';
const LABEL_FILES = ['labels.json', 'labels.txt'];

/** A model's weights: its shards together, or its .onnx file (a protobuf cannot hold more than 2 GiB either). */
export const MAX_MODEL_BYTES = 2 * 1024 ** 3;
/** model.json: a graph model lists every node of its GraphDef there. */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 ** 2;
/** sightline.json and a labels file (ImageNet-21k's names are about 0.5 MiB). */
export const MAX_SETTINGS_BYTES = 4 * 1024 ** 2;
/** The square input sizes Sightline feeds a model: one 2048² image is already 50 MB of float pixels. */
export const MIN_INPUT_SIZE = 8;
export const MAX_INPUT_SIZE = 2048;

/** Null when `size` is an input size Sightline feeds, else what is wrong with it. */
export function inputSizeProblem(size: number): string | null {
  if (Number.isInteger(size) && size >= MIN_INPUT_SIZE && size <= MAX_INPUT_SIZE) return null;
  return `Sightline feeds square images from ${MIN_INPUT_SIZE} to ${MAX_INPUT_SIZE} pixels on a side, not ${size}`;
}

/**
 * The model at `modelPath`, whichever kind it is: a folder (model.onnx wins over model.json), or a model
 * file, whose folder gives its sightline.json and labels.
 */
export function readAnyModelFolder(modelPath: string): ModelFolder | OnnxModelFolder {
  const stats = statSync(modelPath, { throwIfNoEntry: false });
  if (!stats || stats.isDirectory()) {
    const folder = ConfinedFolder.open(modelPath);
    const onnxFile = folder.locate(ONNX_MODEL_FILE, MAX_MODEL_BYTES, `${ONNX_MODEL_FILE} in ${folder.dir}`);
    return onnxFile ? readOnnxModel(folder, ONNX_MODEL_FILE, onnxFile) : readTfjsModel(folder);
  }
  switch (path.extname(modelPath).toLowerCase()) {
    case '.onnx':
      return readOnnxModelFile(modelPath);
    case '.h5':
    case '.hdf5':
    case '.keras':
      return readKerasModelFile(modelPath);
    default:
      throw new Error(
        `${modelPath} is not a model file Sightline reads: choose an .onnx, Keras .h5 or .keras file, or a folder that holds model.onnx or a TF.js model.json`,
      );
  }
}

/** A TF.js model folder (model.json and its shards). */
export function readModelFolder(dir: string): ModelFolder {
  return readTfjsModel(ConfinedFolder.open(dir));
}

/** A model given as a single file, up to `maxBytes`, inside its (real) folder, which holds its settings and labels. */
function locateModelFile(file: string, maxBytes: number): { folder: ConfinedFolder; fileName: string; located: ConfinedFile } {
  const real = realpathSync(file);
  const folder = ConfinedFolder.open(path.dirname(real));
  const fileName = path.basename(real);
  const located = folder.locate(fileName, maxBytes, `${fileName} in ${folder.dir}`);
  if (!located) throw new Error(`Model file ${file} does not exist`);
  return { folder, fileName, located };
}

/** Any .onnx file; its folder holds the settings and labels, if any. */
function readOnnxModelFile(file: string): OnnxModelFolder {
  const { folder, fileName, located } = locateModelFile(file, MAX_MODEL_BYTES);
  return readOnnxModel(folder, fileName, located);
}

/**
 * A Keras model file (keras/) as a layers model; its folder holds the settings and labels, if any. Preprocessing:
 * sightline.json's, else what the Keras config suggests.
 */
function readKerasModelFile(file: string): ModelFolder {
  const { folder, fileName, located } = locateModelFile(file, MAX_KERAS_FILE_BYTES);
  const keras = readKerasModel(readChecked(located.real, MAX_KERAS_FILE_BYTES, `${fileName} in ${folder.dir}`), fileName);
  const settings = readSettings(folder);
  return {
    dir: folder.dir,
    format: 'layers',
    artifacts: keras.artifacts,
    hash: keras.hash,
    name: settings.name ?? keras.name,
    settings: { ...settings, preprocessing: settings.preprocessing ?? keras.preprocessing?.preset },
    labels: readFolderLabels(folder, settings.labels),
    file: path.join(folder.dir, fileName),
  };
}

/**
 * An ONNX model and the folder's settings. Checks that the bytes are an ONNX model with a graph, one image
 * input and an output, its weights inside the file; what the graph computes is checked when ONNX Runtime
 * loads it (runtimes/onnx/onnx-model.ts).
 */
function readOnnxModel(folder: ConfinedFolder, fileName: string, located: ConfinedFile): OnnxModelFolder {
  const what = `${fileName} in ${folder.dir}`;
  const bytes = readChecked(located.real, MAX_MODEL_BYTES, what);
  const problem = onnxFileProblem(bytes);
  if (problem) throw new Error(`${what} is not a usable ONNX model: ${problem}`);
  const settings = readSettings(folder);
  const defaultName = fileName === ONNX_MODEL_FILE ? folderName(folder.dir) : path.basename(fileName, path.extname(fileName));
  return {
    dir: folder.dir,
    format: 'onnx',
    file: path.join(folder.dir, fileName),
    bytes,
    hash: createHash('sha256').update(bytes).digest('hex'),
    name: settings.name ?? defaultName,
    settings,
    labels: readFolderLabels(folder, settings.labels),
  };
}

/** Null when the bytes decode to an ONNX model that Sightline can read, else what stops it. */
function onnxFileProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'the file is empty';
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    return `its bytes are not an ONNX protobuf (${(error as Error).message})`;
  }
  const graph = model.graph;
  if (!graph?.node?.length) return 'it holds no graph';
  if (!graph.input?.length || !graph.output?.length) return 'its graph has no input or no output';
  const external = externalTensorNames(graph);
  if (external.length > 0) {
    const names = external.length > 3 ? `${external.slice(0, 3).join(', ')} and ${external.length - 3} more` : external.join(', ');
    return (
      `it keeps the weights of ${names} in external data files (data_location EXTERNAL), and Sightline reads weights ` +
      `only from inside the .onnx file: export it again with torch.onnx.export(..., external_data=False), or save it ` +
      `with onnx.save(model, path, save_as_external_data=False)`
    );
  }
  return imageInputProblem(graph);
}

/** Tensors whose values lie in other files: initializers, constants and those of subgraphs (If, Loop). */
function externalTensorNames(graph: GraphDescription): string[] {
  const names: string[] = [];
  const visitTensor = (tensor: TensorProto | null | undefined) => {
    if (tensor?.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) names.push(tensor.name || '(an unnamed tensor)');
  };
  const visitGraph = (current: GraphDescription) => {
    current.initializer?.forEach(visitTensor);
    current.sparseInitializer?.forEach((sparse) => [sparse.values, sparse.indices].forEach(visitTensor));
    for (const node of current.node ?? []) {
      for (const attribute of node.attribute ?? []) {
        visitTensor(attribute.t);
        attribute.tensors?.forEach(visitTensor);
        if (attribute.g) visitGraph(attribute.g);
        attribute.graphs?.forEach(visitGraph);
      }
    }
  };
  visitGraph(graph);
  return names;
}

/**
 * An RGB input, [N, 3, H, W] or channels-last [N, H, W, 3] (as onnx-model.ts tells them), with a fixed side outside
 * the sizes Sightline feeds; other shapes are onnx-model.ts's to judge.
 */
function imageInputProblem(graph: GraphDescription): string | null {
  const weights = new Set(graph.initializer?.map((tensor) => tensor.name));
  const input = graph.input?.find((value) => !weights.has(value.name));
  const dims = (input?.type?.tensorType?.shape?.dim ?? []).map((dim) => (dim.dimValue == null ? null : Number(dim.dimValue)));
  if (dims.length !== 4) return null;
  const channelsLast = dims[1] !== 3 && dims[3] === 3;
  if (dims[1] !== 3 && !channelsLast) return null;
  const [height, width] = channelsLast ? dims.slice(1, 3) : dims.slice(2, 4);
  const wrong = [height, width].find((side) => side !== null && inputSizeProblem(side) !== null);
  if (wrong === undefined) return null;
  return `its input ${input?.name} takes ${height ?? 'any'} × ${width ?? 'any'} images; ${inputSizeProblem(wrong as number)}`;
}

function readTfjsModel(folder: ConfinedFolder): ModelFolder {
  const { dir } = folder;
  const modelJsonBytes = folder.read(
    MODEL_JSON_FILE,
    MAX_MODEL_JSON_BYTES,
    `model.json in ${dir}`,
    `No model.json in ${dir}: a TF.js model folder holds model.json and its weight shards, an ONNX model folder holds ${ONNX_MODEL_FILE}`,
  );
  const modelJson = parseJson(modelJsonBytes.toString('utf8'), `model.json in ${dir}`) as Record<string, unknown>;
  const format = isGraphModel(modelJson) ? 'graph' : 'layers';
  if (typeof modelJson.modelTopology !== 'object' || modelJson.modelTopology === null) {
    throw new Error(`model.json in ${dir} has no modelTopology: it is not a TF.js model`);
  }
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`model.json in ${dir} has no weightsManifest list`);
  }
  const groups = modelJson.weightsManifest as ManifestGroup[];
  const shardFiles = locateShards(folder, groups);
  const hash = createHash('sha256').update(modelJsonBytes);
  const shards: Buffer[] = [];
  groups.forEach((group, groupIndex) => {
    const groupShards = group.paths.map((shardName, i) => readChecked(shardFiles[groupIndex][i].real, MAX_MODEL_BYTES, shardWhat(shardName)));
    checkGroupSize(group, groupIndex, groupShards);
    for (const shard of groupShards) hash.update(shard);
    shards.push(...groupShards);
  });
  const weightData = concatToArrayBuffer(shards);
  const settings = readSettings(folder);
  return {
    dir,
    format,
    artifacts: {
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: groups.flatMap((group) => group.weights),
      weightData,
      format: modelJson.format as string | undefined,
      generatedBy: modelJson.generatedBy as string | undefined,
      convertedBy: modelJson.convertedBy as string | null | undefined,
    },
    hash: hash.digest('hex'),
    name: settings.name ?? folderName(dir),
    settings,
    labels: readFolderLabels(folder, settings.labels),
  };
}

const shardWhat = (shardName: string) => `Weight shard ${shardName} named in model.json's weightsManifest`;

/** Every shard checked (inside the folder, a regular file) and their total size, before any is read. */
function locateShards(folder: ConfinedFolder, groups: ManifestGroup[]): ConfinedFile[][] {
  let total = 0;
  const files = groups.map((group, groupIndex) => {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights) || group.paths.some((name) => typeof name !== 'string')) {
      throw new Error(`model.json in ${folder.dir}: weightsManifest group ${groupIndex + 1} needs a "paths" list of file names and a "weights" list`);
    }
    return group.paths.map((shardName) => {
      const file = folder.locate(shardName, MAX_MODEL_BYTES, shardWhat(shardName));
      if (!file) throw new Error(`${shardWhat(shardName)} is missing from ${folder.dir}`);
      total += file.size;
      return file;
    });
  });
  if (total > MAX_MODEL_BYTES) {
    throw new Error(
      `The weight shards in ${folder.dir} are ${describeBytes(total)} together; Sightline reads models up to ${describeBytes(MAX_MODEL_BYTES)}`,
    );
  }
  return files;
}

/** `format: graph-model`, or a modelTopology that is a GraphDef (a list of nodes) rather than a Keras config. */
function isGraphModel(modelJson: Record<string, unknown>): boolean {
  const topology = modelJson.modelTopology as { node?: unknown } | null | undefined;
  return modelJson.format === 'graph-model' || Array.isArray(topology?.node);
}

function checkGroupSize(group: ManifestGroup, groupIndex: number, shards: Buffer[]): void {
  const expected = group.weights.reduce((sum, weight) => sum + weightBytes(weight), 0);
  const actual = shards.reduce((sum, shard) => sum + shard.length, 0);
  if (actual === expected) return;
  const names = group.weights.map((weight) => weight.name);
  const weightNames = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  const which =
    group.paths.length === 1 ? `Weight shard ${group.paths[0]} is` : `Weight shards ${group.paths.join(', ')} are`;
  throw new Error(
    `${which} ${actual} bytes, but weightsManifest group ${groupIndex + 1} expects ${expected} bytes for ${weightNames}`,
  );
}

/** Bytes one stored value of the weight takes (its quantized type when it is quantized). */
export function bytesPerValue(weight: tf.io.WeightsManifestEntry): number {
  const storedDtype = weight.quantization?.dtype ?? weight.dtype;
  const sizes: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  const size = sizes[storedDtype];
  if (size === undefined) throw new Error(`Weight ${weight.name} has unsupported dtype ${storedDtype}`);
  return size;
}

export function weightBytes(weight: tf.io.WeightsManifestEntry): number {
  return weight.shape.reduce((product, side) => product * side, 1) * bytesPerValue(weight);
}

function readSettings(folder: ConfinedFolder): ModelSettings {
  const { dir } = folder;
  const what = `${SETTINGS_FILE} in ${dir}`;
  const file = folder.locate(SETTINGS_FILE, MAX_SETTINGS_BYTES, what);
  if (!file) return {};
  const raw = parseJson(readChecked(file.real, MAX_SETTINGS_BYTES, what).toString('utf8'), what) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${what} must hold an object of settings`);
  const settings: ModelSettings = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !raw.name) throw new Error(`${what}: "name" must be a text`);
    settings.name = raw.name;
  }
  if (raw.inputSize !== undefined) {
    const problem = typeof raw.inputSize === 'number' ? inputSizeProblem(raw.inputSize) : 'it must be a whole number';
    if (problem) throw new Error(`${what}: "inputSize" ${JSON.stringify(raw.inputSize)} does not fit: ${problem}`);
    settings.inputSize = raw.inputSize as number;
  }
  if (raw.preprocessing !== undefined) {
    if (!PREPROCESSING_PRESETS.includes(raw.preprocessing as PreprocessingPreset)) {
      throw new Error(
        `${what}: "preprocessing" must be one of ${PREPROCESSING_PRESETS.join(', ')}, not ${JSON.stringify(raw.preprocessing)}`,
      );
    }
    settings.preprocessing = raw.preprocessing as PreprocessingPreset;
  }
  if (raw.resize !== undefined) {
    if (!RESIZE_MODES.includes(raw.resize as ResizeMode)) {
      throw new Error(`${what}: "resize" must be one of ${RESIZE_MODES.join(', ')}, not ${JSON.stringify(raw.resize)}`);
    }
    settings.resize = raw.resize as ResizeMode;
  }
  if (raw.labels !== undefined) {
    if (typeof raw.labels !== 'string' || !raw.labels) throw new Error(`${what}: "labels" must name a file`);
    settings.labels = raw.labels;
  }
  return settings;
}

/**
 * The named file, else labels.json or labels.txt. *.json: an array of names or of { name }, or PyTorch's dumps of a
 * class mapping, {"0": "cat", …} (idx_to_class) or {"cat": 0, …} (ImageFolder's class_to_idx); else one name per line.
 */
function readFolderLabels(folder: ConfinedFolder, named: string | undefined): string[] | null {
  const { dir } = folder;
  for (const fileName of named ? [named] : LABEL_FILES) {
    const what = named ? `${SETTINGS_FILE} in ${dir} names labels file ${fileName}, which` : `${fileName} in ${dir}`;
    const file = folder.locate(fileName, MAX_SETTINGS_BYTES, what);
    if (!file) {
      if (named) throw new Error(`${what} does not exist`);
      continue;
    }
    const text = readChecked(file.real, MAX_SETTINGS_BYTES, what).toString('utf8');
    if (!fileName.endsWith('.json')) return text.split(/\r?\n/).filter((line) => line.trim() !== '');
    const entries = classList(parseJson(text, `${fileName} in ${dir}`), `${fileName} in ${dir}`);
    return entries.map((entry: unknown) => labelName(entry, `${fileName} in ${dir}`));
  }
  return null;
}

/** A labels JSON as the list of its classes in index order; `what` names the file in errors. */
export function classList(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  const form =
    'must hold an array of class names, or a mapping of each class index to its name ({"0": "cat", …}) or of each name to its index ({"cat": 0, …})';
  if (typeof value !== 'object' || value === null) throw new Error(`${what} ${form}`);
  const pairs = Object.entries(value);
  const byIndex = pairs.every(([key]) => /^(0|[1-9]\d*)$/.test(key))
    ? pairs.map(([key, name]) => [Number(key), name] as const)
    : pairs.every(([, index]) => Number.isInteger(index))
      ? pairs.map(([name, index]) => [index as number, name] as const)
      : null;
  if (!byIndex || byIndex.length === 0) throw new Error(`${what} ${form}`);
  const names: unknown[] = new Array(byIndex.length);
  for (const [index, name] of byIndex) {
    if (index < 0 || index >= byIndex.length || names[index] !== undefined) {
      throw new Error(`${what} maps its classes to the indices ${byIndex.map(([i]) => i).sort((a, b) => a - b).join(', ')}; they must be 0 to ${byIndex.length - 1}, each once`);
    }
    names[index] = name;
  }
  return names;
}

export function labelName(entry: unknown, source: string): string {
  if (typeof entry === 'string') return entry;
  if (typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string') {
    return (entry as { name: string }).name;
  }
  throw new Error(`${source}: every label must be a text or an object with a "name"`);
}

function folderName(dir: string): string {
  return path.basename(path.resolve(dir));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function concatToArrayBuffer(buffers: Buffer[]): ArrayBuffer {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    out.set(buffer, offset);
    offset += buffer.length;
  }
  return out.buffer;
}
