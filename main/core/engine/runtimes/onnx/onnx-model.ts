// ONNX classifiers loaded as they are (e.g. from torch.onnx.export): input [N, 3, H, W] (or tf2onnx's
// [N, H, W, 3]), with a free or a fixed batch size, one output of class scores. Candidate CAM layers are the float tensors with a spatial grid (NCHW, channels-last or
// ViT tokens: candidate-layers.ts), found by one probe run that returns every node output. Gradient-free
// methods work for any graph; gradient methods need a head that onnx-head.ts can rebuild in TF.js, and
// say what stops them otherwise.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { leadingTokens } from '../../cam/grid-view';
import type { CamTarget } from '../../cam/network';
import { attentionInsides, defaultLayer, gridOf, PROBE_BATCH, type GridLayer } from './candidate-layers';
import { OnnxExplainer, type OnnxPathOptions } from './explainer';
import { floatValueInfo, graphOf, onnx, type ModelProto } from './graph-builder';
import { finalSoftmax, OnnxNetwork } from './network';
import { buildOnnxHead, imageReach } from './onnx-head';
import { selectProvider } from './providers';

export interface OnnxModelInfo {
  inputSize: number;
  /** Length of the class-score output. */
  classCount: number;
  /** ONNX models come from PyTorch more often than not: ImageNet mean/std on 0‥1 pixels. */
  preprocessing: 'torch';
  /** Tensors with a spatial grid of at least 2 × 2 that reaches the class scores, in graph order, as [h, w, C]. */
  candidateLayers: GridLayer[];
  /** The layer used when none is named (candidate-layers.ts: defaultLayer). */
  defaultLayer: string;
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
  const inputSize = squareImageInput(model, network, source, options.inputSize);
  const { candidateLayers, classCount, channelsLast, batchFirst } = await probe(model, network, inputSize, source);
  const fallback = defaultLayer(candidateLayers, graphOf(model).node, network.logitsName);
  if (!fallback) throw new Error(`${source} has no tensor with a spatial grid (NCHW, NHWC or ViT tokens) that reaches its class scores`);
  // An NHWC input read by a head is the engine's own NHWC batch.
  if (network.inputLayout === 'nhwc') channelsLast.add(network.inputName);
  channelsLast.forEach((name) => network.channelsLast.add(name));
  const findTarget = (layer: string | undefined): CamTarget<string> => {
    const choice = layer === undefined ? fallback : candidateLayers.find((c) => c.name === layer);
    if (!choice) {
      throw new Error(`The ONNX model has no tensor with a spatial grid named ${layer}; candidates: ${candidateLayers.map((c) => c.name).join(', ')}`);
    }
    const head = buildOnnxHead(model, choice, network.logitsName, channelsLast);
    if (typeof head === 'string') return { layer: choice, tensor: choice.name, constants: [], head };
    const unbatched = new Set(head.unbatched);
    // A constant from the image whose first axis was not the probe's batch: the batch lies elsewhere.
    const batchElsewhere = head.constants.some((name) => !unbatched.has(name) && !batchFirst.has(name));
    return {
      layer: choice,
      tensor: choice.name,
      constants: head.constants,
      unbatched,
      // A fixed-batch export may have its batch size written into the head's shapes (Reshape to [1, -1]).
      passPerRank: network.fixedBatch !== null || batchElsewhere || head.fromShapes.length > 0,
      head: head.logits,
    };
  };
  const info = { inputSize, classCount, preprocessing: 'torch' as const, candidateLayers, defaultLayer: fallback.name };
  return { explainer: new OnnxExplainer(provider, network, findTarget), info };
}

/**
 * The input's side: fixed square dims, or `configured` where height and width are free (and then only).
 * NCHW or NHWC as the network reads the declared dims; the batch may be free or fixed.
 */
