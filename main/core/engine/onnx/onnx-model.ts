// ONNX classifiers loaded as they are (e.g. from torch.onnx.export): input [N, 3, H, W], one output of
// class scores. Candidate CAM layers are the float tensors with a spatial 4-D shape, found by one probe
// run that returns every node output. Gradient-free methods work for any graph; gradient methods need a
// head that onnx-head.ts can rebuild in TF.js, and say what stops them otherwise.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { OnnxExplainer, type OnnxPathOptions } from './explainer';
import { graphOf, onnx, type ModelProto } from './graph-builder';
import { OnnxNetwork } from './network';
import { buildOnnxHead } from './onnx-head';
import type { OnnxTarget } from './pipeline';
import { selectProvider } from './providers';

export interface OnnxModelInfo {
  inputSize: number;
  /** Length of the class-score output. */
  classCount: number;
  /** ONNX models come from PyTorch more often than not: ImageNet mean/std on 0‥1 pixels. */
  preprocessing: 'torch';
  /** Tensors with a spatial 4-D output, in graph order, as [h, w, C]; the last is the default. */
  candidateLayers: { name: string; shape: [number, number, number] }[];
}

export interface OnnxModelOptions extends OnnxPathOptions {
  /** The square size to feed when the model's input height and width are not fixed (sightline.json). */
  inputSize?: number;
}

export function loadOnnxModel(file: string, options: OnnxModelOptions = {}): Promise<{ explainer: OnnxExplainer; info: OnnxModelInfo }> {
  return loadOnnxModelBytes(readFileSync(file), file, options);
}

/** `bytes` of an ONNX model; `source` names it in messages (a file path). */
export async function loadOnnxModelBytes(
  bytes: Uint8Array,
  source: string,
  options: OnnxModelOptions = {},
): Promise<{ explainer: OnnxExplainer; info: OnnxModelInfo }> {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`${source} is not an ONNX model: ${(error as Error).message}`);
  }
  if (!model.graph) throw new Error(`${source} is not an ONNX model: it holds no graph`);
  const provider = await selectProvider(options.provider);
  const network = new OnnxNetwork(model, { provider: provider.name, threads: options.threads });
  const inputSize = squareImageInput(model, network.inputName, source, options.inputSize);
  const { candidateLayers, classCount } = await probe(model, network, inputSize, source);
  if (candidateLayers.length === 0) throw new Error(`${source} has no tensor with a spatial 4-D output to explain`);
  const findTarget = (layer: string | undefined): OnnxTarget => {
    const choice = layer === undefined ? candidateLayers.at(-1) : candidateLayers.find((c) => c.name === layer);
    if (!choice) {
      throw new Error(`The ONNX model has no spatial 4-D tensor named ${layer}; candidates: ${candidateLayers.map((c) => c.name).join(', ')}`);
    }
    const head = buildOnnxHead(model, choice.name, network.logitsName);
    return {
      layer: choice,
      tensor: choice.name,
      constants: typeof head === 'string' ? [] : head.constants,
      head: typeof head === 'string' ? head : head.logits,
    };
  };
  const info = { inputSize, classCount, preprocessing: 'torch' as const, candidateLayers };
  return { explainer: new OnnxExplainer(provider, network, findTarget), info };
}

/** The input's side: fixed square dims, or `configured` where height and width are free (and then only). */
function squareImageInput(model: ModelProto, inputName: string, source: string, configured: number | undefined): number {
  const input = graphOf(model).input.find((value) => value.name === inputName);
  const declared = input?.type?.tensorType?.shape?.dim ?? [];
  const dims = declared.map((dim) => (dim.dimValue == null ? null : Number(dim.dimValue)));
  const [, channels, height, width] = dims;
  // Free dimensions by their names (e.g. "batch"), as the exporter wrote them.
  const shape = `[${declared.map((dim, i) => dims[i] ?? (dim.dimParam || '?')).join(', ')}]`;
  if (dims.length === 4 && channels === 3 && height == null && width == null && configured !== undefined) return configured;
  if (dims.length !== 4 || channels !== 3 || height == null || height !== width) {
    const hint = dims.length === 4 && channels === 3 && height == null && width == null ? ' (or set "inputSize" in sightline.json)' : '';
    throw new Error(`${source} takes input ${inputName} of shape ${shape}; Sightline needs a square RGB batch [N, 3, size, size]${hint}`);
  }
  if (configured !== undefined && configured !== height) {
    throw new Error(`sightline.json sets "inputSize" ${configured}, but ${source} takes ${shape} images`);
  }
  return height;
}

/**
 * Every node output of a probe run on one black image: the float 4-D ones the logits depend on (in graph
 * order), and the number of classes.
 */
async function probe(
  model: ModelProto,
  network: OnnxNetwork,
  size: number,
  source: string,
): Promise<Pick<OnnxModelInfo, 'candidateLayers' | 'classCount'>> {
  const graph = graphOf(model);
  const names = graph.node.flatMap((node) => node.output).filter((name) => name !== '' && name !== network.logitsName);
  const original = graph.output;
  graph.output = [...original, ...names.map((name) => onnx.ValueInfoProto.create({ name }))];
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  } catch (error) {
    throw new Error(`ONNX Runtime cannot load ${source}: ${(error as Error).message}`);
  } finally {
    graph.output = original;
  }
  try {
    const results = await session.run({ [network.inputName]: new ort.Tensor('float32', new Float32Array(3 * size * size), [1, 3, size, size]) });
    const feedsLogits = dependsOnward(model, network.logitsName);
    const candidateLayers = names.flatMap((name) => {
      const { type, dims } = results[name];
      const [, c, h, w] = dims.map(Number);
      if (type !== 'float32' || dims.length !== 4 || h * w <= 1 || !feedsLogits.has(name)) return [];
      return [{ name, shape: [h, w, c] as [number, number, number] }];
    });
    const logits = results[network.logitsName];
    const classCount = logits.size / Number(logits.dims[0] ?? 1);
    if (logits.dims.map(Number).filter((side) => side !== 1).length !== 1 || !(classCount > 1)) {
      throw new Error(`${source} outputs [${logits.dims.join(', ')}] for one image; Sightline needs a vector of class scores per image, [N, classes]`);
    }
    return { candidateLayers, classCount };
  } finally {
    await session.release();
  }
}

/** Names of the tensors that the output depends on. */
function dependsOnward(model: ModelProto, output: string): Set<string> {
  const producers = new Map(graphOf(model).node.flatMap((node) => node.output.map((name) => [name, node] as const)));
  const needed = new Set<string>();
  const stack = [output];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    producers.get(name)?.input.forEach((input) => stack.push(input));
  }
  return needed;
}
