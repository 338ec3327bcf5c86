// Loads a model folder into a layer graph that ends in logits, and works out what the engine needs to
// know about it: input size, preprocessing, labels and the layers a CAM can target.
import { readFileSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildLayerGraph, stripFinalSoftmax, type LayerGraph } from './layer-graph';
import { inputSizeProblem, labelName, readAnyModelFolder, type ModelFolder } from './model-folder';
import { imagenetLabelsFile } from './paths';
import './keras/tfjs-extensions';
import type { ModelInfo } from './types';

export interface LayerChoice {
  name: string;
  /** Output tensor id in the graph. */
  tensor: number;
  shape: [number, number, number];
}

/** What the engine reports of a model (ModelInfo) that loading a folder already knows, plus its layer graph. */
export interface LoadedModel extends Pick<ModelInfo, 'name' | 'hash' | 'inputSize' | 'preprocessing' | 'resizeMode' | 'labels'> {
  graph: LayerGraph;
  /** Layers with a spatial 4-D output, in network order. */
  spatialLayers: LayerChoice[];
  dispose(): void;
}

const IMAGENET_CLASSES = 1000;

/** The TF.js layers model at `modelPath` (its folder; a model file is refused with what it is). */
export async function loadModel(modelPath: string): Promise<LoadedModel> {
  const folder = readAnyModelFolder(modelPath);
  switch (folder.format) {
    case 'layers':
      return loadLayersFolder(folder);
    case 'graph':
      throw new Error(
        `model.json in ${folder.dir} is a TF.js graph model; loadModel reads TF.js layers models (the engine runs graph models ` +
          `through runtimes/tfjs-graph/runtime.ts)`,
      );
    case 'onnx':
      throw new Error(`${folder.file} is an ONNX model; loadModel reads TF.js layers models (the engine runs it on ONNX Runtime)`);
  }
}

/** A layers model folder already read (readAnyModelFolder). */
export async function loadLayersFolder(folder: ModelFolder): Promise<LoadedModel> {
  const { dir } = folder;
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel({ load: async () => folder.artifacts });
  } catch (error) {
    const source = folder.file ? `Could not build the model ${folder.file}` : `Could not build the model in ${dir} from its model.json`;
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  try {
    const graph = buildLayerGraph(model);
    const inputSize = checkInput(graph, folder.settings.inputSize, dir);
    const classCount = checkOutput(graph, dir);
    stripFinalSoftmax(graph);
    return {
      name: folder.name,
      hash: folder.hash,
      inputSize,
      preprocessing: folder.settings.preprocessing ?? 'mobilenet',
      resizeMode: folder.settings.resize ?? 'stretch',
      labels: resolveLabels(folder.labels, classCount, dir),
      graph,
      spatialLayers: spatialLayers(graph),
      dispose: () => model.dispose(),
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function checkInput(graph: LayerGraph, configuredSize: number | undefined, dir: string): number {
  const shape = graph.inputShape;
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new Error(
      `The model in ${dir} takes input of shape ${describe(shape)}; Sightline needs a 4-D RGB image batch [batch, height, width, 3]`,
    );
  }
  const [, height, width] = shape;
  if (configuredSize !== undefined) return configuredSize;
  if (height === null || width === null || height !== width) {
    throw new Error(
      `The model in ${dir} takes ${describe(shape)} images; set "inputSize" in its sightline.json to choose a square size`,
    );
  }
  const problem = inputSizeProblem(height);
  if (problem) throw new Error(`The model in ${dir} takes ${describe(shape)} images; ${problem}`);
  return height;
}

/** The output must be one vector of class scores per image, e.g. [batch, 1000] or [batch, 1, 1, 1000]. */
function checkOutput(graph: LayerGraph, dir: string): number {
  const dims = graph.outputShape.slice(1);
  const classCount = dims.reduce<number>((product, side) => product * (side ?? NaN), 1);
  if (dims.filter((side) => side !== 1).length !== 1 || !(classCount > 1)) {
    throw new Error(
      `The model in ${dir} outputs ${describe(graph.outputShape)}; Sightline needs a vector of class scores per image, [batch, classes]`,
    );
  }
  return classCount;
}

export function resolveLabels(folderLabels: string[] | null, classCount: number, dir: string): string[] {
  if (folderLabels) {
    if (folderLabels.length !== classCount) {
      throw new Error(`The labels file in ${dir} names ${folderLabels.length} classes, but the model has ${classCount} outputs`);
    }
    return folderLabels;
  }
  if (classCount === IMAGENET_CLASSES) {
    const file = imagenetLabelsFile();
    return (JSON.parse(readFileSync(file, 'utf8')) as unknown[]).map((entry) => labelName(entry, file));
  }
  return Array.from({ length: classCount }, (_, index) => `class ${index}`);
}

function spatialLayers(graph: LayerGraph): LayerChoice[] {
  const choices: LayerChoice[] = [];
  for (const op of graph.ops) {
    if (op.layer === null || op.outputs.length !== 1) continue;
    const shape = graph.shapes.get(op.outputs[0]);
    if (!shape || shape.length !== 4) continue;
    const [, h, w, c] = shape;
    if (h === null || w === null || c === null || h * w <= 1) continue;
    choices.push({ name: op.name, tensor: op.outputs[0], shape: [h, w, c] });
  }
  return choices;
}

function describe(shape: (number | null)[]): string {
  return `[${shape.map((side) => side ?? 'any').join(', ')}]`;
}