function squareImageInput(model: ModelProto, network: OnnxNetwork, source: string, configured: number | undefined): number {
  const { inputName, inputLayout } = network;
  const input = graphOf(model).input.find((value) => value.name === inputName);
  const declared = input?.type?.tensorType?.shape?.dim ?? [];
  const dims = declared.map((dim) => (dim.dimValue == null ? null : Number(dim.dimValue)));
  const [channels, height, width] = inputLayout === 'nchw' ? dims.slice(1) : [dims[3], dims[1], dims[2]];
  // Free dimensions by their names (e.g. "batch"), as the exporter wrote them.
  const shape = `[${declared.map((dim, i) => dims[i] ?? (dim.dimParam || '?')).join(', ')}]`;
  if (dims.length === 4 && channels === 3 && height == null && width == null && configured !== undefined) return configured;
  if (dims.length !== 4 || channels !== 3 || height == null || height !== width) {
    const hint = dims.length === 4 && channels === 3 && height == null && width == null ? ' (or set "inputSize" in sightline.json)' : '';
    const wanted = inputLayout === 'nchw' ? '[N, 3, size, size]' : '[N, size, size, 3] (or [N, 3, size, size])';
    throw new Error(`${source} takes input ${inputName} of shape ${shape}; Sightline needs a square RGB batch ${wanted}${hint}`);
  }
  if (configured !== undefined && configured !== height) {
    throw new Error(`sightline.json sets "inputSize" ${configured}, but ${source} takes ${shape} images`);
  }
  return height;
}

/**
 * Every node output of a probe run on PROBE_BATCH black images: the float tensors with a grid that the
 * logits depend on (in graph order), the channels-last 4-D tensors, the tensors whose first axis is the
 * batch, and the number of classes.
 */
async function probe(
  model: ModelProto,
  network: OnnxNetwork,
  size: number,
  source: string,
): Promise<Pick<OnnxModelInfo, 'candidateLayers' | 'classCount'> & { channelsLast: Set<string>; batchFirst: Set<string> }> {
  const graph = graphOf(model);
  const names = graph.node.flatMap((node) => node.output).filter((name) => name !== '' && name !== network.outputName);
  const session = await sessionFor(model, { outputs: names }, source);
  const batch = network.fixedBatch ?? PROBE_BATCH;
  const input = new ort.Tensor('float32', new Float32Array(batch * 3 * size * size), network.inputDims(batch, size));
  try {
    const results = await session.run({ [network.inputName]: input });
    if (!softmaxOverClasses(model, network, results)) await network.scoresFromOutput();
    const logits = results[network.logitsName];
    const [first, ...perImage] = logits.dims.map(Number);
    const classCount = perImage.reduce((product, side) => product * side, 1);
    if (first !== batch || perImage.filter((side) => side !== 1).length !== 1 || !(classCount > 1)) {
      const what = first === batch ? `[${perImage.join(', ')}] for one image` : `[${[first, ...perImage].join(', ')}] for a batch of ${batch}`;
      throw new Error(`${source} outputs ${what}; Sightline needs a vector of class scores per image, [N, classes]`);
    }
    const feedsLogits = dependsOnward(model, network.logitsName);
    // Only tensors computed from the image: with a fixed batch of 1 a weight's [1, …] would look like a batch.
    const fromImage = imageReach(graph).values;
    const channelsLast = new Set<string>();
    const grids = names.flatMap((name) => {
      const { type, dims } = results[name];
      const grid = type === 'float32' && fromImage.has(name) ? gridOf(dims.map(Number), batch) : null;
      if (grid?.layout === 'nhwc') channelsLast.add(name);
      return grid && feedsLogits.has(name) ? [{ name, ...grid }] : [];
    });
    // In a transformer (token grids), a square 4-D tensor whose side is a token count is an attention's
    // [n, heads, tokens, tokens] (timm's DeiT, LeViT), no grid of the image.
    const tokenCounts = new Set(grids.filter((grid) => grid.layout === 'tokens').map((grid) => Number(results[grid.name].dims[1])));
    const { heads, split } = queriesKeysValues(graph, grids, results);
    // What an attention computes from its queries, keys and values on its way back to the tokens (candidate-layers.ts).
    const tokenGrids = new Set(grids.filter((grid) => grid.layout === 'tokens').map((grid) => grid.name));
    const insides = attentionInsides(graph.node, split, tokenGrids, (name) => fromImage.has(name) && results[name]?.type === 'float32');
    const images = grids.filter(
      (grid) => (grid.layout !== 'nchw' || !tokenCounts.has(grid.shape[0])) && !heads.has(grid.name) && !insides.has(grid.name),
    );
    // Token grids past the last attention reach the class scores only through their class token (ViT's
    // final blocks and norm before the class token is taken). A later token tensor's grid reaching them means
    // an earlier one's does too, so a bisection finds the last that does in a few runs. Where the last one
    // reaches them (the tokens pooled: LeViT) all do; asked first, as a residual branch that does not reach them
    // (timm's LeViT closes each with a BatchNorm whose weight starts at 0) would stop the bisection short.
    const after = images.filter((grid) => grid.layout === 'tokens');
    let reaching = 0;
    if (after.length > 0 && (await gridReachesLogits(model, network, after.at(-1)!, results, input, source))) reaching = after.length;
    for (let atMost = after.length; atMost > reaching; ) {
      const middle = Math.ceil((reaching + atMost) / 2);
      if (await gridReachesLogits(model, network, after[middle - 1], results, input, source)) reaching = middle;
      else atMost = middle - 1;
    }
    const dropped = new Set(after.slice(reaching));
    const candidateLayers = images.filter((grid) => !dropped.has(grid));
    // Other grids after the last token grid that reaches them may be past the last attention too (CoaT's
    // convolutional position encoding of the last block's tokens): walked back from the end until one reaches.
    const lastReaching = reaching > 0 ? candidateLayers.indexOf(after[reaching - 1]) : -1;
    while (lastReaching >= 0 && candidateLayers.length - 1 > lastReaching) {
      if (await gridReachesLogits(model, network, candidateLayers.at(-1)!, results, input, source)) break;
      candidateLayers.pop();
    }
    const batchFirst = new Set(names.filter((name) => Number(results[name].dims[0]) === batch));
    return { candidateLayers, classCount, channelsLast, batchFirst };
  } finally {
    await session.release();
  }
}

