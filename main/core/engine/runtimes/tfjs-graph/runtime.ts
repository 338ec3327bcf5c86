// TF.js graph models (model.json with a GraphDef, `format: graph-model`, as tensorflowjs_converter writes
// them for SavedModels) on tfjs-converter's executor. One probe run on a zero image finds the logits and the
// nodes with a spatial 4-D output; the CAM pipeline is every runtime's (cam/pipeline.ts), with the graph as
// its network. The head is the same executor fed at the target node: tfjs-converter runs any subgraph whose
// inputs are fed, and every op it runs is a tfjs-core op on TF.js's tape, so tf.grad differentiates the
// model's own ops from A to the class scores, whatever they are. Nodes after the cut that read tensors from
// before it (skip connections) get those tensors from the forward run.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions; tfjs-layers registers all of them on import.
import '@tensorflow/tfjs-layers';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { CamNetwork, CamTarget, NetworkOutputs } from '../../cam/network';
import { explainBatch, type CamRequest, type ImageExplanation } from '../../cam/pipeline';
import { inputSizeProblem, type ModelFolder } from '../../model-folder';
import { resolveLabels } from '../../model';
import type { PixelBatch } from '../../preprocess';
import type { ExplainRuntime, RuntimeModel, RuntimeReport } from '../../runtime';
import { GraphTopology, nodeName, type GraphNodeDef } from './graph-topology';

type Candidate = RuntimeModel['candidateLayers'][number];

