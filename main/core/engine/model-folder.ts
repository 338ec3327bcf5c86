// Reads a model folder from disk (tfjs-node's file:// handler is not available here): a TF.js model
// (model.json + shards, checked against its own manifest) or an ONNX model (model.onnx), and says exactly
// what is wrong when it does not fit.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { onnx } from './onnx/graph-builder';
import { PREPROCESSING_PRESETS, type PreprocessingPreset } from './preprocess';
import { RESIZE_MODES, type ResizeMode } from './types';

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
  settings: ModelSettings;
  /** Class names from labels.json / labels.txt in the folder, when there is one. */
  labels: string[] | null;
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** A folder with `model.onnx` (e.g. from torch.onnx.export), with the same optional sightline.json and labels. */
export interface OnnxModelFolder {
  dir: string;
  format: 'onnx';
  file: string;
  bytes: Uint8Array;
  /** sha256 of model.onnx. */
  hash: string;
  settings: ModelSettings;
  labels: string[] | null;
}

const LABEL_FILES = ['labels.json', 'labels.txt'];
export const ONNX_MODEL_FILE = 'model.onnx';

/** The folder's model, whichever kind it is; model.onnx wins over model.json. */
export function readAnyModelFolder(dir: string): ModelFolder | OnnxModelFolder {
  requireFolder(dir);
  return existsSync(path.join(dir, ONNX_MODEL_FILE)) ? readOnnxModelFolder(dir) : readModelFolder(dir);
}

/**
 * model.onnx and the folder's settings. Checks that the bytes are an ONNX model with a graph, one image input
 * and an output; what the graph computes is checked when ONNX Runtime loads it (onnx/onnx-model.ts).
 */
export function readOnnxModelFolder(dir: string): OnnxModelFolder {
  requireFolder(dir);
  const file = path.join(dir, ONNX_MODEL_FILE);
  if (!existsSync(file)) throw new Error(`No ${ONNX_MODEL_FILE} in ${dir}`);
  const bytes = new Uint8Array(readFileSync(file));
  const problem = onnxFileProblem(bytes);
  if (problem) throw new Error(`${ONNX_MODEL_FILE} in ${dir} is not a usable ONNX model: ${problem}`);
  const settings = readSettings(dir);
  return {
    dir,
    format: 'onnx',
    file,
    bytes,
    hash: createHash('sha256').update(bytes).digest('hex'),
    settings,
    labels: readFolderLabels(dir, settings.labels),
  };
}

/** Null when the bytes decode to an ONNX model with a graph that has nodes, an input and an output. */
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
  return null;
}

function requireFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`Model folder ${dir} does not exist`);
}

export function readModelFolder(dir: string): ModelFolder {
  requireFolder(dir);
  const modelJsonPath = path.join(dir, 'model.json');
  if (!existsSync(modelJsonPath)) {
    throw new Error(
      `No model.json in ${dir}: a TF.js model folder holds model.json and its weight shards, an ONNX model folder holds ${ONNX_MODEL_FILE}`,
    );
  }
  const modelJsonBytes = readFileSync(modelJsonPath);
  const modelJson = parseJson(modelJsonBytes.toString('utf8'), `model.json in ${dir}`) as Record<string, unknown>;
  const format = isGraphModel(modelJson) ? 'graph' : 'layers';
  if (typeof modelJson.modelTopology !== 'object' || modelJson.modelTopology === null) {
    throw new Error(`model.json in ${dir} has no modelTopology: it is not a TF.js model`);
  }
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`model.json in ${dir} has no weightsManifest list`);
  }
  const groups = modelJson.weightsManifest as ManifestGroup[];
  const hash = createHash('sha256').update(modelJsonBytes);
  const shards: Buffer[] = [];
  groups.forEach((group, groupIndex) => {
    const groupShards = group.paths.map((shardName) => {
      const shardPath = path.join(dir, shardName);
      if (!existsSync(shardPath)) {
        throw new Error(`Weight shard ${shardName} named in model.json's weightsManifest is missing from ${dir}`);
      }
      return readFileSync(shardPath);
    });
    checkGroupSize(group, groupIndex, groupShards);
    for (const shard of groupShards) hash.update(shard);
    shards.push(...groupShards);
  });
  const weightData = concatToArrayBuffer(shards);
  const settings = readSettings(dir);
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
    settings,
    labels: readFolderLabels(dir, settings.labels),
  };
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

function weightBytes(weight: tf.io.WeightsManifestEntry): number {
  const count = weight.shape.reduce((product, side) => product * side, 1);
  const storedDtype = weight.quantization?.dtype ?? weight.dtype;
  const bytesPerValue: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  const size = bytesPerValue[storedDtype];
  if (size === undefined) throw new Error(`Weight ${weight.name} has unsupported dtype ${storedDtype}`);
  return count * size;
}

function readSettings(dir: string): ModelSettings {
  const file = path.join(dir, 'sightline.json');
  if (!existsSync(file)) return {};
  const raw = parseJson(readFileSync(file, 'utf8'), `sightline.json in ${dir}`) as Record<string, unknown>;
  const settings: ModelSettings = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !raw.name) throw new Error(`sightline.json in ${dir}: "name" must be a text`);
    settings.name = raw.name;
  }
  if (raw.inputSize !== undefined) {
    if (!Number.isInteger(raw.inputSize) || (raw.inputSize as number) < 1) {
      throw new Error(`sightline.json in ${dir}: "inputSize" must be a positive whole number`);
    }
    settings.inputSize = raw.inputSize as number;
  }
  if (raw.preprocessing !== undefined) {
    if (!PREPROCESSING_PRESETS.includes(raw.preprocessing as PreprocessingPreset)) {
      throw new Error(
        `sightline.json in ${dir}: "preprocessing" must be one of ${PREPROCESSING_PRESETS.join(', ')}, not ${JSON.stringify(raw.preprocessing)}`,
      );
    }
    settings.preprocessing = raw.preprocessing as PreprocessingPreset;
  }
  if (raw.resize !== undefined) {
    if (!RESIZE_MODES.includes(raw.resize as ResizeMode)) {
      throw new Error(`sightline.json in ${dir}: "resize" must be one of ${RESIZE_MODES.join(', ')}, not ${JSON.stringify(raw.resize)}`);
    }
    settings.resize = raw.resize as ResizeMode;
  }
  if (raw.labels !== undefined) {
    if (typeof raw.labels !== 'string' || !raw.labels) throw new Error(`sightline.json in ${dir}: "labels" must name a file`);
    if (!existsSync(path.join(dir, raw.labels))) throw new Error(`sightline.json in ${dir} names labels file ${raw.labels}, which does not exist`);
    settings.labels = raw.labels;
  }
  return settings;
}

/** The named file, else labels.json or labels.txt. *.json: an array of names or of { name }; else one name per line. */
function readFolderLabels(dir: string, named: string | undefined): string[] | null {
  for (const fileName of named ? [named] : LABEL_FILES) {
    const file = path.join(dir, fileName);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (!fileName.endsWith('.json')) return text.split(/\r?\n/).filter((line) => line.trim() !== '');
    const entries = parseJson(text, `${fileName} in ${dir}`);
    if (!Array.isArray(entries)) throw new Error(`${fileName} in ${dir} must hold an array of class names`);
    return entries.map((entry: unknown) => labelName(entry, `${fileName} in ${dir}`));
  }
  return null;
}

export function labelName(entry: unknown, source: string): string {
  if (typeof entry === 'string') return entry;
  if (typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string') {
    return (entry as { name: string }).name;
  }
  throw new Error(`${source}: every label must be a text or an object with a "name"`);
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