/**
 * What computes queries, keys and values: a projection, its bias, the reshape after a BatchNorm over the flattened
 * tokens (LeViT). Not a transpose: CoaT's position encoding reads its image tokens transposed, [n, c, tokens] (a
 * grid of c = s² tokens to gridOf where c is a square), back into [n, c, h, w].
 */
const PROJECTIONS = new Set(['MatMul', 'Gemm', 'Add', 'Reshape']);

/**
 * Token grids that are an attention's queries, keys or values: reshaped into heads ([n, tokens, (3,) heads, size])
 * by every reader, or feeding only such a tensor through a projection's bias (timm's packed qkv before its bias). They
 * are the attention's inputs computed from the block's features; the features (the norm before them) are the grid
 * to explain, as pytorch-grad-cam's ViT recipe targets blocks[-1].norm1. `heads`: every reader reshapes to more
 * than 3 axes (which also takes in grids put back into windows or channels-last, Swin's and EdgeNeXt's); `split`:
 * those a projection made whose every reader keeps the tokens axis second ([n, tokens, (3,) heads, size]), where
 * attentionInsides starts.
 */
function queriesKeysValues(
  graph: ReturnType<typeof graphOf>,
  grids: GridLayer[],
  results: ort.InferenceSession.OnnxValueMapType,
): { heads: Set<string>; split: Set<string> } {
  const consumers = new Map<string, { opType: string; output: string }[]>();
  for (const node of graph.node) {
    if (node.opType === 'Shape') continue;
    for (const input of new Set(node.input)) consumers.set(input, [...(consumers.get(input) ?? []), { opType: node.opType!, output: node.output[0] }]);
  }
  const producers = new Map(graph.node.flatMap((node) => node.output.map((name) => [name, node.opType!] as const)));
  const heads = new Set<string>();
  const split = new Set<string>();
  for (const grid of [...grids].reverse()) {
    if (grid.layout !== 'tokens') continue;
    const readers = consumers.get(grid.name) ?? [];
    const tokens = Number(results[grid.name].dims[1]);
    const reshaped = (reader: { opType: string; output: string }) => reader.opType === 'Reshape' && (results[reader.output]?.dims.length ?? 0) > 3;
    const intoHeads = (reader: { opType: string; output: string }) =>
      reshaped(reader) && results[reader.output].dims.length <= 5 && Number(results[reader.output].dims[1]) === tokens;
    // The projection's MatMul output, read only by the bias Add that makes the packed qkv (not the MatMul's input).
    const projected = (reader: { opType: string; output: string }, into: Set<string>) => reader.opType === 'Add' && into.has(reader.output);
    if (readers.length === 0) continue;
    if (readers.every((reader) => reshaped(reader) || projected(reader, heads))) heads.add(grid.name);
    if (PROJECTIONS.has(producers.get(grid.name) ?? '') && readers.every((reader) => intoHeads(reader) || projected(reader, split))) split.add(grid.name);
  }
  return { heads, split };
}