/** The graph model in `folder`; `layer` (a node name) replaces the default target node when given. */
export async function loadGraphRuntime(folder: ModelFolder, layer?: string): Promise<GraphRuntime> {
  const { dir } = folder;
  const nodes = (folder.artifacts.modelTopology as { node?: GraphNodeDef[] } | undefined)?.node;
  if (!Array.isArray(nodes)) throw new Error(`model.json in ${dir} is a graph model without a node list in its modelTopology`);
  let model: GraphModel;
  try {
    model = await loadGraphModel({ load: async () => folder.artifacts });
  } catch (error) {
    throw new Error(`Could not build the graph model in ${dir} from its model.json: ${(error as Error).message}`);
  }
  try {
    const runtime = GraphRuntime.create(folder, model, new GraphTopology(nodes), layer);
    if (layer !== undefined) runtime.target(layer);
    return runtime;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The graph model as the CAM pipeline's network: logits plus any named node outputs (NHWC, as TF keeps them). */
export class GraphNetwork implements CamNetwork<string> {
  constructor(
    private readonly model: GraphModel,
    readonly inputName: string,
    readonly logitsRef: string,
  ) {}

  async run(x: tf.Tensor4D, tensors: string[] = []): Promise<NetworkOutputs<string>> {
    const { logits, kept } = this.runSync(x, tensors);
    return { logits, kept };
  }

  /** `run` as it is: model.execute is synchronous. `outputShape` is the logits node's own shape. */
  runSync(x: tf.Tensor4D, tensors: string[] = []) {
    const inputNode = nodeName(this.inputName);
    const wanted = [...new Set(tensors)].filter((ref) => nodeName(ref) !== inputNode && ref !== this.logitsRef);
    // execute() returns one tensor, not a list, when asked for one output.
    const result = this.model.execute({ [this.inputName]: x }, [this.logitsRef, ...wanted]);
    const outputs = Array.isArray(result) ? result : [result];
    const [raw, ...rest] = outputs;
    const outputShape = raw.shape;
    const logits = tf.reshape(raw, [raw.shape[0], -1]) as tf.Tensor2D;
    raw.dispose();
    const byRef = new Map(wanted.map((ref, i) => [ref, rest[i]]));
    const kept = new Map<string, tf.Tensor>();
    for (const ref of tensors) {
      if (kept.has(ref)) continue;
      // The caller owns x; a head that reads the input directly gets its own handle to dispose.
      kept.set(ref, nodeName(ref) === inputNode ? x.clone() : ref === this.logitsRef ? logits.clone() : byRef.get(ref)!);
    }
    return { logits, kept, outputShape };
  }

  /** The logits [N, classes] from tensors fed at intermediate nodes (differentiable: tfjs-core ops only). */
  logitsFrom(feeds: tf.NamedTensorMap): tf.Tensor2D {
    const output = this.model.execute(feeds, this.logitsRef) as tf.Tensor;
    return tf.reshape(output, [output.shape[0], -1]);
  }
}

export class GraphRuntime implements ExplainRuntime {
  readonly report: RuntimeReport = { name: 'tfjs-graph' };
  private readonly targets = new Map<string, CamTarget<string>>();

  private constructor(
    readonly model: RuntimeModel,
    private readonly graphModel: GraphModel,
    private readonly topology: GraphTopology,
    readonly network: GraphNetwork,
  ) {}

  static create(folder: ModelFolder, graphModel: GraphModel, topology: GraphTopology, layer?: string): GraphRuntime {
    const { dir, settings } = folder;
    if (graphModel.inputs.length !== 1 || graphModel.outputs.length !== 1) {
      throw new Error(
        `The graph model in ${dir} has ${graphModel.inputs.length} inputs and ${graphModel.outputs.length} outputs; Sightline needs one image input and one class-score output`,
      );
    }
    const [input] = graphModel.inputs;
    const inputSize = checkInput(input, settings.inputSize, dir);
    const logits = topology.logitsOf(graphModel.outputs[0].name);
    const network = new GraphNetwork(graphModel, input.name, logits.ref);
    const { classCount, candidateLayers } = probe(network, topology, inputSize, dir);
    const lastSpatial = candidateLayers.at(-1)?.name;
    if (!lastSpatial) {
      throw new Error(
        `The graph model in ${dir} has no node with a spatial 4-D output [batch, height, width, channels] between its input and its class scores; Sightline explains image classifiers with convolutional feature maps`,
      );
    }
    const model: RuntimeModel = {
      name: settings.name ?? path.basename(path.resolve(dir)),
      hash: folder.hash,
      inputSize,
      preprocessing: settings.preprocessing ?? 'mobilenet',
      resizeMode: settings.resize ?? 'stretch',
      labels: resolveLabels(folder.labels, classCount, dir),
      candidateLayers,
      defaultLayer: layer ?? lastSpatial,
    };
    return new GraphRuntime(model, graphModel, topology, network);
  }

  async explainTensor(x: tf.Tensor4D, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return explainBatch(this.network, this.target(request.layer), x, request);
  }

  async explainPixels(batch: PixelBatch, request: CamRequest & { layer?: string }): Promise<ImageExplanation[]> {
    return explainBatch(this.network, this.target(request.layer), batch, request);
  }

  async dispose(): Promise<void> {
    this.targets.clear();
    this.graphModel.dispose();
  }

  /** The CAM target at a node (default: the model's default layer); throws when the node cannot be one. */
  target(layer: string = this.model.defaultLayer): CamTarget<string> {
    let target = this.targets.get(layer);
    if (target) return target;
    const candidate = this.model.candidateLayers.find((choice) => choice.name === layer);
    if (!candidate) {
      throw new Error(
        this.topology.has(layer)
          ? `Node ${layer} has no spatial 4-D output [batch, height, width, channels] on the way to the class scores and cannot be a CAM target`
          : `The model has no node named ${layer}; nodes with a spatial output: ${this.model.candidateLayers.map((choice) => choice.name).join(', ')}`,
      );
    }
    const { constants } = this.topology.cut(layer, nodeName(this.network.logitsRef));
    const network = this.network;
    target = {
      layer: candidate,
      tensor: layer,
      constants,
      head: (activations, fed) => {
        const feeds: tf.NamedTensorMap = { [layer]: activations };
        fed.forEach((tensor, ref) => (feeds[ref] = tensor));
        return network.logitsFrom(feeds);
      },
    };
    this.targets.set(layer, target);
    return target;
  }
}

function checkInput(input: tf.ModelTensorInfo, configuredSize: number | undefined, dir: string): number {
  const shape = input.shape;
  if (!shape || shape.length !== 4 || shape[3] !== 3 || input.dtype !== 'float32') {
    const described = shape ? `[${shape.map((side) => (side < 0 ? 'any' : side)).join(', ')}]` : 'unknown shape';
    throw new Error(
      `The graph model in ${dir} takes ${input.dtype} input ${input.name} of ${described}; Sightline needs a 4-D float RGB image batch [batch, height, width, 3]`,
    );
  }
  const [, height, width] = shape;
  if (configuredSize !== undefined) return configuredSize;
  if (!(height > 0) || height !== width) {
    throw new Error(
      `The graph model in ${dir} takes [${shape.map((side) => (side < 0 ? 'any' : side)).join(', ')}] images; set "inputSize" in its sightline.json to choose a square size`,
    );
  }
  const problem = inputSizeProblem(height);
  if (problem) throw new Error(`The graph model in ${dir} takes ${height} × ${width} images; ${problem}`);
  return height;
}

/**
 * One run on a zero image that returns the logits and every node between the input and the logits: the
 * class count, and the nodes whose output is a spatial 4-D float map, as [h, w, C], in network order.
 */
function probe(network: GraphNetwork, topology: GraphTopology, inputSize: number, dir: string) {
  const logitsNode = nodeName(network.logitsRef);
  const nodes = topology.between(nodeName(network.inputName), logitsNode);
  const x = tf.zeros([1, inputSize, inputSize, 3]) as tf.Tensor4D;
  let outputs: ReturnType<GraphNetwork['runSync']>;
  try {
    outputs = network.runSync(x, nodes);
  } catch (error) {
    throw new Error(`The graph model in ${dir} does not run on a ${inputSize}×${inputSize} image: ${(error as Error).message}`);
  } finally {
    x.dispose();
  }
  const { logits, kept, outputShape: rawShape } = outputs;
  const classCount = logits.shape[1];
  logits.dispose();
  const candidateLayers: Candidate[] = [];
  for (const name of nodes) {
    const tensor = kept.get(name)!;
    const [n, h, w, c] = tensor.shape;
    if (tensor.rank === 4 && tensor.dtype === 'float32' && n === 1 && h * w > 1) candidateLayers.push({ name, shape: [h, w, c] });
    tensor.dispose();
  }
  const dims = rawShape.slice(1);
  if (rawShape[0] !== 1 || dims.filter((side) => side !== 1).length !== 1 || !(classCount > 1)) {
    throw new Error(
      `The graph model in ${dir} outputs [${rawShape.join(', ')}] at ${logitsNode} for one image; Sightline needs a vector of class scores per image, [batch, classes]`,
    );
  }
  return { classCount, candidateLayers };
}
