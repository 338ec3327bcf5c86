// Turns a TF.js layers model into a TF.js graph model folder, the way tensorflowjs_converter writes one for
// a SavedModel: model.json with `format: graph-model`, a GraphDef node list (Placeholder, Const and the TF
// ops that the Keras layers lower to) and one weight shard holding every Const. The tests use it to get
// graph models without Python, whose outputs must equal the layers model's.
// Attribute formats follow tfjs-converter's op mappers (operations/op_list/*.js and operation_mapper.js):
// lists as { list: { i: [...] } }, texts base64 in { s }, dtypes as { type: 'DT_FLOAT' }.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildLayerGraph } from '../../../layer-graph';

type Layer = tfl.SymbolicTensor['sourceLayer'];

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: GraphNodeDef[]; library: object; versions: { producer: number } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] }[];
}

export interface WrittenGraphModel {
  dir: string;
  /** Layer name → the graph node that computes the layer's output. */
  nodeOf: Map<string, string>;
  /** The ops written, each once, in order of first use. */
  ops: string[];
}

export const GRAPH_SHARD = 'group1-shard1of1.bin';

const FLOAT = { type: 'DT_FLOAT' };
const text = (value: string) => ({ s: Buffer.from(value).toString('base64') });
const ints = (values: number[]) => ({ list: { i: values.map(String) } });
const shapeAttr = (dims: number[]) => ({ dim: dims.map((size) => ({ size: String(size) })) });

export interface WriterOptions {
  /**
   * Write convolutions and dense layers with a bias as the fused ops of the converter's graph optimisation
   * (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul with BiasAdd and the activation), as it
   * does for SavedModels; default: the plain ops, one node per TF op.
   */
  fused?: boolean;
}

/** The GraphDef and weights of a layers model, without writing them. */
export function layersToGraph(
  model: tfl.LayersModel,
  options: WriterOptions = {},
): { json: GraphModelJson; weights: Uint8Array; nodeOf: Map<string, string> } {
  const graph = buildLayerGraph(model);
  const nodes: GraphNodeDef[] = [];
  const specs: GraphModelJson['weightsManifest'][0]['weights'] = [];
  const chunks: Uint8Array[] = [];
  const nameOfTensor = new Map<number, string>();
  const nodeOf = new Map<string, string>();

  const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string => {
    if (nodes.some((existing) => existing.name === name)) throw new Error(`Duplicate graph node ${name}`);
    nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
    return name;
  };
  const constant = (name: string, values: Float32Array | Int32Array, shape: number[]): string => {
    const dtype = values instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT';
    nodes.push({ name, op: 'Const', attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: shapeAttr(shape) } } } });
    specs.push({ name, shape, dtype: values instanceof Int32Array ? 'int32' : 'float32' });
    chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return name;
  };

  const inputName = model.inputs[0].sourceLayer.name;
  nodes.push({
    name: inputName,
    op: 'Placeholder',
    attr: { dtype: FLOAT, shape: { shape: shapeAttr(graph.inputShape.map((side) => side ?? -1)) } },
  });
  nameOfTensor.set(graph.input, inputName);

  for (const op of graph.ops) {
    const inputs = op.inputs.map((id) => nameOfTensor.get(id)!);
    const output = op.layer === null ? inputs[0] : lowerLayer(op.layer, inputs, { node, constant, fused: options.fused ?? false });
    op.outputs.forEach((id) => nameOfTensor.set(id, output));
    nodeOf.set(op.name, output);
  }
  const outputName = nameOfTensor.get(graph.output)!;
  node('Identity', 'Identity', [outputName]);

  const weights = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  chunks.reduce((offset, chunk) => (weights.set(chunk, offset), offset + chunk.length), 0);
  return {
    json: {
      format: 'graph-model',
      generatedBy: '2.15.0',
      convertedBy: 'Sightline test-support graph-model-writer',
      modelTopology: { node: nodes, library: {}, versions: { producer: 1645 } },
      weightsManifest: [{ paths: [GRAPH_SHARD], weights: specs }],
    },
    weights,
    nodeOf,
  };
}