/**
 * Whether the final Softmax found behind the output (network.ts) normalises over the class axis, so that its
 * input holds the logits: true also where there is none. Before opset 13 a Softmax flattens everything from
 * its axis on; since, it runs along its one axis, which must then be the only one besides the batch whose
 * size is not 1.
 */
function softmaxOverClasses(model: ModelProto, network: OnnxNetwork, results: ort.InferenceSession.OnnxValueMapType): boolean {
  const softmax = finalSoftmax(model, network.outputName);
  if (!softmax || network.logitsName === network.outputName) return true;
  const dims = results[network.logitsName].dims.map(Number);
  const opset = Number(model.opsetImport?.find((entry) => !entry.domain || entry.domain === 'ai.onnx')?.version ?? 13);
  const declared = softmax.attribute?.find((attribute) => attribute.name === 'axis')?.i;
  const given = declared == null ? (opset >= 13 ? -1 : 1) : Number(declared);
  const axis = given < 0 ? given + dims.length : given;
  if (opset < 13) return axis === 1;
  return axis > 0 && dims.every((side, i) => i === 0 || i === axis || side === 1);
}

/**
 * Whether changing `grid` (a token grid's class token left alone) changes the class scores: the model run again
 * with that tensor fed as an input.
 */
async function gridReachesLogits(
  model: ModelProto,
  network: OnnxNetwork,
  grid: GridLayer,
  probed: ort.InferenceSession.OnnxValueMapType,
  input: ort.Tensor,
  source: string,
): Promise<boolean> {
  const { data, dims } = probed[grid.name];
  const perturbed = Float32Array.from(data as Float32Array);
  const [batch, ...perImage] = dims.map(Number);
  // A token grid's class token is left alone; any other grid changes whole.
  const [tokens, channels] = grid.layout === 'tokens' ? perImage : [1, perImage.reduce((product, side) => product * side, 1)];
  const skip = grid.layout === 'tokens' ? leadingTokens(tokens, grid.shape[0]) : 0;
  // Unequal across channels and positions in any layout, so that no normalisation after it (a LayerNorm over the
  // channels of a [n, c, tokens] tensor read transposed) takes it away whole.
  for (let image = 0; image < batch; image++) {
    for (let i = (image * tokens + skip) * channels; i < (image + 1) * tokens * channels; i++) perturbed[i] += 1 + (Math.imul(i, 0x9e3779b1) >>> 0) / 2 ** 32;
  }
  let session: ort.InferenceSession;
  try {
    session = await sessionFor(model, { fed: grid.name, outputs: [network.logitsName] }, source);
  } catch {
    return true; // e.g. its node has other outputs that the graph reads: keep the layer
  }
  try {
    const results = await session.run({ [network.inputName]: input, [grid.name]: new ort.Tensor('float32', perturbed, dims) });
    const before = probed[network.logitsName].data as Float32Array;
    const after = results[network.logitsName].data as Float32Array;
    const scale = before.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
    return after.some((value, i) => Math.abs(value - before[i]) > 1e-5 * scale);
  } finally {
    await session.release();
  }
}

/** A session on the model with extra `outputs`, or with the tensor `fed` as an input instead of computed. */
async function sessionFor(model: ModelProto, change: { outputs?: string[]; fed?: string }, source: string): Promise<ort.InferenceSession> {
  const graph = graphOf(model);
  const { output, input, node } = graph;
  const extra = (change.outputs ?? []).filter((name) => !output.some((value) => value.name === name));
  graph.output = [...output, ...extra.map((name) => onnx.ValueInfoProto.create({ name }))];
  if (change.fed) {
    graph.input = [...input, onnx.ValueInfoProto.create(floatValueInfo(change.fed))];
    graph.node = node.filter((candidate) => !candidate.output.includes(change.fed!));
  }
  try {
    // Run once: no optimisation worth its time. Error level: a session fed mid-graph warns about every
    // initializer it no longer needs.
    return await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  } catch (error) {
    throw new Error(`ONNX Runtime cannot load ${source}: ${(error as Error).message}`);
  } finally {
    Object.assign(graph, { output, input, node });
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