/** Writes the graph model of `model` to `dir` (model.json + one shard). */
export function writeGraphModelFolder(model: tfl.LayersModel, dir: string, options: WriterOptions = {}): WrittenGraphModel {
  const { json, weights, nodeOf } = layersToGraph(model, options);
  writeGraphJson(dir, json, weights);
  return { dir, nodeOf, ops: [...new Set(json.modelTopology.node.map((node) => node.op))] };
}

export function writeGraphJson(dir: string, json: GraphModelJson, weights: Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(path.join(dir, GRAPH_SHARD), weights);
}

/** A weight's name without the counter TF.js appends to repeated names. */
export function baseName(weightName: string): string {
  return weightName.replace(/_\d+$/, '');
}

interface Emit {
  node(name: string, op: string, input: string[], attr?: Record<string, unknown>): string;
  constant(name: string, values: Float32Array | Int32Array, shape: number[]): string;
  fused: boolean;
}

/** Emits the nodes of one layer call and returns the node holding its output. */
function lowerLayer(layer: Layer, inputs: string[], emit: Emit): string {
  const config = layer.getConfig() as Record<string, unknown>;
  const className = layer.getClassName();
  const scope = layer.name;
  const weight = (suffix: string) => {
    // A second model with the same layer names gets weight names with a counter: stem_bn/moving_mean_1.
    const found = layer.weights.find((w) => baseName(w.name).endsWith(`/${suffix}`));
    if (!found) return null;
    return emit.constant(`${scope}/${suffix}`, found.read().dataSync() as Float32Array, found.shape as number[]);
  };
  /** The op with bias and activation: plain nodes, or one fused node (with a separate Softmax). */
  const linearOp = (op: string, fusedOp: string, kernel: string, attr: Record<string, unknown>) => {
    const activationName = String(config.activation ?? 'linear');
    const fusedActivation = FUSED_ACTIVATIONS[activationName];
    if (!emit.fused || !config.useBias || fusedActivation === undefined) {
      return withBiasAndActivation(emit.node(`${scope}/${op}`, op, [inputs[0], weight(kernel)!], attr));
    }
    const fusedOps = ['BiasAdd', ...(fusedActivation ? [fusedActivation] : [])];
    const fusedNode = emit.node(`${scope}/${fusedOps.at(-1)}`, fusedOp, [inputs[0], weight(kernel)!, weight('bias')!], {
      ...attr,
      fused_ops: { list: { s: fusedOps.map((name) => text(name).s) } },
      num_args: { i: '1' },
      epsilon: { f: 0 },
    });
    return activationName === 'softmax' ? activation(scope, 'softmax', fusedNode, emit) : fusedNode;
  };
  const withBiasAndActivation = (raw: string) => {
    let out = raw;
    if (config.useBias) out = emit.node(`${scope}/BiasAdd`, 'BiasAdd', [out, weight('bias')!], { data_format: text('NHWC') });
    return activation(scope, String(config.activation ?? 'linear'), out, emit);
  };
  const padding = () => text(String(config.padding).toUpperCase());
  const pair = (value: unknown) => (Array.isArray(value) ? (value as number[]) : [value as number, value as number]);

  switch (className) {
    case 'Conv2D':
      return linearOp('Conv2D', '_FusedConv2D', 'kernel', {
        strides: ints([1, ...pair(config.strides), 1]),
        padding: padding(),
        data_format: text('NHWC'),
        dilations: ints([1, ...pair(config.dilationRate ?? 1), 1]),
        explicit_paddings: { list: {} },
        use_cudnn_on_gpu: { b: true },
      });
    case 'DepthwiseConv2D':
      return linearOp('DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'depthwise_kernel', {
        strides: ints([1, ...pair(config.strides), 1]),
        padding: padding(),
        data_format: text('NHWC'),
        dilations: ints([1, ...pair(config.dilationRate ?? 1), 1]),
        explicit_paddings: { list: {} },
      });
    case 'Dense':
      return linearOp('MatMul', '_FusedMatMul', 'kernel', { transpose_a: { b: false }, transpose_b: { b: false } });
    case 'BatchNormalization': {
      const channels = (layer.weights.find((w) => baseName(w.name).endsWith('/moving_mean'))!.shape as number[])[0];
      const gamma = weight('gamma') ?? emit.constant(`${scope}/gamma`, new Float32Array(channels).fill(1), [channels]);
      const beta = weight('beta') ?? emit.constant(`${scope}/beta`, new Float32Array(channels), [channels]);
      return emit.node(
        `${scope}/FusedBatchNormV3`,
        'FusedBatchNormV3',
        [inputs[0], gamma, beta, weight('moving_mean')!, weight('moving_variance')!],
        { U: FLOAT, epsilon: { f: config.epsilon as number }, data_format: text('NHWC'), is_training: { b: false } },
      );
    }
    case 'Activation':
      return activation(scope, String(config.activation), inputs[0], emit);
    case 'ReLU': {
      if (config.negativeSlope || config.threshold) throw new Error(`ReLU layer ${scope} with a slope or threshold is not written`);
      if (config.maxValue === 6) return emit.node(`${scope}/Relu6`, 'Relu6', [inputs[0]]);
      if (config.maxValue == null) return emit.node(`${scope}/Relu`, 'Relu', [inputs[0]]);
      throw new Error(`ReLU layer ${scope} with max_value ${String(config.maxValue)} is not written`);
    }
    case 'ZeroPadding2D': {
      const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
      const paddings = emit.constant(`${scope}/Pad/paddings`, new Int32Array([0, 0, top, bottom, left, right, 0, 0]), [4, 2]);
      return emit.node(`${scope}/Pad`, 'Pad', [inputs[0], paddings], { Tpaddings: { type: 'DT_INT32' } });
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const op = className === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool';
      const size = pair(config.poolSize);
      return emit.node(`${scope}/${op}`, op, [inputs[0]], {
        ksize: ints([1, ...size, 1]),
        strides: ints([1, ...pair(config.strides ?? size), 1]),
        padding: padding(),
        data_format: text('NHWC'),
      });
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const op = className === 'GlobalAveragePooling2D' ? 'Mean' : 'Max';
      const axes = emit.constant(`${scope}/${op}/reduction_indices`, new Int32Array([1, 2]), [2]);
      return emit.node(`${scope}/${op}`, op, [inputs[0], axes], { keep_dims: { b: Boolean(config.keepDims) }, Tidx: { type: 'DT_INT32' } });
    }
    case 'Reshape':
    case 'Flatten': {
      // The converter writes the static shape after the batch axis, as Keras computed it.
      const target = (layer.outputShape as number[]).slice(1);
      const shape = emit.constant(`${scope}/Reshape/shape`, new Int32Array([-1, ...target]), [target.length + 1]);
      return emit.node(`${scope}/Reshape`, 'Reshape', [inputs[0], shape], { Tshape: { type: 'DT_INT32' } });
    }
    case 'Dropout':
      return emit.node(`${scope}/Identity`, 'Identity', [inputs[0]]);
    case 'Add': {
      let sum = inputs[0];
      for (let i = 1; i < inputs.length; i++) sum = emit.node(i === inputs.length - 1 ? `${scope}/add` : `${scope}/add_${i}`, 'AddV2', [sum, inputs[i]]);
      return sum;
    }
    case 'Multiply': {
      let product = inputs[0];
      for (let i = 1; i < inputs.length; i++) product = emit.node(i === inputs.length - 1 ? `${scope}/mul` : `${scope}/mul_${i}`, 'Mul', [product, inputs[i]]);
      return product;
    }
    case 'Concatenate': {
      const axis = emit.constant(`${scope}/concat/axis`, new Int32Array([(config.axis as number) ?? -1]), []);
      return emit.node(`${scope}/concat`, 'ConcatV2', [...inputs, axis], { N: { i: String(inputs.length) }, Tidx: { type: 'DT_INT32' } });
    }
    default:
      throw new Error(`Layer ${scope} is a ${className}, which the graph-model writer does not handle`);
  }
}

/** Activations the converter fuses into a convolution or MatMul ('' = none); softmax stays a node of its own. */
const FUSED_ACTIVATIONS: Record<string, string> = { linear: '', softmax: '', relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid' };

const ACTIVATION_OPS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', softmax: 'Softmax', sigmoid: 'Sigmoid', tanh: 'Tanh', elu: 'Elu' };

function activation(scope: string, name: string, input: string, emit: Emit): string {
  if (name === 'linear') return input;
  const op = ACTIVATION_OPS[name];
  if (!op) throw new Error(`Activation ${name} of layer ${scope} is not written`);
  return emit.node(`${scope}/${op}`, op, [input]);
}
